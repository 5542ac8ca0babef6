/**
 * validateRestore end to end: real restore jobs on the local endpoint, their resources coming into
 * existence on COMPLETED, the tracker's requestValidation, and the handler reading every service
 * through the real SDK clients.
 */

import { DeleteMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { createHandler } from '../../../handlers/validate-restore';
import { findVerdict } from '../../../src/table/verdicts';
import { requestValidation } from '../../../src/validation/queue';
import { deadLetters } from '../../helpers/dead-letters';
import {
  context,
  receive,
  restoreAndLink,
  startValidationEnv,
  TABLE,
  type ValidationEnv,
  validationMessages,
} from './local-env';

const EBS_POINT = 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718';
const EC2_POINT = 'arn:aws:ec2:eu-west-1::image/ami-0abcdef1234567890';
const DDB_POINT = 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/backup/01732617600000-a1b2c3d4';
// The EBS and EC2 requests say Ready: false: these tests judge the copy as restored (make-ready's
// own tests make it ready first: test/integration/ready-local.test.ts).
const FSX_LIKE = 'arn:aws:backup:eu-west-1:123456789012:recovery-point:3c1f7e42-9a0d-4b6e-8f21-5d7a9b0c1e2f';

let env: ValidationEnv;
afterEach(async () => env?.close());

async function completeAndQueue(request: Parameters<typeof restoreAndLink>[1]) {
  const job = await restoreAndLink(env, request);
  await requestValidation(
    { sqs: env.deps.sqs, validationQueueUrl: env.validationQueueUrl, now: () => new Date() },
    {
      restoreJobId: job.restoreJobId,
      resourceType: request.ResourceType,
      createdResourceArn: job.createdResourceArn,
    },
  );
  return job;
}

/** Delivers what is visible to the handler, and deletes what succeeded, as the SQS event source does. */
async function deliver() {
  const event = await receive(env, env.validationQueueUrl);
  const response = (await createHandler(env.deps)(event, context)) as {
    batchItemFailures: { itemIdentifier: string }[];
  };
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  for (const r of event.Records.filter((x) => !failed.has(x.messageId))) {
    await env.sqs.send(
      new DeleteMessageCommand({ QueueUrl: env.validationQueueUrl, ReceiptHandle: r.receiptHandle }),
    );
  }
  return { event, response };
}

describe('validateRestore', () => {
  it('passes an EBS volume that AWS reports available at the requested size, and records it once', async () => {
    env = await startValidationEnv({ timing: { availableAfterMs: 0 } });
    const job = await completeAndQueue({
      RecoveryPointArn: EBS_POINT,
      ResourceType: 'EBS',
      Ready: false,
      Metadata: { availabilityZone: 'eu-west-1a', volumeSize: '100' },
    });
    expect(env.aws.resources.store.byArn(job.createdResourceArn)?.kind).toBe('volume');
    const { event, response } = await deliver();
    expect(response).toEqual({ batchItemFailures: [] });
    const verdict = await findVerdict(env.deps.ddb, TABLE, job.restoreJobId);
    expect(verdict).toMatchObject({ verdict: 'pass', checkedBy: 'built-in', attempts: 1 });
    expect(verdict?.reason).toMatch(/available, 100 GiB/);
    expect(deadLetters(env)).toHaveLength(0);
    expect(env.metricLines.some((l) => l.includes('"RestoreValidationsPassed":1'))).toBe(true);
    expect(env.metricLines.some((l) => l.includes('"RestoreJobDuration"'))).toBe(true);
    // The same message again (SQS delivers at least once): the first verdict stands.
    await createHandler(env.deps)(event, context);
    expect(env.lines.some((l) => l.includes('already has its verdict'))).toBe(true);
  });

  it('puts a booting EC2 instance back on the queue with a delay, then passes it once its checks are ok', async () => {
    env = await startValidationEnv({ timing: { runningAfterMs: 0, statusOkAfterMs: 60_000 } });
    const job = await completeAndQueue({
      RecoveryPointArn: EC2_POINT,
      ResourceType: 'EC2',
      Metadata: {},
      Ready: false as const,
    });
    await deliver();
    expect(await findVerdict(env.deps.ddb, TABLE, job.restoreJobId)).toBeUndefined();
    const queued = validationMessages(env).filter((m) => m.body.attempt === 2);
    expect(queued).toHaveLength(1);
    // DelaySeconds 30: not visible before then, so nothing waits inside the function.
    expect(queued[0]?.visibleInMs).toBeGreaterThan(25_000);
    expect((await receive(env, env.validationQueueUrl)).Records).toHaveLength(0);
    expect(env.metricLines.some((l) => l.includes('"RestoreValidationsRetried":1'))).toBe(true);

    // The status checks pass; the delayed message comes due.
    const instance = env.aws.resources.store.byArn(job.createdResourceArn);
    if (instance === undefined) throw new Error('no instance');
    instance.statusChecks = 'ok';
    const q = [...env.aws.sqs.queues.values()].find((x) => x.name === 'restore-validation');
    for (const m of q?.messages ?? []) m.visibleAt = Date.now();
    await deliver();
    expect(await findVerdict(env.deps.ddb, TABLE, job.restoreJobId)).toMatchObject({
      verdict: 'pass',
      attempts: 2,
    });
  });

  it('dead-letters the original request when a restored instance fails its status checks', async () => {
    env = await startValidationEnv({ timing: { runningAfterMs: 0 } });
    const request = { RecoveryPointArn: EC2_POINT, ResourceType: 'EC2', Metadata: {}, Ready: false as const };
    const job = await restoreAndLink(env, request);
    const instance = env.aws.resources.store.byArn(job.createdResourceArn);
    if (instance === undefined) throw new Error('no instance');
    instance.statusChecks = 'impaired';
    await requestValidation(
      { sqs: env.deps.sqs, validationQueueUrl: env.validationQueueUrl, now: () => new Date() },
      { restoreJobId: job.restoreJobId, resourceType: 'EC2' },
    );
    await deliver();
    const letters = deadLetters(env);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      kind: 'restore-dead-letter',
      failure: 'restore-validation-failed',
      original: { trigger: 'sqs', body: JSON.stringify(request) },
      restoreJob: { restoreJobId: job.restoreJobId, status: 'COMPLETED', resourceType: 'EC2' },
      trigger: { type: 'restore-validation', id: job.restoreJobId },
    });
    expect(letters[0]?.reason).toMatch(/status checks fail/);
    expect(letters[0]?.reason).toContain(job.createdResourceArn);
    expect(await findVerdict(env.deps.ddb, TABLE, job.restoreJobId)).toMatchObject({ verdict: 'fail' });
    expect(env.metricLines.some((l) => l.includes('"RestoreValidationsFailed":1'))).toBe(true);
  });

  it('fails a not-yet at the deadline', async () => {
    env = await startValidationEnv({
      timing: { availableAfterMs: 3_600_000 },
      env: { VALIDATION_DEADLINE_MINUTES: '1' },
    });
    const job = await restoreAndLink(env, {
      RecoveryPointArn: EBS_POINT,
      ResourceType: 'EBS',
      Ready: false,
      Metadata: { availabilityZone: 'eu-west-1a' },
    });
    const longAgo = new Date(Date.now() - 2 * 60_000);
    await requestValidation(
      { sqs: env.deps.sqs, validationQueueUrl: env.validationQueueUrl, now: () => longAgo },
      { restoreJobId: job.restoreJobId, resourceType: 'EBS' },
    );
    await deliver();
    expect(await findVerdict(env.deps.ddb, TABLE, job.restoreJobId)).toMatchObject({ verdict: 'fail' });
    expect(deadLetters(env)[0]?.reason).toMatch(/validation deadline.*Volume .* is creating/);
  });

  it('fails an empty restored table when the recovery point holds data (ItemCount is not trusted)', async () => {
    env = await startValidationEnv({
      timing: { availableAfterMs: 0 },
      seed: (s) => ({
        ...s,
        recoveryPoints: s.recoveryPoints.map((p) =>
          p.RecoveryPointArn === DDB_POINT ? { ...p, BackupSizeInBytes: 52_000 } : p,
        ),
      }),
    });
    const job = await restoreAndLink(env, {
      RecoveryPointArn: DDB_POINT,
      ResourceType: 'DynamoDB',
      Metadata: { targetTableName: 'orders-r1a2b3c4' },
      Ready: false,
    });
    const table = env.aws.resources.store.byArn(job.createdResourceArn);
    if (table === undefined) throw new Error('no table');
    table.items = 0;
    await requestValidation(
      { sqs: env.deps.sqs, validationQueueUrl: env.validationQueueUrl, now: () => new Date() },
      { restoreJobId: job.restoreJobId, resourceType: 'DynamoDB' },
    );
    await deliver();
    expect(deadLetters(env)[0]?.reason).toMatch(/ACTIVE but empty, while the recovery point holds data/);
  });

  it("asks the request's own validator once the built-in check passes, and records its verdict", async () => {
    env = await startValidationEnv({
      timing: { availableAfterMs: 0 },
      env: { ALLOWED_VALIDATOR_FUNCTIONS: 'orders-smoke-test' },
    });
    const seen: unknown[] = [];
    env.aws.resources.lambda.register('orders-smoke-test', (event) => {
      seen.push(event);
      return { verdict: 'fail', reason: 'SELECT count(*) FROM orders returned 0' };
    });
    const job = await completeAndQueue({
      RecoveryPointArn: EBS_POINT,
      ResourceType: 'EBS',
      Ready: false,
      Metadata: { availabilityZone: 'eu-west-1a' },
      Validator: 'orders-smoke-test',
    });
    await deliver();
    expect(seen).toEqual([
      expect.objectContaining({
        kind: 'restore-validation',
        restoreJobId: job.restoreJobId,
        createdResourceArn: job.createdResourceArn,
        resourceType: 'EBS',
        attempt: 1,
        builtIn: expect.objectContaining({ verdict: 'pass' }),
      }),
    ]);
    expect(await findVerdict(env.deps.ddb, TABLE, job.restoreJobId)).toMatchObject({
      verdict: 'fail',
      checkedBy: 'orders-smoke-test',
      reason: 'Validator orders-smoke-test: SELECT count(*) FROM orders returned 0',
    });
    expect(deadLetters(env)).toHaveLength(1);
  });

  it('refuses a validator that is not on the allowlist, without invoking it', async () => {
    env = await startValidationEnv({ timing: { availableAfterMs: 0 } });
    const invoked: unknown[] = [];
    env.aws.resources.lambda.register('anything', (e) => invoked.push(e));
    await completeAndQueue({
      RecoveryPointArn: EBS_POINT,
      ResourceType: 'EBS',
      Ready: false,
      Metadata: { availabilityZone: 'eu-west-1a' },
      Validator: 'anything',
    });
    await deliver();
    expect(invoked).toHaveLength(0);
    expect(deadLetters(env)[0]?.reason).toMatch(
      /Validator anything is not on this deployment's ALLOWED_VALIDATOR_FUNCTIONS/,
    );
  });

  it('records a type without a built-in check as unchecked, not as passed', async () => {
    env = await startValidationEnv({ timing: { availableAfterMs: 0 } });
    const job = await completeAndQueue({
      RecoveryPointArn: FSX_LIKE,
      ResourceType: 'FSx',
      Metadata: {},
    });
    await deliver();
    expect(await findVerdict(env.deps.ddb, TABLE, job.restoreJobId)).toMatchObject({ verdict: 'unchecked' });
    expect(deadLetters(env)).toHaveLength(0);
  });

  it('reports a throttled read for SQS to deliver again, and dead-letters it on the last receive', async () => {
    env = await startValidationEnv({
      timing: { availableAfterMs: 0 },
      env: { VALIDATION_MAX_RECEIVE_COUNT: '2' },
    });
    const job = await completeAndQueue({
      RecoveryPointArn: EBS_POINT,
      ResourceType: 'EBS',
      Ready: false,
      Metadata: { availabilityZone: 'eu-west-1a' },
    });
    env.aws.faults.set({ DescribeVolumes: { errorRates: { ServiceUnavailable: 1 } } });
    const first = await deliver();
    expect(first.response).toEqual({
      batchItemFailures: [{ itemIdentifier: first.event.Records[0]?.messageId }],
    });
    expect(deadLetters(env)).toHaveLength(0);
    const again = {
      Records: first.event.Records.map((r) => ({
        ...r,
        attributes: { ...r.attributes, ApproximateReceiveCount: '2' },
      })),
    };
    const last = await createHandler(env.deps)(again, context);
    expect(last).toEqual({ batchItemFailures: [] });
    expect(deadLetters(env)[0]?.reason).toMatch(/could not run/);
    expect(deadLetters(env)[0]?.restoreJob?.restoreJobId).toBe(job.restoreJobId);
  });

  it('ignores a message that is not a validation, and a job this pipeline did not start', async () => {
    env = await startValidationEnv({ timing: { availableAfterMs: 0 } });
    await env.sqs.send(
      new SendMessageCommand({ QueueUrl: env.validationQueueUrl, MessageBody: '{"hello":1}' }),
    );
    await requestValidation(
      { sqs: env.deps.sqs, validationQueueUrl: env.validationQueueUrl, now: () => new Date() },
      { restoreJobId: 'NOT-OURS' },
    );
    const { response } = await deliver();
    expect(response).toEqual({ batchItemFailures: [] });
    expect(deadLetters(env)).toHaveLength(0);
    expect(env.lines.some((l) => l.includes('not a validation request'))).toBe(true);
    expect(env.lines.some((l) => l.includes('did not start'))).toBe(true);
    expect(validationMessages(env)).toHaveLength(0);
  });
});
