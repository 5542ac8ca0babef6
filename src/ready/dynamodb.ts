/**
 * DynamoDB: AWS restores a table without its point-in-time recovery, stream, TTL, tags and
 * deletion protection settings (docs/aws-behaviour.md#ddb-restore-settings-lost). Each step reads the
 * restored table and sets what the source table has. The recovery point tells none of them: with
 * the source gone, each is recorded as not restored.
 */

import {
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ListTagsOfResourceCommand,
  TagResourceCommand,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { sortedCall } from '../aws/conditional.js';
import {
  READY_TAG,
  type ReadyStep,
  type ReadyType,
  type SourceSettings,
  type Target,
  type Value,
} from './steps.js';
import { copiedTags, readIfExists, type Tags, tagsStep } from './tags.js';

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

const deletionProtection: ReadyStep = {
  name: 'dynamodb.deletion-protection',
  key: 'deletionProtection',
  manual: 'turn deletion protection on for the restored table (UpdateTable DeletionProtectionEnabled)',
  read: async (t) => (await describe(t, t.restoredArn)).DeletionProtectionEnabled === true,
  write: (t, wanted) => update(t, { DeletionProtectionEnabled: wanted === true }),
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
      tags: copiedTags(await tagsOf(t, arn)),
    };
    return settings;
  },
  fromRecoveryPoint: (): SourceSettings => ({}),
  steps: [
    tagsStep('dynamodb.ready-tag', READY_TAG, (t) => tagsOf(t, t.restoredArn), tagTable),
    pitr,
    ttl,
    tagsStep('dynamodb.tags', 'tags', (t) => tagsOf(t, t.restoredArn), tagTable),
    stream,
    deletionProtection,
  ],
  manual: [
    'auto scaling targets and policies (Application Auto Scaling)',
    'IAM policies and the resource-based policy',
    'CloudWatch alarms and Contributor Insights',
  ],
};
