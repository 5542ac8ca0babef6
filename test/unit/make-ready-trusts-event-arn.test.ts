/**
 * makeReady acts on the job as AWS Backup describes it (DescribeRestoreJob), never on the event's
 * createdResourceArn: a COMPLETED event naming a job the pipeline did start, but another table as
 * its created resource, leaves that table alone (it is never tagged backup-restore:ready, its PITR,
 * TTL, stream and deletion protection never rewritten); a job whose recovery point is not its
 * link's is not acted on at all.
 */
import { completedEvent, fakeReadyJob, makeReadyHandler } from '../helpers/make-ready';
import { mockAws, restoreAws } from '../helpers/mocks';
import { type FakeTable, fakeTables } from '../helpers/ready-fakes';

const POINT = 'arn:aws:backup:eu-west-1:123456789012:recovery-point:1a2b3c4d-5678-90ab-cdef-1234567890ab';
const REQUEST = {
  RecoveryPointArn: POINT,
  ResourceType: 'DynamoDB',
  Metadata: { targetTableName: 'orders-restored' },
};

async function run(jobPoint: string) {
  const aws = mockAws();
  // What AWS Backup says of the job: the copy it made is orders-restored.
  fakeReadyJob(aws, {
    request: REQUEST,
    sourceArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders',
    createdResourceArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders-restored',
    recoveryPointArn: jobPoint,
  });
  const tables: Record<string, FakeTable> = {
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
  const writes: string[] = [];
  fakeTables(aws.ddb, tables, writes);
  const handler = makeReadyHandler(aws);
  const event = completedEvent({
    id: 'ev-forged',
    resourceType: 'DynamoDB',
    createdResourceArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/billing',
    recoveryPointArn: POINT,
  });
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
