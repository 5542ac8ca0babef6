/**
 * Pacing of StartRestoreJob, so a burst uses AWS Backup's quota instead of tripping it.
 *
 * AWS allows 5 StartRestoreJob calls a second per account and Region, shared by every function
 * that starts restores. START_RESTORE_RATE_PER_SECOND is that account budget (default 5).
 *
 * The budget is shared at run time through the restore jobs table (createSharedPacer): time is cut
 * into slots of 1000 / budget ms (5 % longer, ARRIVAL_MARGIN), and each HTTP attempt first claims
 * one slot with a conditional write (`pace#<slot>`, attribute_not_exists), then waits for the
 * slot to begin. Any instance may take any free slot, so one busy function can use the whole
 * budget while the others idle. When DynamoDB cannot be reached, an instance falls back to its
 * static share: budget / START_RESTORE_INSTANCES (the sum of the maximum concurrency of the
 * functions that start restores), which keeps all of them together within the budget too. The
 * pacing runs once per HTTP attempt (a middleware inside the SDK's retry loop), so the SDK's own
 * retries are paced too.
 */

import type { BackupClient } from '@aws-sdk/client-backup';
import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { conditionHolds } from './aws/conditional.js';
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

/**
 * How much longer than its share each slot of the shared pacer is: 50 ms a second at any budget,
 * half for a caller's own lateness (more takes a spacer), half for the HTTP path's jitter and
 * clock skew. 0.03 and 0.04 left calls 25 to 40 ms closer than their slots under a load average
 * of 8 on 2 cores, and the local endpoint throttled them; 0.05 caps the drain at 1 / 1.05 = 0.952 of the budget.
 */
export const SHARED_ARRIVAL_MARGIN = 0.05;

/** The key prefix of the pacer's slot items in the restore jobs table. */
export const SLOT_KEY_PREFIX = 'pace#';
/** How long a slot item is kept (TTL attribute `expiresAt`, as the table's other items): an hour. */
export const SLOT_TTL_SECONDS = 3_600;
/** After DynamoDB failed, how long the instance stays on its static share before trying again. */
export const FALLBACK_HOLD_MS = 30_000;

/** What the shared pacer needs. */
export interface SharedPacerOptions {
  /** The restore jobs table (hash key `restoreJobId`). */
  readonly table: string;
  /** The account budget: StartRestoreJob calls a second, all instances together. */
  readonly perSecond: number;
  /** The static share used while DynamoDB cannot be reached. */
  readonly fallback: RateLimiter;
  /** Told once each time the pacer falls back (and then at most every FALLBACK_HOLD_MS). */
  readonly onFallback?: (error: unknown) => void;
  readonly now?: () => number;
  /** Each slot is longer than its share by this fraction (default SHARED_ARRIVAL_MARGIN). */
  readonly margin?: number;
}

/** The slot grid of a budget: slot length, and how many slots one second holds. */
export function slotGrid(
  perSecond: number,
  margin = SHARED_ARRIVAL_MARGIN,
): { intervalMs: number; perWindow: number } {
  const intervalMs = (1000 / perSecond) * (1 + margin);
  return { intervalMs, perWindow: Math.ceil(1000 / intervalMs) };
}

/**
 * The account-wide pacer: one conditional PutItem per attempt claims the next free slot of the
 * grid (slot n begins at n * intervalMs, epoch ms), shared by every instance of every function.
 *
 * Why no second holds more than the budget: slots begin intervalMs = 1.05 * 1000 / budget apart,
 * so `budget + 1` slots span 1050 ms at a budget of 5 and AWS's one-second window sees at most
 * `budget` calls that start on time (the local endpoint counts any one-second window; AWS documents
 * only a rate a second, docs/aws-behaviour.md). The 50 ms left over absorb what moves an arrival: half of it
 * a caller's own lateness (lateTolerance, below), half the difference between two calls' ways to
 * AWS: clock skew between instances (the slot is read from each instance's own clock), a slower
 * connection, a busier event loop. Claims are made at most `horizonMs` ahead and one at a time per
 * instance, so a newcomer (an alarm behind a backlog) waits about two slots, not behind every
 * slot the busy instances would otherwise have claimed. A caller that finds the current slot
 * free but already begun (the first call after a quiet spell), or whose timer fired late, would
 * arrive late in it, and a late call plus the next `perWindow` on-time calls could fall within one
 * second: it calls at once only if it also claims the slot `perWindow` ahead (a spacer, left unused), else it takes a
 * later slot. Slots are claimed, never given back: an attempt that is refused (deadline) or
 * fails still used its slot, as AWS would count the call.
 */
export function createSharedPacer(ddb: DynamoDBClient, options: SharedPacerOptions): RateLimiter {
  const now = options.now ?? Date.now;
  const { intervalMs, perWindow } = slotGrid(options.perSecond, options.margin);
  // Late by up to half the leftover of the window needs no spacer (the other half is jitter).
  const lateTolerance = Math.max(0, (perWindow * intervalMs - 1000) / 2);
  // A slot is claimed at most this long before it begins (two slots, and time for the write).
  const horizonMs = Math.max(2 * intervalMs, 100);
  let next = 0;
  let lostRace = false;
  let fallbackUntil = Number.NEGATIVE_INFINITY;

  const claim = (slot: number): Promise<boolean> =>
    conditionHolds('PutItem (pacing slot)', () =>
      ddb.send(
        new PutItemCommand({
          TableName: options.table,
          Item: {
            restoreJobId: { S: `${SLOT_KEY_PREFIX}${slot}` },
            expiresAt: { N: String(Math.floor(now() / 1000) + SLOT_TTL_SECONDS) },
          },
          ConditionExpression: 'attribute_not_exists(restoreJobId)',
        }),
      ),
    );

  /** Claims a slot (one conditional write at a time per instance); resolves with the slot. */
  const claimNext = async (notAfter: number | undefined): Promise<{ slot: number; spaced: boolean }> => {
    for (;;) {
      const t = now();
      const slot = Math.max(next, Math.floor(t / intervalMs));
      const begins = slot * intervalMs;
      if (notAfter !== undefined && begins > notAfter) {
        throw new DeadlineExceededError(
          `StartRestoreJob was not started: its pacing slot (${Math.round(begins - t)} ms away) comes after the invocation's deadline`,
        );
      }
      if (begins - t > horizonMs + (lostRace ? intervalMs : 0)) {
        // Not yet: claiming far ahead would make every newcomer (an alarm) write its way past
        // each slot held, and would queue it behind them all.
        await new Promise((resolve) => setTimeout(resolve, begins - horizonMs - t));
        continue;
      }
      next = slot + 1;
      const late = t - begins > lateTolerance;
      const [mine, spacer] = await Promise.all([claim(slot), late ? claim(slot + perWindow) : true]);
      // The loser of a race looks one slot further ahead next time: else, waking for the same slot
      // as a busy instance, a newcomer could lose every race.
      lostRace = !mine;
      if (mine && spacer) return { slot, spaced: late };
    }
  };
  // One claim in flight per instance: concurrent callers would race each other (and the other
  // instances) for the same slots, and every lost race is a write.
  let queue: Promise<unknown> = Promise.resolve();
  const shared = async (notAfter: number | undefined): Promise<void> => {
    for (;;) {
      const turn = queue.then(() => claimNext(notAfter));
      queue = turn.catch(() => undefined);
      const { slot, spaced } = await turn;
      const begins = slot * intervalMs;
      const wait = begins - now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      // A timer that fired late (a busy event loop) would call late in its slot, as a free slot
      // found already begun would: only with the spacer, else a later slot is taken.
      if (spaced || now() - begins <= lateTolerance || (await claim(slot + perWindow))) return;
    }
  };

  return {
    take: async (notAfter) => {
      if (now() < fallbackUntil) return options.fallback.take(notAfter);
      try {
        return await shared(notAfter);
      } catch (error) {
        if (error instanceof DeadlineExceededError) throw error;
        fallbackUntil = now() + FALLBACK_HOLD_MS;
        options.onFallback?.(error);
        return options.fallback.take(notAfter);
      }
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
