/**
 * Pacing of StartRestoreJob, so a burst uses AWS Backup's quota instead of tripping it.
 *
 * AWS allows 5 StartRestoreJob calls a second per account and Region, shared by every function
 * that starts restores. START_RESTORE_RATE_PER_SECOND is that account budget (default 5);
 * START_RESTORE_INSTANCES is how many function instances may call at once, all functions
 * together (the sum of their maximum concurrency). Each instance takes an equal share:
 * budget / instances, so all of them together never exceed the budget. The pacing runs once per
 * HTTP attempt (a middleware inside the SDK's retry loop), so the SDK's own retries are paced too.
 */

import type { BackupClient } from '@aws-sdk/client-backup';
import { DeadlineExceededError } from './runner/deadline.js';
import { deadlineFor, MIN_ATTEMPT_MS } from './runner/invocation.js';

/** Waits for the next slot. */
export interface RateLimiter {
  /**
   * Resolves at the caller's slot. With `notAfter` (epoch ms), a slot later than that is not
   * taken and DeadlineExceededError is thrown at once.
   */
  take(notAfter?: number): Promise<void>;
}

/** AWS Backup's default StartRestoreJob quota: calls a second per account and Region. */
export const START_RESTORE_JOB_QUOTA = 5;

/**
 * How much longer than its share each slot of a deployed instance is (a fraction of it). Calls
 * spaced exactly 1000 / rate ms apart when they leave arrive closer when the first was slower on
 * the way (it opened the connection, or the network was slower): AWS counts arrivals, so a full
 * share would cross the quota at every such jitter. 0.05 at a share of 1 a second is 50 ms.
 */
export const ARRIVAL_MARGIN = 0.05;

/**
 * Evenly spaced slots, `perSecond` a second (each longer by the fraction `margin`): the n-th
 * caller waits for slot n. One limiter paces one function instance.
 */
export function createRateLimiter(perSecond: number, now: () => number = Date.now, margin = 0): RateLimiter {
  const interval = (1000 / perSecond) * (1 + margin);
  let nextSlot = 0;
  return {
    take: (notAfter) => {
      const t = now();
      const slot = Math.max(t, nextSlot);
      if (notAfter !== undefined && slot > notAfter) {
        return Promise.reject(
          new DeadlineExceededError(
            `StartRestoreJob was not started: its pacing slot (${Math.round(slot - t)} ms away) comes after the invocation's deadline`,
          ),
        );
      }
      nextSlot = slot + interval;
      const wait = slot - t;
      return wait <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, wait));
    },
  };
}

/** One instance's share of the account budget, or the problems with the settings. */
export function startRestoreShare(
  env: Readonly<Record<string, string | undefined>>,
  budget: number | undefined,
): { perSecond: number; budget: number; instances: number; problems: string[] } {
  const problems: string[] = [];
  const raw = env.START_RESTORE_INSTANCES?.trim() ?? '';
  let instances = 1;
  if (raw !== '') {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > 10_000) {
      problems.push(
        `START_RESTORE_INSTANCES must be a whole number from 1 to 10000 (the sum of the maximum concurrency of every function that starts restores), got "${raw}"`,
      );
    } else instances = value;
  }
  const total = budget ?? START_RESTORE_JOB_QUOTA;
  return { perSecond: total / instances, budget: total, instances, problems };
}

/** The SDK middleware that takes one slot per StartRestoreJob attempt. */
export const PACING_MIDDLEWARE_NAME = 'startRestoreJobPacing';

type Stack = BackupClient['middlewareStack'];
type Middleware = Parameters<Stack['addRelativeTo']>[0];

/**
 * Paces every StartRestoreJob attempt of `client` through `limiter`. Placed after the SDK's retry
 * middleware, it runs once per attempt (retries included); it never waits past the deadline.
 */
export function paceStartRestoreJob(client: BackupClient, limiter: RateLimiter): BackupClient {
  const pacing = ((next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
    async (args: unknown) => {
      if (context.commandName === 'StartRestoreJobCommand') {
        const at = deadlineFor('work');
        await limiter.take(at === undefined ? undefined : at - MIN_ATTEMPT_MS);
      }
      return next(args);
    }) as unknown as Middleware;
  client.middlewareStack.addRelativeTo(pacing, {
    relation: 'after',
    toMiddleware: 'retryMiddleware',
    name: PACING_MIDDLEWARE_NAME,
    override: true,
  });
  return client;
}
