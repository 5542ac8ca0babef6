import { gunzipSync } from 'node:zlib';
import { buildDeadLetter, DEAD_LETTER_MAX_BYTES, originalBody, unwrapRedriven } from '../src/dead-letter';
import { InvalidRequestError } from '../src/errors';

const now = new Date('2026-11-26T12:00:00.000Z');
const trigger = { type: 'sqs', id: 'm-1', attempt: 2 } as const;

describe('buildDeadLetter', () => {
  it('holds the original, the error, the trigger and the time', () => {
    expect(
      buildDeadLetter({
        failure: 'rejected',
        error: new InvalidRequestError('bad'),
        trigger,
        original: { trigger: 'sqs', body: '{}' },
        now,
      }),
    ).toStrictEqual({
      kind: 'restore-dead-letter',
      version: 1,
      failure: 'rejected',
      reason: 'bad',
      error: { name: 'InvalidRequestError', message: 'bad', retryable: false },
      trigger,
      failedAt: '2026-11-26T12:00:00.000Z',
      redriveCount: 0,
      original: { trigger: 'sqs', body: '{}' },
    });
  });

  it('compresses an original that would not fit in an SQS message once escaped, and keeps it whole', () => {
    // 256 KiB of control characters escapes to 1.5 MiB of JSON.
    const body = '\u0001'.repeat(262_144);
    const letter = buildDeadLetter({
      failure: 'rejected',
      error: new Error('x'),
      trigger,
      original: { trigger: 'sqs', body },
      now,
    });
    expect(Buffer.byteLength(JSON.stringify(letter))).toBeLessThanOrEqual(DEAD_LETTER_MAX_BYTES);
    expect(letter.original).not.toHaveProperty('body');
    expect(originalBody(letter.original)).toBe(body);
    expect(
      gunzipSync(
        Buffer.from((letter.original as { bodyGzipBase64: string }).bodyGzipBase64, 'base64'),
      ).toString(),
    ).toBe(body);
  });
});

describe('unwrapRedriven', () => {
  const letter = buildDeadLetter({
    failure: 'rejected',
    error: new Error('x'),
    trigger,
    original: { trigger: 'sqs', body: '{"a":1}' },
    now,
    redriveCount: 2,
  });

  it('gives back the original of a dead letter and counts the redrive', () => {
    expect(unwrapRedriven(JSON.parse(JSON.stringify(letter)))).toStrictEqual({
      original: { trigger: 'sqs', body: '{"a":1}' },
      redriveCount: 3,
    });
  });

  it('asks for a fresh token after a failed restore job', () => {
    const failed = {
      ...letter,
      failure: 'restore-job-failed',
      restoreJob: { restoreJobId: 'J1', status: 'FAILED' },
    };
    expect(unwrapRedriven(failed)).toMatchObject({ failedRestoreJobId: 'J1' });
  });

  it("understands Lambda's on-failure destination record", () => {
    const event = { id: 'e1', 'detail-type': 'Restore Requested', detail: {} };
    expect(
      unwrapRedriven({ requestContext: {}, requestPayload: event, responseContext: {}, responsePayload: {} }),
    ).toStrictEqual({
      original: { trigger: 'eventbridge', event },
      redriveCount: 1,
    });
  });

  it('leaves anything else alone', () => {
    expect(unwrapRedriven({ RecoveryPointArn: 'x' })).toBeUndefined();
    expect(unwrapRedriven({ kind: 'restore-dead-letter', original: { trigger: 'sqs' } })).toBeUndefined();
    expect(unwrapRedriven(null)).toBeUndefined();
  });
});
