import {
  ResourceNotFoundException,
  ServiceUnavailableException,
  StartRestoreJobCommand,
} from '@aws-sdk/client-backup';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { createHandler } from '../../handlers/restore-from-queue';
import { deriveIdempotencyToken } from '../../src/plan/token';
import { context, DLQ_URL, loadEvent, REGION, ROLE, sqsEvent, sqsRecord } from '../helpers/fixtures';
import { mockAws, restoreAws } from '../helpers/mocks';

const EBS_POINT = `arn:aws:ec2:${REGION}::snapshot/snap-0a1b2c3d4e5f60718`;
const GOOD = {
  RecoveryPointArn: EBS_POINT,
  ResourceType: 'EBS',
  Metadata: { availabilityZone: 'eu-west-1a' },
};

function setup() {
  const mocks = mockAws();
  const handler = createHandler(mocks.deps);
  const deadLetters = () =>
    mocks.deadLetters().map((letter, i) => {
      expect(mocks.sqs.commandCalls(SendMessageCommand)[i]?.args[0].input.QueueUrl).toBe(DLQ_URL);
      return letter;
    });
  return { ...mocks, handler, deadLetters };
}

afterEach(restoreAws);

describe('restore-from-queue with the events/sqs-batch.json sample', () => {
  it('starts the good requests, dead-letters the bad ones with reasons, and acknowledges all', async () => {
    const { backup, ddb, handler, deadLetters, deps } = setup();
    backup.on(StartRestoreJobCommand).callsFake((input) => {
      if (String(input.RecoveryPointArn).includes('dead-beef')) {
        throw new ResourceNotFoundException({
          message: 'Recovery point not found',
          $metadata: { httpStatusCode: 400 },
        });
      }
      return { RestoreJobId: `job-${String(input.ResourceType)}` };
    });
    const event = loadEvent<SQSEvent>('sqs-batch.json');

    const response = await handler(event, context);

    expect(response).toStrictEqual({ batchItemFailures: [] });
    const calls = backup.commandCalls(StartRestoreJobCommand).map((c) => c.args[0].input);
    expect(calls).toStrictEqual([
      {
        RecoveryPointArn: EBS_POINT,
        ResourceType: 'EBS',
        Metadata: { availabilityZone: 'eu-west-1a', volumeType: 'gp3', encrypted: 'true' },
        IamRoleArn: ROLE,
        IdempotencyToken: deriveIdempotencyToken({
          RecoveryPointArn: EBS_POINT,
          Metadata: { availabilityZone: 'eu-west-1a', volumeType: 'gp3', encrypted: 'true' },
          IamRoleArn: ROLE,
          ResourceType: 'EBS',
        }),
      },
      expect.objectContaining({
        ResourceType: 'RDS',
        IdempotencyToken: 'ticket-4711-orders-db',
        CopySourceTagsToRestoredResource: true,
      }),
      expect.objectContaining({
        ResourceType: 'DynamoDB',
        Metadata: { targetTableName: 'orders-restored-20261126' },
      }),
      expect.objectContaining({ RecoveryPointArn: expect.stringContaining('dead-beef') }),
    ]);

    // Each started job is linked to its request, for the restore-job tracker: one conditional put
    // per job, so a link never overwrites another and one record's failure stays its own.
    const writes = ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input);
    expect(
      writes.map((w) => [w.Item?.restoreJobId?.S, w.Item?.triggerId?.S, w.ConditionExpression]),
    ).toStrictEqual([
      ['job-EBS', event.Records[0]?.messageId, 'attribute_not_exists(restoreJobId)'],
      ['job-RDS', event.Records[1]?.messageId, 'attribute_not_exists(restoreJobId)'],
      ['job-DynamoDB', event.Records[2]?.messageId, 'attribute_not_exists(restoreJobId)'],
    ]);
    expect(JSON.parse(writes[0]?.Item?.original?.S ?? '')).toStrictEqual({
      trigger: 'sqs',
      body: event.Records[0]?.body,
    });
    // Each start is counted on its own log line (embedded metric format), no line of its own.
    expect(deps.metricLines).toStrictEqual([]);
    const counted = deps.lines.map((l) => JSON.parse(l)).filter((l) => l._aws !== undefined);
    expect(counted.map((l) => [l.message, l.ResourceType, l.RestoreJobsStarted])).toStrictEqual([
      ['Restore job started', 'EBS', 1],
      ['Restore job started', 'RDS', 1],
      ['Restore job started', 'DynamoDB', 1],
    ]);
    expect(counted[0]._aws.CloudWatchMetrics).toStrictEqual([
      {
        Namespace: 'BackupRestorePipeline',
        Dimensions: [['ResourceType']],
        Metrics: [{ Name: 'RestoreJobsStarted', Unit: 'Count' }],
      },
    ]);

    const letters = deadLetters();
    const records = event.Records;
    expect(letters.map((l) => [l.trigger.id, l.failure, l.error.name])).toStrictEqual([
      [records[3]?.messageId, 'rejected', 'InvalidRequestError'],
      [records[4]?.messageId, 'rejected', 'ForbiddenRequestError'],
      [records[5]?.messageId, 'rejected', 'InvalidRequestError'],
      [records[6]?.messageId, 'rejected', 'InvalidRequestError'],
      [records[7]?.messageId, 'rejected', 'AwsCallError'],
    ]);
    expect(letters[0]?.reason).toMatch(/not valid JSON/);
    expect(letters[1]?.reason).toMatch(/IamRoleArn .*AdminRole is not on this deployment's list/);
    expect(letters[2]?.reason).toMatch(
      /EFS restore needs CreationToken, Encrypted, PerformanceMode, file-system-id/,
    );
    expect(letters[3]?.reason).toMatch(/CopySourceTagsToRestoredResource: true makes AWS fail DynamoDB/);
    expect(letters[4]?.reason).toBe(
      'StartRestoreJob failed with ResourceNotFoundException: Recovery point not found',
    );
    for (const [i, letter] of letters.entries()) {
      const record = records[i + 3];
      expect(letter.original).toStrictEqual({ trigger: 'sqs', body: record?.body });
      expect(letter).toMatchObject({
        kind: 'restore-dead-letter',
        version: 1,
        trigger: { type: 'sqs', id: record?.messageId, attempt: 1 },
        failedAt: '2026-11-26T12:00:00.000Z',
        redriveCount: 0,
        error: { retryable: false },
      });
    }

    // Every line names its message; successes name their job; no Metadata value is logged.
    const lines = deps.lines.map((l) => JSON.parse(l));
    expect(lines.every((l) => typeof l.messageId === 'string')).toBe(true);
    expect(lines.filter((l) => l.message === 'Restore job started').map((l) => l.restoreJobId)).toStrictEqual(
      ['job-EBS', 'job-RDS', 'job-DynamoDB'],
    );
    for (const secret of [
      'eu-west-1a',
      'orders-db-restored-1',
      'orders-restored-20261126',
      'fs-0123456789abcdef0',
    ]) {
      expect(deps.lines.join('\n')).not.toContain(secret);
    }
  });
});

describe('restore-from-queue failures', () => {
  it('reports a retryable failure for SQS to retry, without a dead letter', async () => {
    const { backup, handler, deadLetters } = setup();
    backup
      .on(StartRestoreJobCommand)
      .rejects(new ServiceUnavailableException({ message: 'busy', $metadata: {} }));
    const response = await handler(sqsEvent(GOOD, GOOD), context);
    expect(response).toStrictEqual({
      batchItemFailures: [{ itemIdentifier: 'msg-1' }, { itemIdentifier: 'msg-2' }],
    });
    expect(deadLetters()).toStrictEqual([]);
  });

  it('dead-letters a retryable failure on the last receive, with the last error', async () => {
    const { backup, handler, deadLetters } = setup();
    backup
      .on(StartRestoreJobCommand)
      .rejects(new ServiceUnavailableException({ message: 'busy', $metadata: {} }));
    const response = await handler({ Records: [sqsRecord(JSON.stringify(GOOD), 'm-last', 5)] }, context);
    expect(response).toStrictEqual({ batchItemFailures: [] });
    expect(deadLetters()).toMatchObject([
      {
        failure: 'retries-exhausted',
        error: {
          name: 'AwsCallError',
          retryable: true,
          message: expect.stringMatching(
            /^StartRestoreJob failed with ServiceUnavailableException: busy\. Retries ran out; .* restore-pipeline status: .* if the first one did start$/,
          ),
        },
        trigger: { type: 'sqs', id: 'm-last', attempt: 5 },
      },
    ]);
  });

  it('fails the record when the dead letter cannot be sent, and leaves the others alone', async () => {
    const { backup, sqs, handler } = setup();
    backup.on(StartRestoreJobCommand).resolves({ RestoreJobId: 'job-1' });
    sqs.on(SendMessageCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const response = await handler(sqsEvent('not json', GOOD), context);
    expect(response).toStrictEqual({ batchItemFailures: [{ itemIdentifier: 'msg-1' }] });
    expect(backup.commandCalls(StartRestoreJobCommand)).toHaveLength(1);
  });

  it('restores the original request of a dead letter redriven to the request queue', async () => {
    const { backup, handler, deadLetters } = setup();
    backup.on(StartRestoreJobCommand).resolves({ RestoreJobId: 'job-redriven' });
    const letter = {
      kind: 'restore-dead-letter',
      version: 1,
      failure: 'retries-exhausted',
      reason: 'busy',
      error: { name: 'AwsCallError', message: 'busy', retryable: true },
      trigger: { type: 'sqs', id: 'm0', attempt: 5 },
      failedAt: '2026-11-26T11:00:00.000Z',
      redriveCount: 0,
      original: { trigger: 'sqs', body: JSON.stringify(GOOD) },
    };
    const direct = await handler(sqsEvent(GOOD), context);
    const redriven = await handler(sqsEvent(letter), context);
    expect(direct).toStrictEqual({ batchItemFailures: [] });
    expect(redriven).toStrictEqual({ batchItemFailures: [] });
    const [first, second] = backup.commandCalls(StartRestoreJobCommand).map((c) => c.args[0].input);
    // Same request, same token: a redrive after a job was started starts nothing new.
    expect(second).toStrictEqual(first);
    expect(deadLetters()).toStrictEqual([]);
  });

  it('dead-letters a redriven request that fails again with its innermost original', async () => {
    const { handler, deadLetters } = setup();
    const letter = {
      kind: 'restore-dead-letter',
      version: 1,
      original: { trigger: 'sqs', body: '{"RecoveryPointArn": 1}' },
      redriveCount: 1,
    };
    await handler(sqsEvent(letter), context);
    expect(deadLetters()).toMatchObject([
      { original: { trigger: 'sqs', body: '{"RecoveryPointArn": 1}' }, redriveCount: 2, failure: 'rejected' },
    ]);
  });

  it('retries a record whose job link cannot be written, and acknowledges it on the last attempt', async () => {
    const { backup, ddb, handler, deadLetters, deps } = setup();
    backup.on(StartRestoreJobCommand).resolves({ RestoreJobId: 'job-1' });
    ddb
      .on(PutItemCommand)
      .rejects(
        Object.assign(new Error('busy'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } }),
      );
    expect(await handler({ Records: [sqsRecord(JSON.stringify(GOOD), 'm1', 1)] }, context)).toStrictEqual({
      batchItemFailures: [{ itemIdentifier: 'm1' }],
    });
    expect(await handler({ Records: [sqsRecord(JSON.stringify(GOOD), 'm1', 5)] }, context)).toStrictEqual({
      batchItemFailures: [],
    });
    expect(deadLetters()).toStrictEqual([]);
    expect(deps.lines.some((l) => l.includes('its link could not be recorded'))).toBe(true);
  });

  it('works on the records of a batch concurrently, at most RESTORE_CONCURRENCY at a time', async () => {
    const { backup, handler } = setup();
    let active = 0;
    let peak = 0;
    backup.on(StartRestoreJobCommand).callsFake(async () => {
      active++;
      peak = Math.max(peak, active);
      // Held past the other records' starts (a macrotask: every start in flight is a microtask chain).
      await new Promise((r) => setImmediate(r));
      active--;
      return { RestoreJobId: 'job' };
    });
    const bodies = Array.from({ length: 10 }, (_, i) => ({ ...GOOD, IdempotencyToken: `t-${i}` }));
    const response = await handler(sqsEvent(...bodies), context);
    expect(response).toStrictEqual({ batchItemFailures: [] });
    expect(peak).toBe(4);
  });
});
