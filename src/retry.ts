/** A bounded retry for the writes that must not fail once a restore job exists. */

import { DeadlineExceededError, RestorePipelineError } from './errors.js';
import { MIN_ATTEMPT_MS, timeLeft } from './invocation.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work` up to `attempts` times while it throws a retryable RestorePipelineError, waiting
 * `baseDelayMs` times 2^n (with jitter) in between. The SDK's own retries happen inside each
 * attempt; these rounds also outlast an empty SDK retry quota. They never stack past the
 * invocation's deadline: a round that would start too late is not started, and the last error
 * is thrown instead (a deadline error is never retried here).
 */
export async function retryRetryable<T>(
  work: () => Promise<T>,
  options: { attempts?: number; baseDelayMs?: number } = {},
): Promise<T> {
  const attempts = options.attempts ?? 4;
  const base = options.baseDelayMs ?? 100;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const retryable =
        error instanceof RestorePipelineError && error.retryable && !(error instanceof DeadlineExceededError);
      if (!retryable || attempt >= attempts) throw error;
      const delay = base * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
      if (timeLeft('work') < delay + MIN_ATTEMPT_MS) throw error;
      await sleep(delay);
    }
  }
}
