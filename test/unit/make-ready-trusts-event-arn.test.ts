/**
 * makeReady acts on the job as AWS Backup describes it (DescribeRestoreJob), never on the event's
 * createdResourceArn: a COMPLETED event naming a job the pipeline did start, but another table as
 * its created resource, leaves that table alone (it is never tagged backup-restore:ready, its PITR,
 * TTL, stream and deletion protection never rewritten); a job whose recovery point is not its
 * link's is not acted on at all.
 */
import {
  DescribeRecoveryPointCommand,
  DescribeRestoreJobCommand,
  GetRecoveryPointRestoreMetadataCommand,
} from '@aws-sdk/client-backup';
import {
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  ListTagsOfResourceCommand,
  PutItemCommand,
  TagResourceCommand,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { RDSClient } from '@aws-sdk/client-rds';
import { type CompletedRestoreEvent, createHandler } from '../../handlers/make-ready';
import { linkItem } from '../../src/table/links';
import { mockAws, restoreAws } from '../helpers/mocks';

const POINT = 'arn:aws:backup:eu-west-1:123456789012:recovery-point:1a2b3c4d-5678-90ab-cdef-1234567890ab';
const REQUEST = {
  RecoveryPointArn: POINT,
  ResourceType: 'DynamoDB',
  Metadata: { targetTableName: 'orders-restored' },
};
type T = {
  pitr: boolean;
  stream: string | null;
  ttl: string | null;
  protection: boolean;
  tags: Record<string, string>;
};

async function run(jobPoint: string) {
  const aws = mockAws();
  const items = new Map<string, unknown>();
  items.set(
    'job-1',
    linkItem(
      {
        restoreJobId: 'job-1',
        original: { trigger: 'sqs', body: JSON.stringify(REQUEST) },
        trigger: { type: 'sqs', id: 'm-1', attempt: 1 },
        redriveCount: 0,
        recoveryPointArn: POINT,
        resourceType: 'DynamoDB',
        startedAt: '2026-11-26T11:00:00.000Z',
        fingerprint: 'f',
      },
      new Date('2026-11-26T11:00:00.000Z'),
    ),
  );
  const tables: Record<string, T> = {
    orders: {
      pitr: true,
      stream: 'NEW_AND_OLD_IMAGES',
      ttl: 'expiresAt',
      protection: true,
      tags: { team: 'orders' },
    },
    'orders-restored': { pitr: false, stream: null, ttl: null, protection: false, tags: {} },
    // Production table the job never created: no stream consumers may be cut, no TTL may be moved.
    billing: {
      pitr: false,
      stream: 'KEYS_ONLY',
      ttl: 'purgeAt',
      protection: false,
      tags: { team: 'billing' },
    },
  };
  const get = (n: unknown) => tables[String(n).replace(/^arn:.*:table\//, '')] as T;
  aws.ddb.on(GetItemCommand).callsFake((i) => ({ Item: items.get(i.Key.restoreJobId.S) }));
  aws.ddb.on(PutItemCommand).callsFake((i) => {
    items.set(i.Item.restoreJobId.S, i.Item);
    return {};
  });
  aws.ddb.on(DescribeTableCommand).callsFake((i) => {
    const t = get(i.TableName);
    return {
      Table: {
        TableName: i.TableName,
        TableStatus: 'ACTIVE',
        DeletionProtectionEnabled: t.protection,
        ...(t.stream === null
          ? {}
          : { StreamSpecification: { StreamEnabled: true, StreamViewType: t.stream } }),
      },
    };
  });
  aws.ddb.on(DescribeContinuousBackupsCommand).callsFake((i) => ({
    ContinuousBackupsDescription: {
      ContinuousBackupsStatus: 'ENABLED',
      PointInTimeRecoveryDescription: {
        PointInTimeRecoveryStatus: get(i.TableName).pitr ? 'ENABLED' : 'DISABLED',
      },
    },
  }));
  aws.ddb.on(DescribeTimeToLiveCommand).callsFake((i) => {
    const t = get(i.TableName);
    return {
      TimeToLiveDescription:
        t.ttl === null
          ? { TimeToLiveStatus: 'DISABLED' }
          : { TimeToLiveStatus: 'ENABLED', AttributeName: t.ttl },
    };
  });
  aws.ddb.on(ListTagsOfResourceCommand).callsFake((i) => ({
    Tags: Object.entries(get(i.ResourceArn).tags).map(([Key, Value]) => ({ Key, Value })),
  }));
  const writes: string[] = [];
  aws.ddb.on(TagResourceCommand).callsFake((i) => {
    writes.push(`TagResource ${i.ResourceArn}`);
    for (const t of i.Tags) get(i.ResourceArn).tags[t.Key] = t.Value;
    return {};
  });
  aws.ddb.on(UpdateTableCommand).callsFake((i) => {
    writes.push(`UpdateTable ${i.TableName}`);
    const t = get(i.TableName);
    if (i.StreamSpecification)
      t.stream = i.StreamSpecification.StreamEnabled ? i.StreamSpecification.StreamViewType : null;
    if (i.DeletionProtectionEnabled !== undefined) t.protection = i.DeletionProtectionEnabled;
    return {};
  });
  aws.ddb.on(UpdateContinuousBackupsCommand).callsFake((i) => {
    writes.push(`UpdateContinuousBackups ${i.TableName}`);
    get(i.TableName).pitr = i.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled;
    return {};
  });
  aws.ddb.on(UpdateTimeToLiveCommand).callsFake((i) => {
    writes.push(`UpdateTimeToLive ${i.TableName}`);
    return {};
  });
  aws.backup
    .on(DescribeRecoveryPointCommand)
    .resolves({ ResourceArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders' });
  aws.backup.on(GetRecoveryPointRestoreMetadataCommand).resolves({ RestoreMetadata: {} });
  // What AWS Backup says of the job: the copy it made is orders-restored.
  aws.backup.on(DescribeRestoreJobCommand).resolves({
    RestoreJobId: 'job-1',
    Status: 'COMPLETED',
    ResourceType: 'DynamoDB',
    CreatedResourceArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders-restored',
    RecoveryPointArn: jobPoint,
    BackupVaultArn: 'arn:aws:backup:eu-west-1:123456789012:backup-vault:Default',
    CreationDate: new Date('2026-11-26T11:00:01.000Z'),
  });
  const handler = createHandler({
    ...aws.deps,
    rds: () => new RDSClient({ region: 'eu-west-1' }),
    sleep: async () => undefined,
  });
  const event = {
    id: 'ev-forged',
    'detail-type': 'Restore Job State Change',
    source: 'aws.backup',
    detail: {
      restoreJobId: 'job-1',
      status: 'COMPLETED',
      resourceType: 'DynamoDB',
      createdResourceArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/billing',
      recoveryPointArn: POINT,
      backupVaultArn: 'arn:aws:backup:eu-west-1:123456789012:backup-vault:Default',
    },
  } as unknown as CompletedRestoreEvent;
  const outcome = await handler(event, undefined as never);
  restoreAws();
  return { outcome, writes, billingStream: tables.billing?.stream };
}

test('a COMPLETED event of a linked job that names another table as its copy changes nothing on that table', async () => {
  const { outcome, writes, billingStream } = await run(POINT);
  expect({ outcome, billingWrites: writes.filter((w) => /billing/.test(w)), billingStream }).toStrictEqual({
    outcome: 'ready',
    billingWrites: [],
    billingStream: 'KEYS_ONLY',
  });
  // The copy AWS names is the one made ready.
  expect(writes).toContain('UpdateContinuousBackups orders-restored');
});

test('a job whose recovery point is not the one its link asked for is not acted on', async () => {
  const other = POINT.replace('1a2b3c4d', '9f9f9f9f');
  expect(await run(other)).toStrictEqual({ outcome: 'invalid', writes: [], billingStream: 'KEYS_ONLY' });
});
