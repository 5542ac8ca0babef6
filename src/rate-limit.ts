/** Pacing of StartRestoreJob calls, so a burst uses AWS Backup's quota instead of tripping it. */

/** Waits for the next slot. */
export interface RateLimiter {
  take(): Promise<void>;
}

/** No pacing. */
export const UNLIMITED: RateLimiter = { take: async () => undefined };

/**
 * Evenly spaced slots, `perSecond` a second: the n-th caller waits for slot n. The quota is per
 * account and Region; one limiter paces one function instance.
 */
export function createRateLimiter(perSecond: number, now: () => number = Date.now): RateLimiter {
  const interval = 1000 / perSecond;
  let nextSlot = 0;
  return {
    take: () => {
      const t = now();
      const slot = Math.max(t, nextSlot);
      nextSlot = slot + interval;
      const wait = slot - t;
      return wait <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, wait));
    },
  };
}
