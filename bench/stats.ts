/** The arithmetic of the benchmark: paired runs, ratio spreads, and pacing counts (pure). */

/** The median (the upper one of an even count); NaN for no values. */
export const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** Spread of the per-pair ratios of one measure: a target is judged on the median. */
export interface RatioSpread {
  min: number;
  median: number;
  max: number;
}

/** Min, median and max of `xs`. */
export function spread(xs: readonly number[]): RatioSpread {
  const sorted = [...xs].sort((a, b) => a - b);
  return {
    min: sorted[0] ?? Number.NaN,
    median: median(sorted),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/** The candidate's and the baseline's values of each pair, in the order they ran. */
export interface Paired {
  candidate: number[];
  baseline: number[];
  /** candidate[i] / baseline[i]: each pair ran back to back, so a slow moment hits both alike. */
  ratios: number[];
}

/**
 * Runs `pairs` pairs in turn (candidate, baseline, candidate, baseline, ...), never one block
 * after the other: a machine that slows down halfway moves both sides of the pairs it slows.
 */
export async function runPaired(
  pairs: number,
  candidate: () => Promise<number>,
  baseline: () => Promise<number>,
): Promise<Paired> {
  const out: Paired = { candidate: [], baseline: [], ratios: [] };
  for (let i = 0; i < pairs; i++) {
    const c = await candidate();
    const b = await baseline();
    out.candidate.push(c);
    out.baseline.push(b);
    out.ratios.push(c / b);
  }
  return out;
}

/** The largest number of `times` (ms) inside any window of `windowMs` (the endpoint's own rule). */
export function maxInWindow(times: readonly number[], windowMs = 1000): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    while ((sorted[last] ?? 0) - (sorted[first] ?? 0) >= windowMs) first++;
    best = Math.max(best, last - first + 1);
  }
  return best;
}

/** Calls per whole second since the first call: index 0 is the first second. */
export function perSecond(times: readonly number[]): number[] {
  if (times.length === 0) return [];
  const start = Math.min(...times);
  const counts: number[] = [];
  for (const t of times) {
    const s = Math.floor((t - start) / 1000);
    while (counts.length <= s) counts.push(0);
    counts[s] = (counts[s] ?? 0) + 1;
  }
  return counts;
}

/** n events between the first and the last of `times` (ms): (n - 1) intervals a second. */
export function ratePerSecond(times: readonly number[]): number {
  if (times.length < 2) return Number.NaN;
  const span = (Math.max(...times) - Math.min(...times)) / 1000;
  return span > 0 ? (times.length - 1) / span : Number.NaN;
}

/**
 * Every window of `windowMs` that holds more than `limit` of `times` (the calls AWS would
 * throttle), as the calls in it relative to the first of them: where the pacing let calls bunch.
 */
export function crowdedWindows(times: readonly number[], limit: number, windowMs = 1000): number[][] {
  const sorted = [...times].sort((a, b) => a - b);
  const out: number[][] = [];
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    while ((sorted[last] ?? 0) - (sorted[first] ?? 0) >= windowMs) first++;
    if (last - first + 1 > limit) {
      const start = sorted[first] ?? 0;
      out.push(sorted.slice(first, last + 1).map((t) => Math.round(t - start)));
    }
  }
  return out;
}

/** Where a paced drain lost time against its cap: how far each quota-th next call came late. */
export interface WindowExcess {
  /** Calls whose quota-th previous call was (1000 + margin) ms before or less: at the cap. */
  atCap: number;
  /** Counts of calls later than the cap by up to 25, 100, 250 ms, and by more. */
  upTo25: number;
  upTo100: number;
  upTo250: number;
  over250: number;
  /** The excess summed over all calls and divided by the quota: about the time lost, in seconds. */
  lostSeconds: number;
}

/**
 * For each call, how long after the quota-th call before it it came, beyond the cap of
 * (1000 + margin) ms: a handover or a given-up turn shows as one window late by its cost.
 */
export function windowExcess(times: readonly number[], quota: number, marginMs: number): WindowExcess {
  const sorted = [...times].sort((a, b) => a - b);
  const out: WindowExcess = { atCap: 0, upTo25: 0, upTo100: 0, upTo250: 0, over250: 0, lostSeconds: 0 };
  let lost = 0;
  for (let i = quota; i < sorted.length; i++) {
    const excess = (sorted[i] as number) - (sorted[i - quota] as number) - (1000 + marginMs);
    if (excess <= 0) out.atCap += 1;
    else if (excess <= 25) out.upTo25 += 1;
    else if (excess <= 100) out.upTo100 += 1;
    else if (excess <= 250) out.upTo250 += 1;
    else out.over250 += 1;
    lost += Math.max(0, excess);
  }
  out.lostSeconds = lost / quota / 1000;
  return out;
}
