/**
 * The claim on a resource (src/outcome/resource-claim.ts) through the real DynamoDB and Backup
 * clients against the local endpoint: who may take it, when it is taken over (a start that died, a
 * job AWS no longer runs or does not know), that naming the job and giving the claim up are the
 * owner's alone, and that a claim read ahead (readClaim) is taken with one put only while it is
 * still as read (takeClaim).
 */

import type { BackupClient } from '@aws-sdk/client-backup';
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { startRestoreJob } from '../../src/aws/backup';
import {
  CLAIM_START_MS,
  claimResource,
  readClaim,
  recordClaimedJob,
  releaseResource,
  takeClaim,
  UNDECIDED,
} from '../../src/outcome/resource-claim';
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
/** Every call the two clients made, as `service Operation`, since the test began. */
let calls: string[] = [];
beforeAll(async () => {
  // Jobs stay PENDING for the whole test: a named job that runs keeps its claim.
  env = await startOutcomeEnv((s) => ({ ...s, timing: { runningAfterMs: 600_000, doneAfterMs: 900_000 } }));
  ({ ddb, backup } = env);
  deps = { ddb, backup };
  for (const [client, service] of [
    [ddb, 'dynamodb'],
    [backup, 'backup'],
  ] as const) {
    (client.middlewareStack as DynamoDBClient['middlewareStack']).add(
      (next, context) => (args) => {
        calls.push(`${service} ${(context.commandName ?? '').replace(/Command$/, '')}`);
        return next(args);
      },
      { step: 'initialize', name: 'countCalls' },
    );
  }
});
afterAll(() => env.close());
// Each test claims its own resource.
beforeEach(() => {
  n += 1;
  resource = `${RESOURCE}-${n}`;
  calls = [];
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

describe('read ahead, then taken (the alarm path)', () => {
  /** Reads the claim for `owner`, then forgets the calls the read made. */
  const readFor = async (owner: string, at: Date) => {
    const read = await readClaim(deps, TABLE, resource, owner, at);
    calls = [];
    return read;
  };

  it('takes a free claim with one PutItem and no other call', async () => {
    const read = await readFor('alarm-a', T0);
    expect(read.kind).toBe('takeable');
    await expect(takeClaim(deps, TABLE, resource, 'alarm-a', later(100), read)).resolves.toStrictEqual({
      kind: 'claimed',
    });
    expect(calls).toStrictEqual(['dynamodb PutItem']);
    expect((await claimOf())?.owner).toStrictEqual({ S: 'alarm-a' });
  });

  it('takes over the claim of a job AWS no longer runs with one PutItem: the read asked AWS already', async () => {
    await claimResource(deps, TABLE, resource, 'alarm-a', T0);
    await recordClaimedJob(ddb, TABLE, resource, 'alarm-a', 'no-such-job');
    calls = [];
    const read = await readClaim(deps, TABLE, resource, 'alarm-b', later(1000));
    expect(calls.sort()).toStrictEqual(['backup DescribeRestoreJob', 'dynamodb GetItem']);
    calls = [];
    await expect(takeClaim(deps, TABLE, resource, 'alarm-b', later(1100), read)).resolves.toStrictEqual({
      kind: 'claimed',
    });
    expect(calls).toStrictEqual(['dynamodb PutItem']);
    const claim = await claimOf();
    expect(claim?.owner).toStrictEqual({ S: 'alarm-b' });
    expect(claim?.job).toBeUndefined();
  });

  it('takes over a released claim, and a start older than CLAIM_START_MS, without asking AWS', async () => {
    await claimResource(deps, TABLE, resource, 'alarm-a', T0);
    await releaseResource(ddb, TABLE, resource, 'alarm-a');
    calls = [];
    const released = await readClaim(deps, TABLE, resource, 'alarm-b', later(1000));
    expect(calls).toStrictEqual(['dynamodb GetItem']);
    await expect(takeClaim(deps, TABLE, resource, 'alarm-b', later(1000), released)).resolves.toStrictEqual({
      kind: 'claimed',
    });

    const died = await readFor('alarm-c', later(1000 + CLAIM_START_MS + 1));
    expect(died.kind).toBe('takeable');
    await expect(
      takeClaim(deps, TABLE, resource, 'alarm-c', later(1000 + CLAIM_START_MS + 1), died),
    ).resolves.toStrictEqual({ kind: 'claimed' });
    expect((await claimOf())?.owner).toStrictEqual({ S: 'alarm-c' });
  });

  it('gives one of two alarms that read a free claim at once the claim, and the other busy', async () => {
    const [readA, readB] = await Promise.all([readFor('alarm-a', T0), readFor('alarm-b', T0)]);
    expect([readA.kind, readB.kind]).toStrictEqual(['takeable', 'takeable']);
    const taken = await Promise.all([
      takeClaim(deps, TABLE, resource, 'alarm-a', later(10), readA),
      takeClaim(deps, TABLE, resource, 'alarm-b', later(10), readB),
    ]);
    expect(taken.map((t) => t.kind).sort()).toStrictEqual(['busy', 'claimed']);
    const winner = taken[0]?.kind === 'claimed' ? 'alarm-a' : 'alarm-b';
    expect((await claimOf())?.owner).toStrictEqual({ S: winner });
  });

  it('gives one of two alarms that read the same stale claim at once the claim, and the other busy', async () => {
    await claimResource(deps, TABLE, resource, 'alarm-a', T0);
    await recordClaimedJob(ddb, TABLE, resource, 'alarm-a', 'no-such-job');
    const [readB, readC] = await Promise.all([
      readFor('alarm-b', later(1000)),
      readFor('alarm-c', later(1000)),
    ]);
    const taken = await Promise.all([
      takeClaim(deps, TABLE, resource, 'alarm-b', later(1010), readB),
      takeClaim(deps, TABLE, resource, 'alarm-c', later(1010), readC),
    ]);
    expect(taken.map((t) => t.kind).sort()).toStrictEqual(['busy', 'claimed']);
  });

  it('is busy when another alarm claimed the free resource between the read and the put', async () => {
    const read = await readFor('alarm-b', T0);
    await claimResource(deps, TABLE, resource, 'alarm-a', later(5));
    await expect(takeClaim(deps, TABLE, resource, 'alarm-b', later(10), read)).resolves.toStrictEqual({
      kind: 'busy',
    });
    expect((await claimOf())?.owner).toStrictEqual({ S: 'alarm-a' });
  });

  it('is busy when the stale claim was taken over, and names a running job, by the time of the put', async () => {
    await claimResource(deps, TABLE, resource, 'alarm-a', T0);
    await recordClaimedJob(ddb, TABLE, resource, 'alarm-a', 'no-such-job');
    const read = await readFor('alarm-c', later(1000));
    expect(read.kind).toBe('takeable');
    // Another alarm takes the stale claim over, and starts its job, while this one prepares.
    const jobId = await runningJob();
    await expect(claimResource(deps, TABLE, resource, 'alarm-b', later(1001))).resolves.toStrictEqual({
      kind: 'claimed',
    });
    await recordClaimedJob(ddb, TABLE, resource, 'alarm-b', jobId);
    await expect(takeClaim(deps, TABLE, resource, 'alarm-c', later(1100), read)).resolves.toStrictEqual({
      kind: 'busy',
      restoreJobId: jobId,
    });
    expect((await claimOf())?.owner).toStrictEqual({ S: 'alarm-b' });
  });

  it('is busy when the owner of the stale claim took it again (its alarm delivered again) since the read', async () => {
    await claimResource(deps, TABLE, resource, 'alarm-a', T0);
    await releaseResource(ddb, TABLE, resource, 'alarm-a');
    const read = await readFor('alarm-b', later(1000));
    expect(read.kind).toBe('takeable');
    // The same owner, a fresh claim: owner alone would still match; the claim as read does not.
    await claimResource(deps, TABLE, resource, 'alarm-a', later(1001));
    await expect(takeClaim(deps, TABLE, resource, 'alarm-b', later(1002), read)).resolves.toStrictEqual({
      kind: 'busy',
    });
    expect((await claimOf())?.owner).toStrictEqual({ S: 'alarm-a' });
  });

  it('leaves a claim that blocks to claimResource, at the put: a running job, a start in progress', async () => {
    const jobId = await runningJob();
    await claimResource(deps, TABLE, resource, 'alarm-a', T0);
    const starting = await readFor('alarm-b', later(1000));
    expect(starting).toStrictEqual(UNDECIDED);
    await expect(takeClaim(deps, TABLE, resource, 'alarm-b', later(1000), starting)).resolves.toStrictEqual({
      kind: 'busy',
    });

    await recordClaimedJob(ddb, TABLE, resource, 'alarm-a', jobId);
    const running = await readFor('alarm-b', later(86_400_000));
    expect(running).toStrictEqual(UNDECIDED);
    await expect(
      takeClaim(deps, TABLE, resource, 'alarm-b', later(86_400_000), running),
    ).resolves.toStrictEqual({ kind: 'busy', restoreJobId: jobId });
    expect((await claimOf())?.owner).toStrictEqual({ S: 'alarm-a' });
  });

  it('asks AWS about the job it last named while the claim is read, and decides on the job the claim names', async () => {
    await claimResource(deps, TABLE, resource, 'alarm-a', T0);
    await recordClaimedJob(ddb, TABLE, resource, 'alarm-a', 'no-such-job');
    calls = [];
    const guessed = await readClaim(deps, TABLE, resource, 'alarm-b', later(1000));
    // In the order they were sent: DescribeRestoreJob did not wait for GetItem's answer.
    expect(calls).toStrictEqual(['backup DescribeRestoreJob', 'dynamodb GetItem']);
    expect(guessed.kind).toBe('takeable');

    // Named elsewhere since (another instance): the guess is asked about, but the claim's job decides.
    const jobId = await runningJob();
    await ddb.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {
          restoreJobId: { S: `active#${resource}` },
          owner: { S: 'alarm-x' },
          claimedAt: { N: String(T0.getTime()) },
          job: { S: jobId },
        },
      }),
    );
    calls = [];
    const read = await readClaim(deps, TABLE, resource, 'alarm-b', later(2000));
    expect(calls.sort()).toStrictEqual([
      'backup DescribeRestoreJob',
      'backup DescribeRestoreJob',
      'dynamodb GetItem',
    ]);
    expect(read).toStrictEqual(UNDECIDED);
    await expect(takeClaim(deps, TABLE, resource, 'alarm-b', later(2000), read)).resolves.toStrictEqual({
      kind: 'busy',
      restoreJobId: jobId,
    });
  });

  it('takes its own claim again (the same alarm delivered twice)', async () => {
    await claimResource(deps, TABLE, resource, 'alarm-a', T0);
    const read = await readFor('alarm-a', later(1000));
    expect(read.kind).toBe('takeable');
    await expect(takeClaim(deps, TABLE, resource, 'alarm-a', later(1000), read)).resolves.toStrictEqual({
      kind: 'claimed',
    });
    expect(calls).toStrictEqual(['dynamodb PutItem']);
  });

  it('decides as claimResource when nothing was read (the read failed)', async () => {
    await expect(takeClaim(deps, TABLE, resource, 'alarm-a', T0, UNDECIDED)).resolves.toStrictEqual({
      kind: 'claimed',
    });
    await expect(takeClaim(deps, TABLE, resource, 'alarm-b', later(1000), UNDECIDED)).resolves.toStrictEqual({
      kind: 'busy',
    });
  });
});
