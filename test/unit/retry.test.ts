/**
 * retryRetryable (src/retry.ts): how many attempts, how long it waits between them, what it never
 * retries, and that it does not wait past the invocation's deadline. The waits are read from
 * setTimeout (run at once) and the jitter pinned through Math.random.
 */

import { AwsCallError, InvalidRequestError, RestorePipelineError } from '../../src/errors';
import { retryRetryable } from '../../src/retry';
import { DeadlineExceededError } from '../../src/runner/deadline';
import { MIN_ATTEMPT_MS, runInvocation } from '../../src/runner/invocation';

let waits: number[];
beforeEach(() => {
  waits = [];
  jest.spyOn(global, 'setTimeout').mockImplementation(((run: () => void, ms?: number) => {
    waits.push(ms ?? 0);
    run();
    return 0;
  }) as unknown as typeof setTimeout);
});
afterEach(() => jest.restoreAllMocks());

const throttled = () =>
  new AwsCallError('StartRestoreJob', 'ThrottlingException', 'Rate exceeded', true, undefined);

/** Work that throws `errors` one after another, then answers 'done'; counts its calls. */
function work(...errors: unknown[]) {
  const calls = { count: 0 };
  const run = async () => {
    const error = errors[calls.count++];
    if (error !== undefined) throw error;
    return 'done';
  };
  return { run, calls };
}

describe('attempts', () => {
  it('tries again after a retryable error and answers what the work answers', async () => {
    const w = work(throttled(), throttled());
    await expect(retryRetryable(w.run)).resolves.toBe('done');
    expect(w.calls.count).toBe(3);
    expect(waits).toHaveLength(2);
  });

  it('makes 4 attempts by default and throws the last error', async () => {
    const errors = [1, 2, 3, 4, 5].map((n) => new RestorePipelineError(`busy ${n}`, { retryable: true }));
    const w = work(...errors);
    await expect(retryRetryable(w.run)).rejects.toBe(errors[3]);
    expect(w.calls.count).toBe(4);
    expect(waits).toHaveLength(3);
  });

  it('makes as many attempts as asked', async () => {
    const w = work(throttled(), throttled(), throttled());
    await expect(retryRetryable(w.run, { attempts: 2 })).rejects.toMatchObject({ retryable: true });
    expect(w.calls.count).toBe(2);
    await expect(retryRetryable(work(throttled()).run, { attempts: 1 })).rejects.toMatchObject({
      name: 'AwsCallError',
    });
  });
});

describe('backoff', () => {
  it('waits base times 2^n, halved at the least jitter', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0);
    await retryRetryable(work(throttled(), throttled(), throttled()).run);
    expect(waits).toStrictEqual([50, 100, 200]);
  });

  it('waits at most base times 2^n, and takes its base from the options', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(1 - Number.EPSILON);
    await retryRetryable(work(throttled(), throttled(), throttled()).run, { baseDelayMs: 1000 });
    expect(waits.map((ms) => Math.round(ms))).toStrictEqual([1000, 2000, 4000]);
    waits.forEach((ms, n) => {
      expect(ms).toBeLessThanOrEqual(1000 * 2 ** n);
      expect(ms).toBeGreaterThanOrEqual(500 * 2 ** n);
    });
  });

  it('stays within its bounds with real jitter', async () => {
    await retryRetryable(work(throttled(), throttled(), throttled()).run, { baseDelayMs: 100 });
    waits.forEach((ms, n) => {
      expect(ms).toBeGreaterThanOrEqual(50 * 2 ** n);
      expect(ms).toBeLessThanOrEqual(100 * 2 ** n);
    });
  });
});

describe('what is not retried', () => {
  it.each([
    ['a permanent pipeline error', new InvalidRequestError('Metadata must be an object')],
    [
      'a permanent AWS error',
      new AwsCallError('StartRestoreJob', 'AccessDeniedException', 'denied', false, undefined),
    ],
    ['a deadline error, though marked retryable', new DeadlineExceededError('no time left')],
    ['an error the pipeline has not sorted', new Error('socket hang up')],
    ['a thrown value that is not an error', 'boom'],
  ])('%s: one attempt, the same error thrown, no wait', async (_what, error) => {
    const w = work(error);
    await expect(retryRetryable(w.run)).rejects.toBe(error);
    expect(w.calls.count).toBe(1);
    expect(waits).toStrictEqual([]);
  });
});

describe("the invocation's deadline", () => {
  it('does not start a round that would end too late: the error is thrown instead of waiting', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0);
    // 200 ms left, 50 of them reserved: less than the 50 ms wait plus MIN_ATTEMPT_MS.
    const w = work(throttled(), throttled());
    const context = { getRemainingTimeInMillis: () => 200 };
    await expect(runInvocation(context, [], () => retryRetryable(w.run))).rejects.toMatchObject({
      name: 'AwsCallError',
    });
    expect(w.calls.count).toBe(1);
    expect(waits).toStrictEqual([]);
    expect(50 + MIN_ATTEMPT_MS).toBeGreaterThan(200 - 50);
  });

  it('retries as usual when the invocation has time', async () => {
    const w = work(throttled());
    const context = { getRemainingTimeInMillis: () => 60_000 };
    await expect(runInvocation(context, [], () => retryRetryable(w.run))).resolves.toBe('done');
    expect(w.calls.count).toBe(2);
  });
});
