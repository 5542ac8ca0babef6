/**
 * Bad luck on a drill's name, through the real cleanup and the local endpoint: the drill's resource
 * is deleted by someone and another is made under the same name (the same ARN), after the job
 * completed, before the cleanup's first run, or before an operator resets a refused record to
 * `untagged` as its letter advises. Untagged, created after the job started, named by the job: only
 * its creation after the job's completion shows it is not the job's. Never tagged, never deleted.
 */

import { DescribeRestoreJobCommand, StartRestoreJobCommand } from '@aws-sdk/client-backup';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { localS3ControlClient } from '../../../local/resources/s3';
import { type CleanupDeps, cleanupDueDrills } from '../../../src/drills/cleanup';
import { DRILL_TAG_KEY, REUSED_NAME_MARGIN_MS } from '../../../src/drills/drill';
import { findDrillRecord, recordCompletedDrill } from '../../../src/drills/record';
import { createLogger } from '../../../src/logger';
import { createMetrics } from '../../../src/metrics';
import { createLinkWriter, inputFingerprint } from '../../../src/outcome/job-link';
import { ROLE, startValidationEnv, TABLE, type ValidationEnv } from '../validation/local-env';

const POINT =
  'arn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-5f2a9c1e-3b7d-4e8f-9a6b-1c2d3e4f5a6b';
const META = { DBInstanceIdentifier: 'orders-db-r1a2b3c4' };

let env: ValidationEnv;
let deps: CleanupDeps;
let s3control: ReturnType<typeof localS3ControlClient>;

beforeEach(async () => {
  env = await startValidationEnv({
    timing: { availableAfterMs: 0, runningAfterMs: 0, statusOkAfterMs: 0, goneAfterMs: 0 },
  });
  const r = env.deps.resources;
  s3control = localS3ControlClient(env.aws.url, 'eu-west-1');
  deps = {
    ddb: env.deps.ddb,
    backup: env.backup,
    sqs: async () => env.sqs,
    clients: { ddb: env.deps.ddb, rds: r.rds, ec2: r.ec2, efs: r.efs, s3: r.s3, s3control: () => s3control },
    config: { restoreJobsTable: TABLE, deadLetterQueueUrl: env.deadLetterQueueUrl },
    logger: createLogger({ sink: (l) => env.lines.push(l), level: 'debug' }),
    metrics: createMetrics(() => {}),
    now: () => new Date(),
  };
});

afterEach(async () => {
  s3control.destroy();
  await env.close();
});

/** An RDS drill restored, linked and handed off as the pipeline does, due now. */
async function drill(hours = 1): Promise<{ restoreJobId: string; arn: string }> {
  const input = { RecoveryPointArn: POINT, ResourceType: 'RDS', Metadata: META, IamRoleArn: ROLE };
  const restoreJobId = (await env.backup.send(new StartRestoreJobCommand(input))).RestoreJobId ?? '';
  const body = JSON.stringify({ ...input, IamRoleArn: undefined, Drill: { DeleteAfterHours: hours } });
  await createLinkWriter(env.deps.ddb, TABLE, () => new Date()).write({
    restoreJobId,
    original: { trigger: 'sqs', body },
    trigger: { type: 'sqs', id: `m-${restoreJobId}`, attempt: 1 },
    redriveCount: 0,
    recoveryPointArn: POINT,
    resourceType: 'RDS',
    startedAt: new Date().toISOString(),
    fingerprint: inputFingerprint(input),
  });
  let arn = '';
  for (let i = 0; i < 300 && arn === ''; i++) {
    const job = await env.backup.send(new DescribeRestoreJobCommand({ RestoreJobId: restoreJobId }));
    if (job.Status === 'COMPLETED') arn = job.CreatedResourceArn ?? '';
    else await new Promise((r) => setTimeout(r, 10));
  }
  const completedAt = new Date(Date.now() - 2 * 3_600_000).toISOString();
  await recordCompletedDrill(
    env.deps.ddb,
    TABLE,
    {
      restoreJobId,
      resourceType: 'RDS',
      createdResourceArn: arn,
      completedAt,
      spec: { deleteAfterHours: hours },
    },
    new Date(),
  );
  return { restoreJobId, arn };
}

/** Someone deletes the drill's instance and makes another under its name, `after` ms after completion. */
function reuse(arn: string, after: number) {
  const store = env.aws.resources.store;
  const old = store.byArn(arn);
  if (old === undefined) throw new Error('no resource');
  store.put({ ...old, createdAt: Date.now() + after, tags: {} });
}

it('a resource made under the drill’s name after the job completed is never tagged, and never deleted', async () => {
  const { restoreJobId, arn } = await drill();
  reuse(arn, 2 * REUSED_NAME_MARGIN_MS);
  expect(await cleanupDueDrills(deps)).toMatchObject({ tagged: 0, deleted: 0, refused: 1 });
  const record = await findDrillRecord(env.deps.ddb, TABLE, restoreJobId);
  expect(record?.cleanupReason).toMatch(/its name was reused/);
  expect(env.aws.resources.store.byArn(arn)?.deletedAt).toBeUndefined();
  expect(env.aws.resources.store.byArn(arn)?.tags[DRILL_TAG_KEY]).toBeUndefined();
});

it('a refused record reset to untagged as its letter advises: the replacement is still refused', async () => {
  const { restoreJobId, arn } = await drill(4);
  expect(await cleanupDueDrills(deps)).toMatchObject({ tagged: 1, deleted: 0 });
  deps = { ...deps, now: () => new Date(Date.now() + 4 * 3_600_000) };
  // Gone and replaced after tagging: refused for the missing tag; the operator resets the record.
  reuse(arn, 2 * REUSED_NAME_MARGIN_MS);
  expect(await cleanupDueDrills(deps)).toMatchObject({ deleted: 0, refused: 1 });
  await env.deps.ddb.send(
    new UpdateItemCommand({
      TableName: TABLE,
      Key: { restoreJobId: { S: `${restoreJobId}#drill` } },
      UpdateExpression: 'SET drillState = :u, attempts = :z',
      ExpressionAttributeValues: { ':u': { S: 'untagged' }, ':z': { N: '0' } },
    }),
  );
  const run = await cleanupDueDrills(deps);
  expect(run).toMatchObject({ tagged: 0, deleted: 0 });
  expect(env.aws.resources.store.byArn(arn)?.deletedAt).toBeUndefined();
  expect(env.aws.resources.store.byArn(arn)?.tags[DRILL_TAG_KEY]).toBeUndefined();
});
