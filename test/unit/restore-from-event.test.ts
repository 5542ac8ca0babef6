import { ServiceUnavailableException, StartRestoreJobCommand } from '@aws-sdk/client-backup';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { EventBridgeEvent } from 'aws-lambda';
import { createHandler } from '../../handlers/restore-from-event';
import { deadLetters, parseDeadLetter } from '../helpers/dead-letters';
import { context, DLQ_URL, loadEvent, ROLE } from '../helpers/fixtures';
import { mockAws, restoreAws } from '../helpers/mocks';

type Event = EventBridgeEvent<string, Record<string, unknown>>;

function setup() {
  const mocks = mockAws();
  return { ...mocks, handler: createHandler(mocks.deps) };
}

afterEach(restoreAws);

describe('restore-from-event', () => {
  it('starts the restore in the sample event with the exact input', async () => {
    const { backup, sqs, handler, deps } = setup();
    backup.on(StartRestoreJobCommand).resolves({ RestoreJobId: 'job-efs' });
    const event = loadEvent<Event>('restore-requested.json');
    await expect(handler(event, context)).resolves.toStrictEqual({
      status: 'started',
      restoreJobId: 'job-efs',
      sourceAccountId: '123456789012',
    });
    expect(backup.commandCalls(StartRestoreJobCommand).map((c) => c.args[0].input)).toStrictEqual([
      expect.objectContaining({
        RecoveryPointArn: event.detail.RecoveryPointArn,
        ResourceType: 'EFS',
        Metadata: event.detail.Metadata,
        IamRoleArn: ROLE,
        IdempotencyToken: expect.stringMatching(/^[0-9a-f-]{36}$/),
      }),
    ]);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    const lines = deps.lines.map((l) => JSON.parse(l));
    expect(lines.every((l) => l.eventId === event.id)).toBe(true);
    expect(deps.lines.join('\n')).not.toContain('fs-0123456789abcdef0');
  });

  it('uses the same token when Lambda delivers the same event again', async () => {
    const { backup, handler } = setup();
    backup.on(StartRestoreJobCommand).resolves({ RestoreJobId: 'job' });
    const event = loadEvent<Event>('restore-requested.json');
    await handler(event, context);
    await handler({ ...event }, { ...(context as object), awsRequestId: 'another-request' } as never);
    const [a, b] = backup.commandCalls(StartRestoreJobCommand).map((c) => c.args[0].input.IdempotencyToken);
    expect(b).toBe(a);
  });

  it('dead-letters a bad request with the whole event and succeeds', async () => {
    const { backup, sqs, handler } = setup();
    const event = loadEvent<Event>('restore-requested.json');
    event.detail.Metadata = { newFileSystem: 'true' };
    await expect(handler(event, context)).resolves.toBeUndefined();
    expect(backup.commandCalls(StartRestoreJobCommand)).toHaveLength(0);
    const [call] = sqs.commandCalls(SendMessageCommand);
    expect(call?.args[0].input.QueueUrl).toBe(DLQ_URL);
    const letter = parseDeadLetter(call?.args[0].input.MessageBody);
    expect(letter).toMatchObject({
      failure: 'rejected',
      trigger: { type: 'eventbridge', id: event.id, attempt: 1 },
      original: { trigger: 'eventbridge', event },
    });
    expect(letter.reason).toMatch(/EFS restore needs CreationToken/);
  });

  it.each([
    [
      'another detail-type',
      (e: Event) => Object.assign(e, { 'detail-type': 'Something Else' }),
      /handles "Restore Requested" events/,
    ],
    ['no detail', (e: Event) => Object.assign(e, { detail: undefined }), /has no detail/],
    [
      'a detail that is not an object',
      (e: Event) => Object.assign(e, { detail: 'restore please' }),
      /must be a JSON object/,
    ],
  ])('dead-letters an event with %s', async (_name, mutate, reason) => {
    const { sqs, handler } = setup();
    await handler(mutate(loadEvent<Event>('restore-requested.json')), context);
    const [letter] = deadLetters(sqs);
    expect(letter?.reason).toMatch(reason);
  });

  it('throws a retryable failure so that Lambda retries it, without a dead letter', async () => {
    const { backup, sqs, handler } = setup();
    backup
      .on(StartRestoreJobCommand)
      .rejects(new ServiceUnavailableException({ message: 'busy', $metadata: {} }));
    await expect(handler(loadEvent<Event>('restore-requested.json'), context)).rejects.toMatchObject({
      name: 'AwsCallError',
      retryable: true,
    });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('throws when the dead letter cannot be sent', async () => {
    const { sqs, handler } = setup();
    sqs.on(SendMessageCommand).rejects(new Error('down'));
    const event = loadEvent<Event>('restore-requested.json');
    event.detail.IamRoleArn = 'arn:aws:iam::123456789012:role/Admin';
    await expect(handler(event, context)).rejects.toMatchObject({ retryable: true });
  });
});
