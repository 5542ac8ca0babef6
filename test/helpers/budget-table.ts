/**
 * A fake job table for the pacer's budget item, on the (fake) timers: each call lands half its
 * latency after it is sent and answers the other half later, as a network round trip does, and a
 * conditional write holds only on the version it expects. One instance can be cut off.
 */

import type { StoredBudget } from '../../src/pacing/budget';
import type { BudgetStore } from '../../src/pacing/store';

export interface FakeBudgetTable {
  /** A store for one instance; `cutOff()` true: every call fails as an unreachable table would. */
  store(cutOff?: () => boolean): BudgetStore;
  readonly counts: { reads: number; writes: number; failedConditions: number };
  item(): StoredBudget | undefined;
}

export function fakeBudgetTable(latencyMs = 4): FakeBudgetTable {
  let item: StoredBudget | undefined;
  const counts = { reads: 0, writes: 0, failedConditions: 0 };
  const later = <T>(ms: number, value: () => T) =>
    new Promise<T>((resolve, reject) =>
      setTimeout(() => {
        try {
          resolve(value());
        } catch (error) {
          reject(error);
        }
      }, ms),
    );
  const unreachable = () => {
    throw Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' });
  };
  return {
    counts,
    item: () => item,
    store: (cutOff = () => false) => ({
      read: async () => {
        if (cutOff()) return later(latencyMs, unreachable);
        counts.reads += 1;
        const seen = await later(latencyMs / 2, () => item);
        return later(latencyMs / 2, () => seen);
      },
      write: async (next) => {
        if (cutOff()) return later(latencyMs, unreachable);
        counts.writes += 1;
        const ok = await later(latencyMs / 2, () => {
          if ((item?.version ?? 0) !== next.version - 1) return false;
          item = next;
          return true;
        });
        if (!ok) counts.failedConditions += 1;
        return later(latencyMs / 2, () => ok);
      },
    }),
  };
}
