/**
 * Fault injection for the local endpoint, set per operation: latency, error rates per kind, and a
 * rate limit that answers ThrottlingException above N calls per second.
 */

/** The kinds of injected failure. */
export type FaultKind = 'ServiceUnavailable' | 'Throttling' | 'ConnectionReset' | 'Timeout' | 'LostResponse';

/** Faults for one operation (or for every operation, under "*"). */
export interface FaultSpec {
  /** Added to every answer, in milliseconds. */
  latencyMs?: number;
  /** Probability (0..1) of each kind of failure per call. */
  errorRates?: Partial<Record<FaultKind, number>>;
  /** Calls per second above which ThrottlingException is answered (a sliding one-second window). */
  rateLimitPerSecond?: number;
  /** How long a "Timeout" call hangs before its connection is dropped. */
  timeoutMs?: number;
}

/** Per-operation fault settings. Keys: an operation ("StartRestoreJob"), "Op:queue-name", or "*". */
export type FaultPlan = Record<string, FaultSpec>;

/** What to do with one call. */
export type FaultDecision =
  | { action: 'pass'; latencyMs: number }
  | { action: 'error'; kind: 'ServiceUnavailable' | 'Throttling'; latencyMs: number; rateLimited: boolean }
  | { action: 'reset' }
  /** The call is carried out, then the connection drops before the answer (the caller retries). */
  | { action: 'lost-response' }
  | { action: 'hang'; ms: number };

/** Counts of what was injected, per operation and kind. */
export type FaultCounts = Record<string, Record<string, number>>;

/** Decides, call by call, which fault (if any) to inject. `random` is injectable for repeatable runs. */
export class FaultInjector {
  private plan: FaultPlan = {};
  private readonly calls = new Map<string, number[]>();
  readonly counts: FaultCounts = {};
  /** When each call arrived (epoch ms), per operation, throttled ones included: what pacing tests and the bench read. */
  readonly arrivals: Record<string, number[]> = {};

  constructor(private readonly random: () => number = Math.random) {}

  /** Replaces the whole plan. */
  set(plan: FaultPlan): void {
    this.plan = { ...plan };
    this.calls.clear();
  }

  /** The plan in force. */
  get(): FaultPlan {
    return { ...this.plan };
  }

  private count(operation: string, what: string): void {
    const forOp = this.counts[operation] ?? {};
    forOp[what] = (forOp[what] ?? 0) + 1;
    this.counts[operation] = forOp;
  }

  /** Decides the fate of one call to `operation` (on `queue`, for SQS). */
  decide(operation: string, queue?: string, now = Date.now()): FaultDecision {
    const spec =
      (queue === undefined ? undefined : this.plan[`${operation}:${queue}`]) ??
      this.plan[operation] ??
      this.plan['*'];
    this.count(operation, 'calls');
    const seen = this.arrivals[operation] ?? [];
    seen.push(now);
    this.arrivals[operation] = seen;
    if (spec === undefined) return { action: 'pass', latencyMs: 0 };
    const latencyMs = spec.latencyMs ?? 0;

    if (spec.rateLimitPerSecond !== undefined) {
      const key = queue === undefined ? operation : `${operation}:${queue}`;
      const window = (this.calls.get(key) ?? []).filter((t) => now - t < 1000);
      if (window.length >= spec.rateLimitPerSecond) {
        this.calls.set(key, window);
        this.count(operation, 'RateLimited');
        return { action: 'error', kind: 'Throttling', latencyMs, rateLimited: true };
      }
      window.push(now);
      this.calls.set(key, window);
    }

    let roll = this.random();
    for (const [kind, rate] of Object.entries(spec.errorRates ?? {}) as [FaultKind, number][]) {
      if (roll < rate) {
        this.count(operation, kind);
        if (kind === 'ConnectionReset') return { action: 'reset' };
        if (kind === 'LostResponse') return { action: 'lost-response' };
        if (kind === 'Timeout') return { action: 'hang', ms: spec.timeoutMs ?? 1500 };
        return { action: 'error', kind, latencyMs, rateLimited: false };
      }
      roll -= rate;
    }
    return { action: 'pass', latencyMs };
  }
}

/** Parses "Op=kind:rate,kind:rate;Op2=latency:50,rate-limit:5" as given on the command line. */
export function parseFaultPlan(text: string): FaultPlan {
  const plan: FaultPlan = {};
  for (const part of text
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [operation = '', settings = ''] = part.split('=');
    const spec: FaultSpec = {};
    for (const setting of settings.split(',').filter(Boolean)) {
      const [key = '', raw = ''] = setting.split(':');
      const value = Number(raw);
      if (!Number.isFinite(value)) throw new Error(`Fault setting "${setting}" needs a number`);
      if (key === 'latency') spec.latencyMs = value;
      else if (key === 'rate-limit') spec.rateLimitPerSecond = value;
      else if (key === 'timeout-ms') spec.timeoutMs = value;
      else if (
        ['ServiceUnavailable', 'Throttling', 'ConnectionReset', 'Timeout', 'LostResponse'].includes(key)
      ) {
        spec.errorRates = { ...spec.errorRates, [key]: value };
      } else throw new Error(`Unknown fault setting "${key}"`);
    }
    plan[operation.trim()] = spec;
  }
  return plan;
}

/** A small deterministic generator (mulberry32), so a campaign can be repeated. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
