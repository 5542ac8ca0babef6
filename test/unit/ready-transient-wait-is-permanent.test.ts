/**
 * A "not yet" error (docs/ready.md: "a table still UPDATING, a cluster not yet available ... are
 * retried with backoff"; WAIT_ERRORS in src/ready/run.ts) that lasts longer than withRetries' four
 * tries (200 + 400 + 800 ms, about 1.4 s) is recorded as a FAILED step: the copy is recorded
 * not-ready for good and dead-lettered "Do not redrive", instead of the run being tried again as
 * handlers/make-ready.ts promises ("any other retryable error, throws: Lambda retries the event").
 * Here continuous backups are still being enabled on the fresh table for a few seconds.
 */
import { DynamoDBClient, UpdateContinuousBackupsCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createLogger } from '../../src/logger';
import { makeReady, type RunDeps } from '../../src/ready/run';
import { dynamodbReady } from '../../src/resources/dynamodb';
import { clientError, type FakeTable, fakeTables, readyTarget } from '../helpers/ready-fakes';

const ARN = (name: string) => `arn:aws:dynamodb:eu-west-1:123456789012:table/${name}`;

test('continuous backups still being enabled for a few seconds: the run is tried again, never recorded failed', async () => {
  let clock = 0;
  const off = { stream: null, ttl: null, protection: false, tags: {} };
  const tables: Record<string, FakeTable> = {
    orders: { ...off, pitr: true },
    'orders-restored': { ...off, pitr: false },
  };
  const name = (n: unknown) => String(n).replace(/^arn:.*:table\//, '');
  const mock = fakeTables(mockClient(DynamoDBClient), tables);
  // Enabled 5 seconds after the restore completed (a fresh table: backups still being enabled).
  mock.on(UpdateContinuousBackupsCommand).callsFake((i) => {
    if (clock < 5000)
      throw clientError(
        'ContinuousBackupsUnavailableException',
        'Backups are being enabled for the table: orders-restored. Please retry later',
      );
    (tables[name(i.TableName)] as FakeTable).pitr = true;
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
  const target = readyTarget({
    restoreJobId: 'job-1',
    resourceType: 'DynamoDB',
    restoredArn: ARN('orders-restored'),
    sourceArn: ARN('orders'),
  });
  const outcome = await makeReady(run, dynamodbReady, target).then(
    (r) => ({ ready: r.ready, failed: r.steps.filter((s) => s.status === 'failed').map((s) => s.step) }),
    (e: unknown) => ({ thrown: (e as Error).name, retryable: (e as { retryable?: boolean }).retryable }),
  );
  mock.restore();
  // It throws a retryable error so that Lambda tries the event again; never recorded failed.
  expect(outcome).toStrictEqual({ thrown: 'StillWaitingError', retryable: true });
});
