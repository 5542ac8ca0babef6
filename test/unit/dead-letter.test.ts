import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { originalBody } from '../../src/arrival/original';
import { unwrapRedriven } from '../../src/arrival/redriven';
import { InvalidRequestError } from '../../src/errors';
import { buildDeadLetter, deadLetterIdOf, REDRIVE_MAX_BYTES } from '../../src/outcome/dead-letters';

const now = new Date('2026-11-26T12:00:00.000Z');
const trigger = { type: 'sqs', id: 'm-1', attempt: 2 } as const;

/** A dead letter of the queue message `body`: rejected with the error 'x' unless `options` say otherwise. */
const letterOf = (body: string, options: Partial<Parameters<typeof buildDeadLetter>[0]> = {}) =>
  buildDeadLetter({
    failure: 'rejected',
    error: new Error('x'),
    trigger,
    original: { trigger: 'sqs', body },
    now,
    ...options,
  });

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
      deadLetterId: deadLetterIdOf({ failure: 'rejected', trigger, redriveCount: 0 }),
      failure: 'rejected',
      reason: 'bad',
      error: { name: 'InvalidRequestError', message: 'bad', retryable: false },
      trigger,
      failedAt: '2026-11-26T12:00:00.000Z',
      redriveCount: 0,
      original: { trigger: 'sqs', body: '{}' },
    });
  });

  it('compresses an original that would not fit back in the request queue once escaped, and keeps it whole', () => {
    // 256 KiB of control characters escapes to 1.5 MiB of JSON.
    const body = '\u0001'.repeat(262_144);
    const letter = letterOf(body);
    expect(Buffer.byteLength(JSON.stringify(letter))).toBeLessThanOrEqual(REDRIVE_MAX_BYTES);
    expect(letter.redrivable).toBeUndefined();
    expect(letter.original).not.toHaveProperty('body');
    expect(originalBody(letter.original)).toBe(body);
    expect(
      gunzipSync(
        Buffer.from((letter.original as { bodyGzipBase64: string }).bodyGzipBase64, 'base64'),
      ).toString(),
    ).toBe(body);
  });
});

describe('dead letters that must go back to the request queue', () => {
  it('keeps a valid 240 KB request redrivable: the letter fits in the request queue', () => {
    const body = JSON.stringify({
      RecoveryPointArn: 'arn:aws:backup:eu-west-1:123456789012:recovery-point:abc',
      Metadata: Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`k${i}`, '"'.repeat(16_000)])),
    });
    expect(body.length).toBeGreaterThan(240_000);
    const letter = letterOf(body);
    expect(Buffer.byteLength(JSON.stringify(letter))).toBeLessThanOrEqual(REDRIVE_MAX_BYTES);
    expect(originalBody(letter.original)).toBe(body);
  });

  it('marks a letter that cannot fit even compressed, and says how to recover it', () => {
    const body = randomBytes(200_000).toString('base64');
    const letter = letterOf(body, { error: new Error('bad') });
    expect(letter.redrivable).toBe(false);
    expect(letter.reason).toMatch(
      /^bad\. This letter is larger than the request queue accepts \(262144 bytes\)/,
    );
    expect(originalBody(letter.original)).toBe(body);
  });

  it('gives one id to one failure, whoever sends it and however often', () => {
    const a = letterOf('{}', { failure: 'retries-exhausted' });
    const b = letterOf('{}', { failure: 'retries-exhausted', error: new Error('y'), now: new Date() });
    expect(a.deadLetterId).toBe(b.deadLetterId);
    const job = (id: string, eventId: string) =>
      letterOf('{}', {
        failure: 'restore-job-failed',
        trigger: { type: 'restore-job-event', id: eventId, attempt: 1 },
        restoreJob: { restoreJobId: id, status: 'FAILED' },
      }).deadLetterId;
    expect(job('J1', 'event-1')).toBe(job('J1', 'event-2'));
    expect(job('J1', 'event-1')).not.toBe(job('J2', 'event-1'));
    expect(a.deadLetterId).not.toBe(
      letterOf('{}', { failure: 'retries-exhausted', trigger: { ...trigger, id: 'm-2' } }).deadLetterId,
    );
  });

  it('refuses to unpack a gzip bomb instead of filling memory', () => {
    const bomb = gzipSync(Buffer.alloc(190 * 1024 * 1024)).toString('base64');
    expect(bomb.length).toBeLessThan(300_000);
    expect(() => originalBody({ trigger: 'sqs', bodyGzipBase64: bomb })).toThrow(
      'The compressed original cannot be unpacked within 1048576 bytes (too large or damaged); it is refused',
    );
  });
});

describe('unwrapRedriven', () => {
  const letter = letterOf('{"a":1}', { redriveCount: 2 });

  it('gives back the original of a dead letter and counts the redrive', () => {
    expect(unwrapRedriven(JSON.parse(JSON.stringify(letter)))).toStrictEqual({
      kind: 'dead-letter',
      original: { trigger: 'sqs', body: '{"a":1}' },
      redriveCount: 3,
      failure: 'rejected',
      deadLetterId: letter.deadLetterId,
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
      kind: 'on-failure-record',
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
