/**
 * The claim on a resource (src/outcome/resource-claim.ts) through the real DynamoDB and Backup
 * clients against the local endpoint: who may take it, when it is taken over (a start that died, a
 * job AWS no longer runs or does not know), and that naming the job and giving the claim up are
 * the owner's alone.
 */

import type { BackupClient } from '@aws-sdk/client-backup';
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { startRestoreJob } from '../src/aws/backup';
import {
  CLAIM_START_MS,
  claimResource,
  recordClaimedJob,
  releaseResource,
} from '../src/outcome/resource-claim';
import { type OutcomeEnv, startOutcomeEnv, TABLE } from './outcome-env';

const RESOURCE = 'arn:aws:rds:eu-west-1:123456789012:db:orders-db';
const T0 = new Date('2026-11-27T10:00:00.000Z');
const later = (ms: number) => new Date(T0.getTime() + ms);

let env: OutcomeEnv;
let ddb: DynamoDBClient;
let backup: BackupClient;
let deps: { ddb: DynamoDBClient; backup: BackupClient };
let resource: string;
let n = 0;
beforeAll(async () => {
  // Jobs stay PENDING for the whole test: a named job that runs keeps its claim.
  env = await startOutcomeEnv((s) => ({ ...s, timing: { runningAfterMs: 600_000, doneAfterMs: 900_000 } }));
  ({ ddb, backup } = env);
  deps = { ddb, backup };
});
afterAll(() => env.close());
// Each test claims its own resource.
beforeEach(() => {
  n += 1;
  resource = `${RESOURCE}-${n}`;
});

const claimOf = async () =>
  (
    await ddb.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: { restoreJobId: { S: `active#${resource}` } },
        ConsistentRead: true,
      }),
    )
  ).Item;

const runningJob = () =>
  startRestoreJob(backup, {
    RecoveryPointArn: 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718',
    Metadata: { availabilityZone: 'eu-west-1a' },
    IamRoleArn: 'arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole',
  });

it('is taken by the first owner, again by the same owner, and is busy for another while fresh', async () => {
  await expect(claimResource(deps, TABLE, resource, 'alarm-a', T0)).resolves.toStrictEqual({
    kind: 'claimed',
  });
  await expect(claimResource(deps, TABLE, resource, 'alarm-a', later(1000))).resolves.toStrictEqual({
    kind: 'claimed',
  });
  await expect(claimResource(deps, TABLE, resource, 'alarm-b', later(2000))).resolves.toStrictEqual({
    kind: 'busy',
  });
  expect((await claimOf())?.owner).toStrictEqual({ S: 'alarm-a' });
});

it('is taken over once a start that never named its job is older than CLAIM_START_MS', async () => {
  await claimResource(deps, TABLE, resource, 'alarm-a', T0);
  await expect(claimResource(deps, TABLE, resource, 'alarm-b', later(CLAIM_START_MS))).resolves.toStrictEqual(
    {
      kind: 'busy',
    },
  );
  await expect(
    claimResource(deps, TABLE, resource, 'alarm-b', later(CLAIM_START_MS + 1)),
  ).resolves.toStrictEqual({ kind: 'claimed' });
  expect((await claimOf())?.owner).toStrictEqual({ S: 'alarm-b' });
});

it('names its job, and stays busy while AWS runs that job, however old', async () => {
  const jobId = await runningJob();
  await claimResource(deps, TABLE, resource, 'alarm-a', T0);
  await recordClaimedJob(ddb, TABLE, resource, 'alarm-a', jobId);
  expect((await claimOf())?.job).toStrictEqual({ S: jobId });
  await expect(claimResource(deps, TABLE, resource, 'alarm-b', later(86_400_000))).resolves.toStrictEqual({
    kind: 'busy',
    restoreJobId: jobId,
  });
});

it('is taken over when its job is one AWS does not know (DescribeRestoreJob: ResourceNotFoundException)', async () => {
  await claimResource(deps, TABLE, resource, 'alarm-a', T0);
  await recordClaimedJob(ddb, TABLE, resource, 'alarm-a', 'no-such-job');
  await expect(claimResource(deps, TABLE, resource, 'alarm-b', later(1000))).resolves.toStrictEqual({
    kind: 'claimed',
  });
});

it('lets only its owner name a job or give it up, and is not given up once it names a job', async () => {
  await claimResource(deps, TABLE, resource, 'alarm-a', T0);
  // Not the owner: nothing changes, and nothing is thrown.
  await expect(recordClaimedJob(ddb, TABLE, resource, 'alarm-b', 'job-x')).resolves.toBeUndefined();
  await expect(releaseResource(ddb, TABLE, resource, 'alarm-b')).resolves.toBeUndefined();
  const untouched = await claimOf();
  expect(untouched?.job).toBeUndefined();
  expect(untouched?.claimedAt).toStrictEqual({ N: String(T0.getTime()) });

  // The owner gives it up: the next alarm need not wait CLAIM_START_MS.
  await releaseResource(ddb, TABLE, resource, 'alarm-a');
  expect((await claimOf())?.claimedAt).toStrictEqual({ N: '0' });
  await expect(claimResource(deps, TABLE, resource, 'alarm-b', later(1000))).resolves.toStrictEqual({
    kind: 'claimed',
  });

  // A claim that names its job is not given up: the job runs.
  const jobId = await runningJob();
  await recordClaimedJob(ddb, TABLE, resource, 'alarm-b', jobId);
  await releaseResource(ddb, TABLE, resource, 'alarm-b');
  expect((await claimOf())?.claimedAt).toStrictEqual({ N: String(later(1000).getTime()) });
});
