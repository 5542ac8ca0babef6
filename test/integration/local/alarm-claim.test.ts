/**
 * The alarm path's claim on the resource (src/act/restore-resource.ts with src/table/claims.ts),
 * through the real clients and the local endpoint with latency: the claim is read with the guard
 * while the restore is planned (the search), and taken while the plan reads the metadata, so a
 * claim left by an ended job adds no call in sequence; the job is named on the claim while its
 * link is written; a claim taken for a request that then fails is given up (with the job it named,
 * when the job is another request's); two alarms at once still start one restore.
 */

import { BackupClient } from '@aws-sdk/client-backup';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DYNAMODB_OPERATIONS, type LocalAws, startLocalAws } from '../../../local/endpoint';
import type { FaultPlan } from '../../../local/faults';
import { defaultSeed } from '../../../local/pipeline';
import { createRestoreJobsTable } from '../../../local/setup';
import { restoreByResource } from '../../../src/act/restore-resource';
import { planResourceRestore, type ResourceRestore } from '../../../src/plan/resource-restore';
import type { Deps, Outcome } from '../../../src/types';
import { testConfig, testDeps } from '../../helpers/fixtures';

const TABLE = 'alarm-claim-jobs';
const RESOURCE = 'arn:aws:rds:eu-west-1:123456789012:db:billing-db';
/** Backup calls take this long, DynamoDB calls a tenth: the order of the calls shows in their times. */
const BACKUP_MS = 60;
const LATENCIES: FaultPlan = {
  '*': { latencyMs: BACKUP_MS },
  ...Object.fromEntries([...DYNAMODB_OPERATIONS].map((op) => [op, { latencyMs: BACKUP_MS / 10 }])),
};

interface Call {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

let aws: LocalAws;
let deps: Deps;
let calls: Call[] = [];
let n = 0;
const letters: string[] = [];

beforeAll(async () => {
  // Jobs end at once: a claim naming an earlier job is one that may be taken over.
  aws = await startLocalAws({ seed: { ...defaultSeed(), timing: { runningAfterMs: 1, doneAfterMs: 2 } } });
  const options = {
    region: 'eu-west-1',
    endpoint: aws.url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  };
  const backup = new BackupClient(options);
  const ddb = new DynamoDBClient(options);
  for (const [client, service] of [
    [backup, 'backup'],
    [ddb, 'dynamodb'],
  ] as const) {
    (client.middlewareStack as DynamoDBClient['middlewareStack']).add(
      (next, context) => async (args) => {
        const start = performance.now();
        try {
          return await next(args);
        } finally {
          calls.push({
            name: `${service} ${(context.commandName ?? '').replace(/Command$/, '')}`,
            start,
            end: performance.now(),
          });
        }
      },
      { step: 'initialize', name: 'traceCalls' },
    );
  }
  await createRestoreJobsTable(ddb, TABLE);
  // A skipped alarm is dead-lettered: the letters are kept here.
  const sqs = {
    send: async (command: { input: { MessageBody?: string } }) => {
      letters.push(command.input.MessageBody ?? '');
      return { MessageId: `letter-${letters.length}` };
    },
  };
  deps = testDeps({
    backup,
    ddb,
    sqs: async () => sqs as never,
    config: testConfig({ RESTORE_JOBS_TABLE: TABLE }),
    now: () => new Date(),
  });
});
afterAll(async () => {
  deps.backup.destroy();
  deps.ddb.destroy();
  await aws.close();
});
beforeEach(() => {
  aws.faults.set(LATENCIES);
  calls = [];
});

/**
 * One alarm transition on the resource (its own idempotency token); with `as`, a restore of the
 * resource with that token and those fields instead.
 */
function alarm(as?: Partial<ResourceRestore>): Promise<Outcome> {
  n += 1;
  const spec: ResourceRestore = {
    resourceArn: RESOURCE,
    backupVaultName: 'Default',
    overrides: {},
    selection: { mode: 'latest' },
    at: new Date(),
    idempotencyToken: `alarm-claim-test-${process.pid}-${n}`,
    oneAtATime: true,
    ...as,
  };
  return restoreByResource(
    deps,
    spec,
    planResourceRestore(deps, spec, undefined, deps.logger),
    { original: { trigger: 'eventbridge', event: {} }, redriveCount: 0 },
    { trigger: { type: 'eventbridge', id: `event-${n}`, attempt: 1 }, lastAttempt: false },
    deps.logger,
  );
}

const claim = async () =>
  (
    await deps.ddb.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: { restoreJobId: { S: `active#${RESOURCE}` } },
        ConsistentRead: true,
      }),
    )
  ).Item;

const only = (name: string) => {
  const found = calls.filter((c) => c.name === name);
  expect(found).toHaveLength(1);
  return found[0] as Call;
};

/** Waits until the local service has ended every job (they end 2 ms after they start). */
const jobsEnded = () => new Promise((resolve) => setTimeout(resolve, 20));

it('reads the claim of an ended job with the search, and takes it while the metadata is read', async () => {
  const first = await alarm();
  expect(first.status).toBe('started');
  await jobsEnded();
  calls = [];

  const second = await alarm();
  expect(second.status).toBe('started');
  if (second.status !== 'started' || first.status !== 'started') return;
  expect(second.restoreJobId).not.toBe(first.restoreJobId);

  const search = only('backup ListRecoveryPointsByBackupVault');
  const read = only('dynamodb GetItem');
  const asked = only('backup DescribeRestoreJob');
  const metadata = only('backup GetRecoveryPointRestoreMetadata');
  const start = only('backup StartRestoreJob');
  // The claim's read and AWS's word on its job, at the same time as the search.
  expect(read.start).toBeLessThan(search.end);
  expect(asked.start).toBeLessThan(search.end);
  // One put takes it (the job link's is the other PutItem, after the start), while the metadata is read.
  const puts = calls.filter((c) => c.name === 'dynamodb PutItem' && c.start < start.start);
  expect(puts).toHaveLength(1);
  expect(puts[0]?.start).toBeLessThan(metadata.end);
  expect(puts[0]?.start).toBeGreaterThanOrEqual(asked.end);
  expect(start.start).toBeGreaterThanOrEqual(Math.max(metadata.end, puts[0]?.end ?? Infinity));
  // Nothing of the claim is left between the metadata and the start.
  const between = calls.filter((c) => c.start >= metadata.end && c.end <= start.start);
  expect(between.map((c) => c.name)).toStrictEqual([]);

  // The claim names the job while the job's link is written, not after it.
  const link = calls.find((c) => c.name === 'dynamodb PutItem' && c.start >= start.end);
  const naming = only('dynamodb UpdateItem');
  expect(naming.start).toBeGreaterThanOrEqual(start.end);
  expect(naming.start).toBeLessThan(link?.end ?? 0);

  const item = await claim();
  expect(item?.owner).toStrictEqual({ S: `alarm-claim-test-${process.pid}-${n}` });
  expect(item?.job).toStrictEqual({ S: second.restoreJobId });
});

it("gives up the claim, and the job it named, when the job AWS answers is another request's", async () => {
  // A request by resource takes the token the next alarm will derive, asking for something else.
  const token = `alarm-claim-test-${process.pid}-reused`;
  const other = await alarm({
    idempotencyToken: token,
    oneAtATime: false,
    overrides: { DBInstanceClass: 'db.t3.large' },
  });
  expect(other.status).toBe('started');
  if (other.status !== 'started') return;
  await jobsEnded();
  // AWS answers the alarm's start with that request's job, whose link says it asked for another restore.
  await expect(alarm({ idempotencyToken: token })).rejects.toThrow(
    `already belongs to restore job ${other.restoreJobId}`,
  );
  // The claim was named with that job alongside the link, then given up with it: the next alarm
  // takes it at once, and no alarm is held back by a job of another request.
  const item = await claim();
  expect(item?.owner).toStrictEqual({ S: token });
  expect(item?.claimedAt).toStrictEqual({ N: '0' });
  expect(item?.job).toBeUndefined();
  await expect(alarm()).resolves.toMatchObject({ status: 'started' });
});

it('gives up the claim it took when the recovery point metadata cannot be read', async () => {
  await alarm();
  await jobsEnded();
  aws.faults.set({
    ...LATENCIES,
    GetRecoveryPointRestoreMetadata: { latencyMs: BACKUP_MS, errorRates: { ServiceUnavailable: 1 } },
  });
  const jobs = aws.backup.jobs.length;
  await expect(alarm()).rejects.toMatchObject({ retryable: true });
  expect(aws.backup.jobs).toHaveLength(jobs);
  // Taken for this alarm, then given up: the next alarm need not wait CLAIM_START_MS.
  const item = await claim();
  expect(item?.owner).toStrictEqual({ S: `alarm-claim-test-${process.pid}-${n}` });
  expect(item?.claimedAt).toStrictEqual({ N: '0' });
  expect(item?.job).toBeUndefined();

  aws.faults.set(LATENCIES);
  await expect(alarm()).resolves.toMatchObject({ status: 'started' });
});

it('starts one restore for two alarms at once on a resource whose claim names an ended job', async () => {
  await alarm();
  await jobsEnded();
  const jobs = aws.backup.jobs.length;
  const before = letters.length;
  const outcomes = await Promise.all([alarm(), alarm()]);
  expect(outcomes.map((o) => o.status).sort()).toStrictEqual(['skipped', 'started']);
  expect(aws.backup.jobs).toHaveLength(jobs + 1);
  // The skipped one is dead-lettered with its reason, never silent.
  expect(letters.slice(before).map((l) => JSON.parse(l).error.name)).toStrictEqual(['RestoreSkippedError']);
  const started = outcomes.find((o) => o.status === 'started');
  expect((await claim())?.job).toStrictEqual({
    S: started?.status === 'started' ? started.restoreJobId : '',
  });
});
