/**
 * A drill's resource that is never ready (a DynamoDB table UPDATING past every run's deadline) was
 * waited for on every run with no count: the cleanup neither finished nor said so. The waits are
 * now counted apart from the attempts and, at CLEANUP_NOT_READY_MAX_RUNS, the cleanup stops, deletes
 * nothing more and dead-letters drill-cleanup-failed with the reason.
 */

import { DescribeRestoreJobCommand, StartRestoreJobCommand } from '@aws-sdk/client-backup';
import { localS3ControlClient } from '../../local/resources/s3';
import { sleep } from '../../local/time';
import { type CleanupDeps, cleanupDueDrills } from '../../src/drills/cleanup';
import { recordCompletedDrill } from '../../src/drills/record';
import type { DrillClients } from '../../src/drills/resources';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { findDrillRecord } from '../../src/table/drills';
import { createLinkWriter, inputFingerprint } from '../../src/table/links';
import { deadLetters } from '../helpers/dead-letters';
import { ROLE, startValidationEnv, TABLE, type ValidationEnv } from './validation/local-env';

let env: ValidationEnv;
let deps: CleanupDeps;
let clients: DrillClients;
let s3control: ReturnType<typeof localS3ControlClient>;
const metricLines: string[] = [];

beforeEach(async () => {
  env = await startValidationEnv({
    timing: { availableAfterMs: 0, runningAfterMs: 0, statusOkAfterMs: 0, goneAfterMs: 0, updatingMs: 30 },
  });
  const r = env.deps.resources;
  s3control = localS3ControlClient(env.aws.url, 'eu-west-1');
  clients = { ddb: env.deps.ddb, rds: r.rds, ec2: r.ec2, efs: r.efs, s3: r.s3, s3control: () => s3control };
  metricLines.length = 0;
  deps = {
    ddb: env.deps.ddb,
    backup: env.backup,
    sqs: async () => env.sqs,
    clients,
    config: { restoreJobsTable: TABLE, deadLetterQueueUrl: env.deadLetterQueueUrl },
    logger: createLogger({ sink: (l) => env.lines.push(l), level: 'debug' }),
    metrics: createMetrics((l) => metricLines.push(l)),
    now: () => new Date(),
    // The run waits out a table UPDATING in short real steps here (AWS: seconds).
    sleep: () => sleep(10),
  };
});

afterEach(async () => {
  s3control.destroy();
  await env.close();
});

const HOURS_AGO = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

type Original = Parameters<ReturnType<typeof createLinkWriter>['write']>[0]['original'];

/**
 * Restores a point as a drill (or with `original`), links it as the pipeline does, waits for
 * COMPLETED and hands it off as the tracker does (the untagged drill record), completed `hoursAgo`.
 */
async function drill(
  type: string,
  point: string,
  metadata: Record<string, string>,
  options: { hours?: number; hoursAgo?: number; original?: Original } = {},
) {
  const hours = options.hours ?? 1;
  const { RestoreJobId } = await env.backup.send(
    new StartRestoreJobCommand({
      RecoveryPointArn: point,
      ResourceType: type,
      Metadata: metadata,
      IamRoleArn: ROLE,
    }),
  );
  const restoreJobId = RestoreJobId ?? '';
  const request = {
    RecoveryPointArn: point,
    ResourceType: type,
    Metadata: metadata,
    Drill: { DeleteAfterHours: hours },
  };
  await createLinkWriter(env.deps.ddb, TABLE, () => new Date()).write({
    restoreJobId,
    original: options.original ?? { trigger: 'sqs', body: JSON.stringify(request) },
    trigger: { type: 'sqs', id: `m-${restoreJobId}`, attempt: 1 },
    redriveCount: 0,
    recoveryPointArn: point,
    resourceType: type,
    startedAt: new Date().toISOString(),
    fingerprint: inputFingerprint({
      RecoveryPointArn: point,
      ResourceType: type,
      Metadata: metadata,
      IamRoleArn: ROLE,
    }),
  });
  let arn = '';
  for (let i = 0; i < 300 && arn === ''; i++) {
    const job = await env.backup.send(new DescribeRestoreJobCommand({ RestoreJobId: restoreJobId }));
    if (job.Status === 'COMPLETED') arn = job.CreatedResourceArn ?? '';
    else await sleep(10);
  }
  expect(arn).not.toBe('');
  await recordCompletedDrill(
    env.deps.ddb,
    TABLE,
    {
      restoreJobId,
      resourceType: type,
      createdResourceArn: arn,
      completedAt: HOURS_AGO(options.hoursAgo ?? hours + 1),
      spec: { deleteAfterHours: hours },
    },
    new Date(),
  );
  return { restoreJobId, arn };
}

const live = (arn: string) => {
  const r = env.aws.resources.store.byArn(arn);
  return r !== undefined && r.deletedAt === undefined;
};

const POINT = 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/backup/01732617600000-a1b2c3d4';

test('a table UPDATING on every run: counted, then dead-lettered drill-cleanup-failed at the bound, never deleted', async () => {
  const { restoreJobId, arn } = await drill('DynamoDB', POINT, { targetTableName: 'orders-r1a2b3c4' });
  const table = env.aws.resources.store.byArn(arn);
  if (table !== undefined) table.deletionProtection = true;
  (env.aws.resources.store.timing as { updatingMs: number }).updatingMs = 3_600_000;
  const bounded = { ...deps, config: { ...deps.config, cleanupNotReadyMaxRuns: 3 } };
  const run = () => cleanupDueDrills({ ...bounded, deadline: Date.now() + 200 });
  expect(await run()).toMatchObject({ retry: 1, failed: 0 });
  expect(await run()).toMatchObject({ retry: 1, failed: 0 });
  expect((await findDrillRecord(env.deps.ddb, TABLE, restoreJobId))?.notReadyRuns).toBe(2);
  expect(await deadLetters(env)).toStrictEqual([]);
  // The third run that finds it not ready is the last.
  expect(await run()).toMatchObject({ retry: 0, failed: 1 });
  const record = await findDrillRecord(env.deps.ddb, TABLE, restoreJobId);
  expect(record?.drillState).toBe('failed');
  expect(record?.cleanupReason).toMatch(/not ready after 3 runs .*CLEANUP_NOT_READY_MAX_RUNS/);
  expect(live(arn)).toBe(true);
  const letters = await deadLetters(env);
  expect(letters.map((l) => [l.failure, l.restoreJob?.restoreJobId])).toStrictEqual([
    ['drill-cleanup-failed', restoreJobId],
  ]);
  expect(letters[0]?.reason).toMatch(/UPDATING|not ready/);
  // A later run does nothing more to it.
  expect(await run()).toMatchObject({ retry: 0, failed: 0, deleted: 0 });
  expect(live(arn)).toBe(true);
});
