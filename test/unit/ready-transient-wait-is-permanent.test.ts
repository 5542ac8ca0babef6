/**
 * A "not yet" error (docs/ready.md: "a table still UPDATING, a cluster not yet available ... are
 * retried with backoff"; WAIT_ERRORS in src/ready/run.ts) that lasts longer than withRetries' four
 * tries (200 + 400 + 800 ms, about 1.4 s) is recorded as a FAILED step: the copy is recorded
 * not-ready for good and dead-lettered "Do not redrive", instead of the run being tried again as
 * handlers/make-ready.ts promises ("any other retryable error, throws: Lambda retries the event").
 * Here continuous backups are still being enabled on the fresh table for a few seconds.
 */
import {
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTagsOfResourceCommand,
  TagResourceCommand,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { createLogger } from '../../src/logger';
import { makeReady, type RunDeps } from '../../src/ready/run';
import { dynamodbReady } from '../../src/resources/dynamodb';

const ARN = (name: string) => `arn:aws:dynamodb:eu-west-1:123456789012:table/${name}`;

test('continuous backups still being enabled for a few seconds: the run is tried again, never recorded failed', async () => {
  const mock = mockClient(DynamoDBClient);
  let clock = 0;
  const tags: Record<string, Record<string, string>> = { orders: {}, 'orders-restored': {} };
  const pitr: Record<string, boolean> = { orders: true, 'orders-restored': false };
  const name = (n: unknown) => String(n).replace(/^arn:.*:table\//, '');
  mock.on(DescribeTableCommand).callsFake((i) => ({
    Table: { TableName: i.TableName, TableStatus: 'ACTIVE', DeletionProtectionEnabled: false },
  }));
  mock.on(DescribeContinuousBackupsCommand).callsFake((i) => ({
    ContinuousBackupsDescription: {
      ContinuousBackupsStatus: 'ENABLED',
      PointInTimeRecoveryDescription: {
        PointInTimeRecoveryStatus: pitr[name(i.TableName)] ? 'ENABLED' : 'DISABLED',
      },
    },
  }));
  mock.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } });
  mock.on(ListTagsOfResourceCommand).callsFake((i) => ({
    Tags: Object.entries(tags[name(i.ResourceArn)] ?? {}).map(([Key, Value]) => ({ Key, Value })),
  }));
  mock.on(TagResourceCommand).callsFake((i) => {
    for (const t of i.Tags) (tags[name(i.ResourceArn)] as Record<string, string>)[t.Key] = t.Value;
    return {};
  });
  mock.on(UpdateTableCommand).resolves({});
  // Enabled 5 seconds after the restore completed (a fresh table: backups still being enabled).
  mock.on(UpdateContinuousBackupsCommand).callsFake((i) => {
    if (clock < 5000)
      throw Object.assign(
        new Error('Backups are being enabled for the table: orders-restored. Please retry later'),
        {
          name: 'ContinuousBackupsUnavailableException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
        },
      );
    pitr[name(i.TableName)] = true;
    return {};
  });
  const run: RunDeps = {
    log: createLogger({ sink: () => undefined }),
    sleep: async (ms) => {
      clock += ms;
    },
    timeLeftMs: () => 600_000,
    pollMs: 1000,
  };
  const outcome = await makeReady(run, dynamodbReady, {
    restoreJobId: 'job-1',
    resourceType: 'DynamoDB',
    restoredArn: ARN('orders-restored'),
    sourceArn: ARN('orders'),
    pointMetadata: {},
    options: { readers: 0 },
    clients: {
      rds: () => new RDSClient({ region: 'eu-west-1' }),
      ddb: () => new DynamoDBClient({ region: 'eu-west-1' }),
    },
  }).then(
    (r) => ({ ready: r.ready, failed: r.steps.filter((s) => s.status === 'failed').map((s) => s.step) }),
    (e: unknown) => ({ thrown: (e as Error).name, retryable: (e as { retryable?: boolean }).retryable }),
  );
  mock.restore();
  // It throws a retryable error so that Lambda tries the event again; never recorded failed.
  expect(outcome).toStrictEqual({ thrown: 'StillWaitingError', retryable: true });
});
