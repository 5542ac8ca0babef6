/**
 * DynamoDB: a table, restored under a new targetTableName (AWS matches its Metadata keys without
 * regard to case). A drill's table is deleted the way DynamoDB needs: deletion protection off
 * (UpdateTable), then, once the table is ACTIVE again (UpdateTable leaves it UPDATING, and
 * DeleteTable meanwhile fails ResourceInUseException), DeleteTable.
 * docs/aws-behaviour.md#ddb-update-table-updating
 */

import { DescribeRecoveryPointCommand } from '@aws-sdk/client-backup';
import {
  DeleteTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeContributorInsightsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ListTagsOfResourceCommand,
  ScanCommand,
  TagResourceCommand,
  UpdateContinuousBackupsCommand,
  UpdateContributorInsightsCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { vaultAccount } from '../aws/backup.js';
import { sortedCall } from '../aws/conditional.js';
import { classifyAwsError } from '../errors.js';
import { call, dateOf, NotReadyError, readOrMissing, tagMap, waitUntil } from './calls.js';
import {
  type DrillContext,
  type DrillSteps,
  fail,
  type Missing,
  missing,
  notYet,
  pass,
  type ResourceTypeModule,
  type ResourceView,
  taggedNeed,
  tagWriteNeed,
  type ValidationSteps,
  type Verdict,
} from './module.js';
import { newName } from './names.js';
import {
  READY_TAG,
  type ReadyStep,
  type ReadyType,
  type SourceSettings,
  type Target,
  type Value,
} from './ready-steps.js';
import { copiedTags, deletionProtectionStep, readIfExists, type Tags, tagsStep } from './ready-tags.js';

/** A DynamoDB table: DescribeTable, and a Scan of one item. */
export type TableObservation =
  | Missing
  | {
      readonly found: true;
      readonly name: string;
      readonly status: string;
      /** A Scan with Limit 1 returned an item (only read once the table is ACTIVE). */
      readonly hasItem?: boolean;
      /** From the recovery point: undefined when AWS does not say. */
      readonly sourceHadItems?: boolean;
    };

/** DynamoDB table: `ACTIVE`, and holding at least one item when the source had items. */
export function tableVerdict(o: TableObservation): Verdict {
  if (!o.found) return missing('The restored table');
  if (o.status === 'CREATING' || o.status === 'UPDATING') return notYet(`Table ${o.name} is ${o.status}`);
  if (o.status !== 'ACTIVE') {
    return fail(
      `Table ${o.name} is ${o.status}, not ACTIVE: it cannot serve. Fix the cause and restore again`,
    );
  }
  if (o.sourceHadItems === true && o.hasItem === false) {
    return fail(
      `Table ${o.name} is ACTIVE but empty, while the recovery point holds data: the restore lost the items. Restore again from this or another recovery point`,
    );
  }
  if (o.sourceHadItems === undefined) {
    return pass(`Table ${o.name} is ACTIVE (the recovery point does not say whether the source had items)`);
  }
  return pass(`Table ${o.name} is ACTIVE${o.hasItem === true ? ' and holds items' : ''}`);
}

/**
 * DescribeTable, then (once ACTIVE) a Scan of one item. DescribeTable's ItemCount is not used:
 * DynamoDB "updates this value approximately every six hours", so a fresh restore reads 0.
 */
export async function readTable(
  ddb: DynamoDBClient,
  name: string,
  sourceHadItems: boolean | undefined,
): Promise<TableObservation> {
  const out = await readOrMissing('DescribeTable', () =>
    ddb.send(new DescribeTableCommand({ TableName: name })),
  );
  const table = out?.Table;
  if (table === undefined) return { found: false };
  const status = table.TableStatus ?? 'unknown';
  const base = {
    found: true as const,
    name,
    status,
    ...(sourceHadItems === undefined ? {} : { sourceHadItems }),
  };
  if (status !== 'ACTIVE') return base;
  const scan = await readOrMissing('Scan', () =>
    ddb.send(new ScanCommand({ TableName: name, Limit: 1, Select: 'COUNT' })),
  );
  return { ...base, hasItem: (scan?.Count ?? 0) > 0 };
}

/** Reads the table's tags and creation time; undefined when it does not exist. */
async function viewTable(ddb: DynamoDBClient, name: string, arn: string): Promise<ResourceView | undefined> {
  const table = (await ddb.send(new DescribeTableCommand({ TableName: name }))).Table;
  if (table === undefined) return undefined;
  const tags = await ddb.send(new ListTagsOfResourceCommand({ ResourceArn: arn }));
  return { exists: true, tags: tagMap(tags.Tags), createdAt: dateOf(table.CreationDateTime) };
}

const status = async (ddb: DynamoDBClient, name: string) =>
  (await call('DescribeTable', () => ddb.send(new DescribeTableCommand({ TableName: name })))).Table;

/**
 * Deletes the table: protection off, then DeleteTable once ACTIVE. A table still UPDATING at the
 * deadline (or one DeleteTable finds in use) throws NotReadyError: the next run goes on from there.
 */
export async function deleteTable(
  ddb: DynamoDBClient,
  name: string,
  context: DrillContext,
): Promise<string[]> {
  const steps: string[] = [];
  const table = await status(ddb, name);
  if (table?.DeletionProtectionEnabled === true) {
    await call('UpdateTable', () =>
      ddb.send(new UpdateTableCommand({ TableName: name, DeletionProtectionEnabled: false })),
    );
    steps.push('deletion protection turned off');
  }
  await waitUntil(
    context,
    `the table ${name} is not ACTIVE yet (UpdateTable leaves it UPDATING); it is deleted on a later run`,
    async () => (await status(ddb, name))?.TableStatus === 'ACTIVE',
    2_000,
  );
  try {
    await ddb.send(new DeleteTableCommand({ TableName: name }));
  } catch (error) {
    if ((error as { name?: unknown }).name === 'ResourceInUseException') {
      throw new NotReadyError(
        `DeleteTable: the table ${name} is in use (being updated); it is deleted on a later run`,
      );
    }
    throw classifyAwsError('DeleteTable', error);
  }
  steps.push('DeleteTable');
  return steps;
}

/** Finds a key regardless of case (DynamoDB's metadata keys are case-insensitive). */
function keyOf(metadata: Record<string, string>, key: string): string {
  return Object.keys(metadata).find((k) => k.toLowerCase() === key.toLowerCase()) ?? key;
}

// DynamoDB tables: letters, digits, "_", "-", "."; 3 to 255 characters.
const tableName = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '-');

const TABLE = 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders-r1234567';
const POINT = 'arn:aws:backup:eu-west-1:123456789012:recovery-point:1a2b3c4d-5678-90ab-cdef-1234567890ab';

export const dynamodb = {
  type: 'DynamoDB',
  restore: {
    required: ['targetTableName'],
    targetKeys: ['targetTableName'],
    caseInsensitiveKeys: true,
    copyTags: false,
    newIdentity: (metadata, suffix) => {
      const key = keyOf(metadata, 'targetTableName');
      metadata[key] = newName(metadata[key], suffix, 255, tableName, 'restored');
    },
  },
  alarm: [
    {
      namespace: 'AWS/DynamoDB',
      dimension: 'TableName',
      arnOf: (id, w) => `arn:${w.partition}:dynamodb:${w.region}:${w.account}:table/${id}`,
    },
  ],
  validated: true,
  drillable: true,
  madeReady: true,
  iam: [
    { action: 'dynamodb:DescribeTable', resource: TABLE, by: 'validate' },
    { action: 'dynamodb:Scan', resource: TABLE, by: 'validate' },
    { action: 'backup:DescribeRecoveryPoint', resource: POINT, by: 'validate' },
    { action: 'dynamodb:DescribeTable', resource: TABLE, by: 'cleanup' },
    { action: 'dynamodb:ListTagsOfResource', resource: TABLE, by: 'cleanup' },
    tagWriteNeed('dynamodb:TagResource', TABLE),
    taggedNeed('dynamodb:UpdateTable', TABLE),
    taggedNeed('dynamodb:DeleteTable', TABLE),
  ],
} as const satisfies ResourceTypeModule<'DynamoDB'>;

export const dynamodbValidation: ValidationSteps = {
  check: async (clients, id, expect) => tableVerdict(await readTable(clients.ddb, id, expect.sourceHadItems)),
  expect: async (backup, point) => {
    if (point === undefined) return {};
    const out = await readOrMissing('DescribeRecoveryPoint', () =>
      backup.send(
        new DescribeRecoveryPointCommand({
          BackupVaultName: point.backupVaultName,
          ...vaultAccount(point.vaultAccountId),
          RecoveryPointArn: point.recoveryPointArn,
        }),
      ),
    );
    const size = out?.BackupSizeInBytes;
    return size === undefined ? {} : { sourceHadItems: size > 0 };
  },
};

export const dynamodbDrill: DrillSteps = {
  view: (clients, { id, arn }) => viewTable(clients.ddb, id, arn),
  tag: async (clients, { arn, context, rules }) => {
    await call('TagResource (DynamoDB)', () =>
      clients.ddb.send(
        new TagResourceCommand({
          ResourceArn: arn,
          Tags: [{ Key: rules.tagKey, Value: context.restoreJobId }],
        }),
      ),
    );
  },
  delete: async (clients, { id, context }) => ({ steps: await deleteTable(clients.ddb, id, context) }),
};

/*
 * Make-ready: DynamoDB: AWS restores a table without its point-in-time recovery, stream, TTL, tags and
 * deletion protection settings (docs/aws-behaviour.md#ddb-restore-settings-lost). Each step reads the
 * restored table and sets what the source table has. The recovery point tells none of them: with
 * the source gone, each is recorded as not restored.
 */
const tableOf = (arn: string) =>
  arn
    .split(':')
    .slice(5)
    .join(':')
    .replace(/^table\//, '')
    .split('/')[0] ?? '';

async function describe(t: Target, arn: string) {
  const out = await sortedCall('DescribeTable', () =>
    t.clients.ddb().send(new DescribeTableCommand({ TableName: tableOf(arn) })),
  );
  return out.Table ?? {};
}

async function pitrOf(t: Target, arn: string): Promise<boolean> {
  const out = await sortedCall('DescribeContinuousBackups', () =>
    t.clients.ddb().send(new DescribeContinuousBackupsCommand({ TableName: tableOf(arn) })),
  );
  return (
    out.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus === 'ENABLED'
  );
}

/** The TTL attribute while TTL is on (or being turned on), else null. */
async function ttlOf(t: Target, arn: string): Promise<string | null> {
  const out = await sortedCall('DescribeTimeToLive', () =>
    t.clients.ddb().send(new DescribeTimeToLiveCommand({ TableName: tableOf(arn) })),
  );
  const d = out.TimeToLiveDescription;
  const on = d?.TimeToLiveStatus === 'ENABLED' || d?.TimeToLiveStatus === 'ENABLING';
  return on ? (d?.AttributeName ?? null) : null;
}

/** Contributor Insights on (or being turned on) for the table. */
async function insightsOf(t: Target, arn: string): Promise<boolean> {
  const out = await sortedCall('DescribeContributorInsights', () =>
    t.clients.ddb().send(new DescribeContributorInsightsCommand({ TableName: tableOf(arn) })),
  );
  return out.ContributorInsightsStatus === 'ENABLED' || out.ContributorInsightsStatus === 'ENABLING';
}

async function tagsOf(t: Target, arn: string): Promise<Tags> {
  const tags: Record<string, string> = {};
  let token: string | undefined;
  do {
    const out = await sortedCall('ListTagsOfResource', () =>
      t.clients.ddb().send(new ListTagsOfResourceCommand({ ResourceArn: arn, NextToken: token })),
    );
    for (const tag of out.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
    token = out.NextToken;
  } while (token !== undefined);
  return tags;
}

const streamOf = (table: Awaited<ReturnType<typeof describe>>): string | null =>
  table.StreamSpecification?.StreamEnabled === true
    ? (table.StreamSpecification.StreamViewType ?? null)
    : null;

/** UpdateTable leaves the table UPDATING: the next step waits for ACTIVE (docs/aws-behaviour.md#ddb-update-table-updating). */
const active = async (t: Target) => (await describe(t, t.restoredArn)).TableStatus === 'ACTIVE';

const update = (t: Target, input: Omit<ConstructorParameters<typeof UpdateTableCommand>[0], 'TableName'>) =>
  sortedCall('UpdateTable', () =>
    t.clients.ddb().send(new UpdateTableCommand({ TableName: tableOf(t.restoredArn), ...input })),
  ).then(() => undefined);

const tagTable = (t: Target, tags: Tags) =>
  sortedCall('TagResource', () =>
    t.clients.ddb().send(
      new TagResourceCommand({
        ResourceArn: t.restoredArn,
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    ),
  ).then(() => undefined);

const pitr: ReadyStep = {
  name: 'dynamodb.point-in-time-recovery',
  key: 'pointInTimeRecovery',
  manual:
    'turn point-in-time recovery on for the restored table (console: Backups, or UpdateContinuousBackups)',
  read: (t) => pitrOf(t, t.restoredArn),
  write: (t, wanted) =>
    sortedCall('UpdateContinuousBackups', () =>
      t.clients.ddb().send(
        new UpdateContinuousBackupsCommand({
          TableName: tableOf(t.restoredArn),
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: wanted === true },
        }),
      ),
    ).then(() => undefined),
};

const ttl: ReadyStep = {
  name: 'dynamodb.time-to-live',
  key: 'timeToLive',
  manual: "turn TTL on for the restored table with the source's TTL attribute (UpdateTimeToLive)",
  read: (t) => ttlOf(t, t.restoredArn),
  write: (t, wanted, actual) =>
    sortedCall('UpdateTimeToLive', () =>
      t.clients.ddb().send(
        new UpdateTimeToLiveCommand({
          TableName: tableOf(t.restoredArn),
          TimeToLiveSpecification:
            wanted === null
              ? { AttributeName: String(actual), Enabled: false }
              : { AttributeName: String(wanted), Enabled: true },
        }),
      ),
    ).then(() => undefined),
};

const stream: ReadyStep = {
  name: 'dynamodb.stream',
  key: 'streamViewType',
  manual:
    "turn the restored table's stream on with the source's view type (UpdateTable StreamSpecification), and point its consumers at the new stream ARN",
  read: async (t) => streamOf(await describe(t, t.restoredArn)),
  write: (t, wanted) =>
    update(
      t,
      wanted === null
        ? { StreamSpecification: { StreamEnabled: false } }
        : { StreamSpecification: { StreamEnabled: true, StreamViewType: String(wanted) as never } },
    ),
  done: active,
};

/** Turned on only where the source had it: its graphs show keys in plain text (docs/aws-behaviour.md#ddb-contributor-insights). */
const contributorInsights: ReadyStep = {
  name: 'dynamodb.contributor-insights',
  key: 'contributorInsights',
  manual: 'turn CloudWatch Contributor Insights on for the restored table (UpdateContributorInsights)',
  read: (t) => insightsOf(t, t.restoredArn),
  // Never turned off by the pipeline: a copy that has it, keeps it.
  same: (actual, wanted) => actual === true || wanted !== true,
  write: (t) =>
    sortedCall('UpdateContributorInsights', () =>
      t.clients.ddb().send(
        new UpdateContributorInsightsCommand({
          TableName: tableOf(t.restoredArn),
          ContributorInsightsAction: 'ENABLE',
        }),
      ),
    ).then(() => undefined),
};

const deletionProtection: ReadyStep = {
  .../* @__PURE__ */ deletionProtectionStep(
    'dynamodb.deletion-protection',
    'the restored table (UpdateTable DeletionProtectionEnabled)',
    async (t) => (await describe(t, t.restoredArn)).DeletionProtectionEnabled,
    (t, on) => update(t, { DeletionProtectionEnabled: on }),
  ),
  done: active,
};

/** DynamoDB's make-ready steps: the pipeline's tag first (every later step is held to it). */
export const dynamodbReady: ReadyType = {
  resourceType: 'DynamoDB',
  async readSource(t) {
    const arn = t.sourceArn;
    if (arn === undefined) return undefined;
    const table = await readIfExists(() => describe(t, arn));
    if (table === undefined) return undefined;
    const settings: Record<string, Value> = {
      pointInTimeRecovery: await pitrOf(t, arn),
      timeToLive: await ttlOf(t, arn),
      streamViewType: streamOf(table),
      deletionProtection: table.DeletionProtectionEnabled === true,
      contributorInsights: await insightsOf(t, arn),
      tags: copiedTags(await tagsOf(t, arn)),
    };
    return settings;
  },
  fromRecoveryPoint: (): SourceSettings => ({}),
  steps: [
    /* @__PURE__ */ tagsStep('dynamodb.ready-tag', READY_TAG, (t) => tagsOf(t, t.restoredArn), tagTable),
    pitr,
    ttl,
    /* @__PURE__ */ tagsStep('dynamodb.tags', 'tags', (t) => tagsOf(t, t.restoredArn), tagTable),
    stream,
    deletionProtection,
    contributorInsights,
  ],
  manual: [
    'auto scaling targets and policies (Application Auto Scaling)',
    'IAM policies and the resource-based policy',
    'CloudWatch alarms, and Contributor Insights of global secondary indexes',
  ],
};
