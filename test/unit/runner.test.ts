import { ServiceUnavailableException, StartRestoreJobCommand } from '@aws-sdk/client-backup';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { createHandler } from '../../handlers/restore-from-queue';
import { arriveFromSqs } from '../../src/arrival/decode';
import { InvalidRequestError } from '../../src/errors';
import { deadLetterIdOf } from '../../src/letters/dead-letters';
import { EXHAUSTED_HINT } from '../../src/outcome/dead-letter-or-retry';
import { processIncoming } from '../../src/runner/dispatch';
import { atColdStart } from '../../src/runner/handler';
import { runItem } from '../../src/runner/run-item';
import { context, DLQ_URL, REGION, sqsRecord } from '../helpers/fixtures';
import { mockAws, restoreAws } from '../helpers/mocks';

const GOOD = {
  RecoveryPointArn: `arn:aws:ec2:${REGION}::snapshot/snap-0a1b2c3d4e5f60718`,
  ResourceType: 'EBS',
  Metadata: { availabilityZone: 'eu-west-1a' },
};
const SENT_AT = new Date(1764151200000).toISOString();

afterEach(restoreAws);

describe('the per-item runner, through the queue handler', () => {
  it('dead-letters a retryable error on the last attempt, with the last error and the hint, and acknowledges it', async () => {
    const { backup, sqs, deps, deadLetters } = mockAws();
    backup
      .on(StartRestoreJobCommand)
      .rejects(new ServiceUnavailableException({ message: 'busy', $metadata: {} }));
    const body = JSON.stringify(GOOD);
    const response = await createHandler(deps)({ Records: [sqsRecord(body, 'm-last', 5)] }, context);
    expect(response).toStrictEqual({ batchItemFailures: [] });
    const trigger = { type: 'sqs', id: 'm-last', attempt: 5, neededAt: SENT_AT } as const;
    const message = `StartRestoreJob failed with ServiceUnavailableException: busy. ${EXHAUSTED_HINT}`;
    expect(deadLetters()).toStrictEqual([
      {
        kind: 'restore-dead-letter',
        version: 1,
        deadLetterId: deadLetterIdOf({ failure: 'retries-exhausted', trigger, redriveCount: 0 }),
        failure: 'retries-exhausted',
        reason: message,
        error: { name: 'AwsCallError', message, retryable: true },
        trigger,
        failedAt: '2026-11-26T12:00:00.000Z',
        redriveCount: 0,
        original: { trigger: 'sqs', body },
      },
    ]);
    expect(sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input.QueueUrl)).toStrictEqual([
      DLQ_URL,
    ]);
  });

  it('reports the record as failed when its dead letter cannot be sent', async () => {
    const { sqs, deps } = mockAws();
    sqs.on(SendMessageCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const response = await createHandler(deps)({ Records: [sqsRecord('not json', 'm-1', 1)] }, context);
    expect(response).toStrictEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
  });
});

describe('runItem', () => {
  const attempt = (lastAttempt: boolean) =>
    ({ trigger: { type: 'sqs', id: 'm-1', attempt: lastAttempt ? 5 : 1 }, lastAttempt }) as const;

  it('rethrows a dead letter that could not be sent as a retryable error, not the request error', async () => {
    const { sqs, deps } = mockAws();
    sqs.on(SendMessageCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const failed = runItem(
      deps,
      arriveFromSqs('not json'),
      attempt(false),
      { messageId: 'm-1' },
      processIncoming,
    );
    await expect(failed).rejects.toMatchObject({ name: 'AwsCallError', retryable: true });
    await expect(failed).rejects.not.toBeInstanceOf(InvalidRequestError);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
  });

  it('rethrows a retryable error before the last attempt, with no dead letter', async () => {
    const { backup, deps, deadLetters } = mockAws();
    const busy = new ServiceUnavailableException({ message: 'busy', $metadata: {} });
    backup.on(StartRestoreJobCommand).rejects(busy);
    await expect(
      runItem(
        deps,
        arriveFromSqs(JSON.stringify(GOOD)),
        attempt(false),
        { messageId: 'm-1' },
        processIncoming,
      ),
    ).rejects.toMatchObject({ name: 'AwsCallError', retryable: true });
    expect(deadLetters()).toStrictEqual([]);
  });

  it('dead-letters a permanent error at once and resolves, its log lines scrubbed of the secrets', async () => {
    const { deps, deadLetters } = mockAws();
    const body = JSON.stringify({ ...GOOD, Metadata: { password: 'CANARY-secret-1' }, Unknown: 1 });
    await expect(
      runItem(deps, arriveFromSqs(body), attempt(false), { messageId: 'm-1' }, processIncoming),
    ).resolves.toBe(undefined);
    expect(deadLetters().map((l) => [l.failure, l.error.name])).toStrictEqual([
      ['rejected', 'InvalidRequestError'],
    ]);
    expect(deps.lines.join('\n')).not.toContain('CANARY-secret-1');
    expect(deps.lines.map((l) => JSON.parse(l).message)).toContain('Request dead-lettered');
  });
});

describe('atColdStart', () => {
  it('builds the dependencies at once in Lambda, once', () => {
    const build = jest.fn(() => ({ built: true }));
    const get = atColdStart(build, { AWS_LAMBDA_FUNCTION_NAME: 'restoreFromQueue' });
    expect(build).toHaveBeenCalledTimes(1);
    expect(get()).toBe(get());
    expect(build).toHaveBeenCalledTimes(1);
  });

  it('builds nothing until first use elsewhere (tests, local tools)', () => {
    const build = jest.fn(() => ({ built: true }));
    const get = atColdStart(build, {});
    expect(build).not.toHaveBeenCalled();
    get();
    expect(build).toHaveBeenCalledTimes(1);
  });

  it('stops a deployed handler at cold start on a bad configuration, while the dependency builder runs nothing at import', () => {
    const saved = process.env.AWS_LAMBDA_FUNCTION_NAME;
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'restoreFromQueue';
    try {
      jest.isolateModules(() => {
        expect(() => require('../../src/wiring/restore')).not.toThrow();
      });
      jest.isolateModules(() => {
        expect(() => require('../../handlers/restore-from-queue')).toThrow(
          expect.objectContaining({ name: 'ConfigError' }),
        );
      });
    } finally {
      if (saved === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME;
      else process.env.AWS_LAMBDA_FUNCTION_NAME = saved;
    }
  });
});
