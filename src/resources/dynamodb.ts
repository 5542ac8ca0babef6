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
  DescribeTableCommand,
  type DynamoDBClient,
  ListTagsOfResourceCommand,
  ScanCommand,
  TagResourceCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { vaultAccount } from '../aws/backup.js';
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
