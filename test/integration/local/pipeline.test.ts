/** End to end through the local triggers, the real handlers, the real SDK clients and the local endpoint. */

import type { EventBridgeEvent } from 'aws-lambda';
import { sleep } from '../../../local/time';
import { deadLetters } from '../../helpers/dead-letters';
import { loadEvent } from '../../helpers/fixtures';
import { localPipelines } from '../../helpers/pipeline';

const EBS = {
  RecoveryPointArn: 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718',
  ResourceType: 'EBS',
  Metadata: { availabilityZone: 'eu-west-1a' },
};
const RDS = {
  RecoveryPointArn:
    'arn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-5f2a9c1e-3b7d-4e8f-9a6b-1c2d3e4f5a6b',
  ResourceType: 'RDS',
  Metadata: { DBInstanceIdentifier: 'orders-restored' },
};
const DYNAMO = {
  RecoveryPointArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/backup/01732617600000-a1b2c3d4',
  ResourceType: 'DynamoDB',
  Metadata: { targetTableName: 'orders-restored' },
};

const logs: string[] = [];
const start = localPipelines(() => {
  logs.length = 0;
  return {
    // Longer than a loaded machine takes for a batch: a shorter one redelivers batches still in flight.
    visibilityTimeoutS: 2,
    maxReceiveCount: 3,
    asyncRetryDelaysMs: [20, 40],
    logSink: (line: string) => logs.push(line),
  };
});

describe('the local pipeline', () => {
  it('restores several resource types from the queue and from an event', async () => {
    const p = await start();
    await p.submit(EBS);
    await p.submit(RDS);
    await p.submit(DYNAMO);
    expect(await p.emit(loadEvent<EventBridgeEvent<string, unknown>>('restore-requested.json'))).toBe(
      'succeeded',
    );
    await p.runUntilIdle();
    expect(p.aws.backup.jobs.map((j) => j.ResourceType).sort()).toStrictEqual([
      'DynamoDB',
      'EBS',
      'EFS',
      'RDS',
    ]);
    expect(p.aws.backup.jobs.every((j) => j.IamRoleArn === p.env.RESTORE_ROLE_ARN)).toBe(true);
    expect(p.deadLetters()).toStrictEqual([]);
  });

  it('starts nothing new for an idempotent repeat', async () => {
    const p = await start();
    await p.submit(EBS);
    await p.submit(EBS);
    await p.submit({ ...RDS, IdempotencyToken: 'ticket-1' });
    await p.submit({ ...RDS, IdempotencyToken: 'ticket-1', Metadata: { DBInstanceIdentifier: 'other' } });
    await p.runUntilIdle();
    expect(p.aws.backup.jobs).toHaveLength(2);
    expect(p.aws.served.StartRestoreJob).toBe(4);
    // The token reused for another restore: AWS answered with the first job, so the second request
    // started nothing and says so, rather than being acknowledged with a job that is not its own.
    expect(deadLetters(p).map((l) => [l.failure, l.error.name])).toStrictEqual([
      ['rejected', 'InvalidRequestError'],
    ]);
  });

  it('dead-letters each permanent error at once, with the SDK trying it once', async () => {
    const p = await start();
    await p.submit({ ...EBS, RecoveryPointArn: 'arn:aws:ec2:eu-west-1::snapshot/snap-0000000000000000f' });
    await p.runUntilIdle();
    expect(deadLetters(p)).toMatchObject([
      { failure: 'rejected', error: { name: 'AwsCallError', retryable: false }, trigger: { attempt: 1 } },
    ]);
    expect(deadLetters(p)[0]?.reason).toMatch(/ResourceNotFoundException/);
    expect(p.aws.faults.counts.StartRestoreJob?.calls).toBe(1);
  });

  it.each([
    ['ServiceUnavailable', /ServiceUnavailableException/],
    ['Throttling', /ThrottlingException/],
    ['ConnectionReset', /socket hang up|ECONNRESET/],
    ['Timeout', /socket hang up|ECONNRESET/],
  ] as const)(
    'retries %s through the SDK and SQS, then dead-letters it with the last error',
    async (kind, reason) => {
      // The visibility timeout outlasts the function's work (4 rounds of SDK retries, throttling
      // backoff up to 1 s each), as it must on AWS.
      const p = await start({
        maxAttempts: 2,
        maxReceiveCount: 2,
        visibilityTimeoutS: 5,
        faults: { StartRestoreJob: { errorRates: { [kind]: 1 }, timeoutMs: 20 } },
      });
      const id = await p.submit(EBS);
      await p.runUntilIdle();
      const [letter] = deadLetters(p);
      expect(letter).toMatchObject({
        failure: 'retries-exhausted',
        trigger: { type: 'sqs', id, attempt: 2 },
      });
      expect(letter?.reason).toMatch(reason);
      // 2 receives (maxReceiveCount) x 4 rounds in the function x 2 SDK attempts each.
      expect(p.aws.faults.counts.StartRestoreJob?.[kind]).toBe(16);
      expect(p.source.stats.failedRecords).toBe(1);
      expect(p.aws.backup.jobs).toHaveLength(0);
    },
  );

  it('succeeds when a retryable failure clears before the last attempt', async () => {
    const p = await start({
      faults: { StartRestoreJob: { errorRates: { ServiceUnavailable: 1 } } },
      maxAttempts: 1,
    });
    await p.submit(EBS);
    while ((p.aws.faults.counts.StartRestoreJob?.calls ?? 0) < 1) await sleep(10);
    p.aws.faults.set({});
    await p.runUntilIdle();
    expect(p.aws.backup.jobs).toHaveLength(1);
    expect(p.deadLetters()).toStrictEqual([]);
  });

  it('restores a dead letter redriven to the request queue once its cause is fixed', async () => {
    const p = await start();
    const missing = 'arn:aws:ec2:eu-west-1::snapshot/snap-0fedcba9876543210';
    await p.submit({ ...EBS, RecoveryPointArn: missing });
    await p.runUntilIdle();
    const [dead] = p.deadLetters();
    expect(JSON.parse(dead?.body ?? '{}').reason).toMatch(/ResourceNotFoundException/);

    // The operator fixes the cause (the recovery point is copied in) and redrives the message.
    p.aws.backup.addRecoveryPoints([
      {
        RecoveryPointArn: missing,
        BackupVaultName: 'Default',
        ResourceArn: 'arn:aws:ec2:eu-west-1:123456789012:volume/vol-1',
        ResourceType: 'EBS',
        CreationDate: '2026-11-26T00:00:00Z',
      },
    ]);
    p.aws.sqs.queues.get('restore-dead-letters')?.messages.splice(0);
    await p.submit(dead?.body ?? '');
    await p.runUntilIdle();
    expect(p.aws.backup.jobs.map((j) => j.RecoveryPointArn)).toStrictEqual([missing]);
    expect(p.deadLetters()).toStrictEqual([]);
    expect(logs.map((l) => JSON.parse(l)).find((l) => l.message === 'Restore job started')).toMatchObject({
      redriveCount: 1,
    });
  });

  it('loses nothing while the dead-letter queue fails: the request is retried until its dead letter is sent', async () => {
    const p = await start({
      maxReceiveCount: 10,
      maxAttempts: 1,
      faults: { 'SendMessage:restore-dead-letters': { errorRates: { ServiceUnavailable: 1 } } },
    });
    const id = await p.submit('{"bad json');
    while ((p.aws.faults.counts.SendMessage?.ServiceUnavailable ?? 0) < 3) await sleep(10);
    expect(p.aws.sqs.queues.get('restore-requests')?.messages).toHaveLength(1);
    p.aws.faults.set({});
    await p.runUntilIdle();
    expect(deadLetters(p)).toMatchObject([
      { failure: 'rejected', trigger: { id }, original: { trigger: 'sqs', body: '{"bad json' } },
    ]);
  });

  it('keeps a request whose dead letter never gets through: SQS redrive moves the original to the dead-letter queue', async () => {
    const p = await start({
      maxAttempts: 1,
      faults: { 'SendMessage:restore-dead-letters': { errorRates: { ServiceUnavailable: 1 } } },
    });
    await p.submit('{"bad json');
    await p.runUntilIdle();
    expect(p.deadLetters()).toMatchObject([{ body: '{"bad json', movedFrom: 'restore-requests' }]);
  });

  it('sends an event that keeps failing to the on-failure destination after two retries', async () => {
    const p = await start({
      faults: { StartRestoreJob: { errorRates: { ServiceUnavailable: 1 } } },
      maxAttempts: 1,
    });
    const event = loadEvent<EventBridgeEvent<string, unknown>>('restore-requested.json');
    expect(await p.emit(event)).toBe('destination');
    expect(p.invoker.stats).toStrictEqual({ invocations: 3, retries: 2, toDestination: 1 });
    const [record] = p.deadLetters().map((m) => JSON.parse(m.body));
    expect(record).toMatchObject({
      requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: event,
      responsePayload: {
        errorType: 'AwsCallError',
        errorMessage: expect.stringMatching(/ServiceUnavailableException/),
      },
    });

    // Redriven to the request queue, the destination record is understood and the event restored.
    p.aws.faults.set({});
    p.aws.sqs.queues.get('restore-dead-letters')?.messages.splice(0);
    await p.submit(record);
    await p.runUntilIdle();
    expect(p.aws.backup.jobs.map((j) => j.ResourceType)).toStrictEqual(['EFS']);
  });

  it('dead-letters a bad event at once, and the invocation succeeds', async () => {
    const p = await start();
    const event = loadEvent<EventBridgeEvent<string, Record<string, unknown>>>('restore-requested.json');
    event.detail.IamRoleArn = 'arn:aws:iam::123456789012:role/Admin';
    expect(await p.emit(event)).toBe('succeeded');
    expect(deadLetters(p)).toMatchObject([
      {
        failure: 'rejected',
        error: { name: 'ForbiddenRequestError' },
        trigger: { type: 'eventbridge', id: event.id },
        original: { trigger: 'eventbridge', event },
      },
    ]);
  });

  it('dead-letters a job that fails after it started, once, and a redrive retries it with a fresh token', async () => {
    const p = await start({ alerts: true });
    const body = JSON.stringify({ ...EBS, Metadata: { availabilityZone: 'eu-west-1z' } });
    const id = await p.submit(body);
    await p.runUntilIdle();
    expect(p.aws.backup.jobs.map((j) => j.Status)).toStrictEqual(['FAILED']);
    const [letter, ...others] = deadLetters(p);
    expect(others).toStrictEqual([]);
    expect(letter).toMatchObject({
      failure: 'restore-job-failed',
      original: { trigger: 'sqs', body },
      restoreJob: {
        restoreJobId: p.aws.backup.jobs[0]?.RestoreJobId,
        status: 'FAILED',
        statusMessage: expect.stringContaining('Invalid availability zone'),
      },
    });
    expect(letter?.reason).toContain('Invalid availability zone');
    expect(p.aws.published).toHaveLength(1);
    expect(logs.some((l) => l.includes(id))).toBe(true);

    // The operator fixes the cause and redrives: a new job starts despite the same request.
    p.aws.backup.clearFailureRules();
    p.aws.sqs.queues.get('restore-dead-letters')?.messages.splice(0);
    await p.submit(p.deadLetters()[0]?.body ?? JSON.stringify(letter));
    await p.runUntilIdle();
    const jobs = p.aws.backup.jobs;
    expect(jobs.map((j) => j.Status)).toStrictEqual(['FAILED', 'COMPLETED']);
    expect(jobs[1]?.IdempotencyToken).not.toBe(jobs[0]?.IdempotencyToken);
    expect(p.deadLetters()).toStrictEqual([]);
  });

  it('restores only from the allowed vaults, and checks the recovery point really is in the vault named', async () => {
    const p = await start({ env: { ALLOWED_BACKUP_VAULTS: 'Default' } });
    const scratch = 'arn:aws:ec2:eu-west-1::snapshot/snap-0bbbbbbbbbbbbbbbb';
    p.aws.backup.addRecoveryPoints([
      {
        RecoveryPointArn: scratch,
        BackupVaultName: 'Scratch',
        ResourceArn: 'arn:aws:ec2:eu-west-1:123456789012:volume/vol-9',
        ResourceType: 'EBS',
        CreationDate: '2026-11-26T00:00:00Z',
      },
    ]);
    await p.submit({ ...EBS, BackupVaultName: 'Default' });
    await p.submit({ ...EBS, RecoveryPointArn: scratch, BackupVaultName: 'Default' });
    await p.submit({ ...EBS, RecoveryPointArn: scratch, BackupVaultName: 'Scratch' });
    await p.submit(EBS);
    await p.runUntilIdle();
    expect(p.aws.backup.jobs.map((j) => j.RecoveryPointArn)).toStrictEqual([EBS.RecoveryPointArn]);
    expect(
      deadLetters(p)
        .map((l) => l.reason)
        .sort(),
    ).toStrictEqual([
      'Invalid restore request: BackupVaultName is required: this deployment restores only from the vaults Default',
      `Recovery point ${scratch} is not in the vault Default`,
      'Restore request refused: BackupVaultName Scratch is not one of the vaults this deployment restores from (Default)',
    ]);
  });

  it("turns a redriven tracker on-failure record back into the failed job's request", async () => {
    // Every event delivered: this test is about the tracker's own failure, not a lost event.
    const p = await start({ maxAttempts: 1, jobEvents: { lossRate: 0, duplicateRate: 0, maxDelayMs: 0 } });
    p.aws.faults.set({ GetItem: { errorRates: { ServiceUnavailable: 1 } } });
    const body = JSON.stringify({ ...EBS, Metadata: { availabilityZone: 'eu-west-1z' } });
    await p.submit(body);
    await p.runUntilIdle();
    const [record] = p.deadLetters().map((m) => JSON.parse(m.body));
    expect(record).toMatchObject({
      requestPayload: { 'detail-type': 'Restore Job State Change', detail: { status: 'FAILED' } },
    });

    p.aws.faults.set({});
    p.aws.sqs.queues.get('restore-dead-letters')?.messages.splice(0);
    await p.submit(record);
    await p.runUntilIdle();
    expect(deadLetters(p)).toMatchObject([
      { failure: 'restore-job-failed', original: { trigger: 'sqs', body } },
    ]);
  });
});
