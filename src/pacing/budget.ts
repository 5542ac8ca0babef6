/**
 * The account's StartRestoreJob budget as one item of the job table (pure: no I/O here).
 *
 * The item holds the release times of the latest calls granted, as upper bounds in milliseconds
 * after the write that stored them, never as clock readings: a reader adds them to the moment it
 * received the item, which is after the write, so each bound stays an upper bound in the reader's
 * own clock whatever the clocks of the instances read. No instance trusts another's clock.
 *
 * A new call is released no earlier than `windowMs` (1000 ms and the margin) after the
 * quota-th latest bound: any one-second window then holds at most `quota` calls, wherever the
 * instances' clocks stand (docs/aws-behaviour.md#b-pacer-budget-item).
 *
 * The item also says who holds the run (the owner grants itself calls without reading first) and
 * who waits for a turn, by priority: the owner hands the run over after `runLength` grants, or
 * at once to a more urgent waiter. An alarm does not wait for a turn: it takes the next free call.
 */

import { PRIORITIES, type Priority } from '../runner/priority.js';

/** A run of grants: `count` calls, the first released by `first` (local ms), each next `step` ms later. */
export interface GrantRun {
  readonly first: number;
  readonly count: number;
  readonly step: number;
  readonly owner: string;
  /** The owner's number for the run: the owner knows its own runs' times exactly. */
  readonly seq: number;
}

/** An instance waiting for its turn, and since when (local ms). */
export interface Waiter {
  readonly id: string;
  readonly priority: Priority;
  readonly since: number;
}

/** The budget item as one instance sees it, its times in that instance's clock. */
export interface BudgetView {
  /** 0: the item does not exist yet. */
  readonly version: number;
  /** The latest grant runs, oldest first: enough of them to hold `quota` calls. */
  readonly runs: readonly GrantRun[];
  /** The instance holding the run, and when it got it (local ms). */
  readonly owner: string | undefined;
  readonly ownerSince: number;
  /** Grants the owner made in its run, and how many callers it still had (when its run ends). */
  readonly granted: number;
  readonly left: number;
  readonly waiting: readonly Waiter[];
}

/** The pacing rules. */
export interface BudgetRules {
  /** Calls a second, all instances together. */
  readonly quota: number;
  /** 1000 ms and the margin: `quota + 1` calls are never released within this. */
  readonly windowMs: number;
  /** Least gap between two releases (no burst of the whole quota at once). */
  readonly gapMs: number;
  /** How late a caller may release after its grant's time; later, it must claim again. */
  readonly lateMs: number;
  /** Grants in one run before the owner hands over to a waiter. */
  readonly runLength: number;
}

/** An empty budget (no item yet). */
export const EMPTY_VIEW: BudgetView = {
  version: 0,
  runs: [],
  owner: undefined,
  ownerSince: 0,
  granted: 0,
  left: 0,
  waiting: [],
};

/** The rank of a priority: 0 for an alarm. */
export const rankOf = (priority: Priority): number => PRIORITIES.indexOf(priority);

/** Grants kept in the item beyond the quota: a batch (two calls) given up late. */
export const KEPT_SPARE = 2;

/** True for call `i` of `run` when the reader knows it was never made (a grant given up). */
export type Unused = (run: GrantRun, i: number) => boolean;

/**
 * Every upper bound of the runs, latest first, at most `quota` of them. Grants known `unused` are
 * left out only while the runs still hold `quota` calls made: the quota-th latest call must be in
 * them (older runs are not kept), else every grant counts.
 */
export function latestBounds(runs: readonly GrantRun[], quota: number, unused?: Unused): number[] {
  const out: number[] = [];
  for (let r = runs.length - 1; r >= 0 && out.length < quota; r--) {
    const run = runs[r] as GrantRun;
    for (let i = run.count - 1; i >= 0 && out.length < quota; i--) {
      if (unused?.(run, i) !== true) out.push(run.first + i * run.step);
    }
  }
  if (out.length < quota && unused !== undefined) return latestBounds(runs, quota);
  // Runs are mostly in order already: a sort copies the array, `quota` long (1,000 when unpaced).
  return out.every((t, i) => i === 0 || t <= (out[i - 1] as number)) ? out : out.sort((a, b) => b - a);
}

/**
 * The release times of `count` new calls (each no earlier than `from`), after the bounds of
 * `runs`: each is at least windowMs after the quota-th latest bound and gapMs after the latest.
 */
export function nextReleases(
  runs: readonly GrantRun[],
  rules: BudgetRules,
  from: number,
  count: number,
  unused?: Unused,
): number[] {
  const bounds = latestBounds(runs, rules.quota, unused);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const qth = bounds.length >= rules.quota ? (bounds[rules.quota - 1] as number) + rules.windowMs : from;
    const latest = bounds.length > 0 ? (bounds[0] as number) - rules.lateMs + rules.gapMs : from;
    const at = Math.max(from, qth, latest);
    out.push(at);
    // The latest bound yet (at >= bounds[0] - lateMs + gapMs): the bounds stay latest first.
    bounds.unshift(at + rules.lateMs);
    if (bounds.length > rules.quota) bounds.length = rules.quota;
  }
  return out;
}

/**
 * The runs with one batch of grants added, trimmed to the latest `quota` calls. The batch is
 * stored as one run whose step is the largest average step from its first grant, so that each
 * `first + i * step` is an upper bound of grant i (an evenly spaced batch is stored exactly).
 */
export function addRun(
  runs: readonly GrantRun[],
  grants: readonly number[],
  owner: string,
  rules: BudgetRules,
  seq = 0,
): GrantRun[] {
  const g0 = grants[0];
  if (g0 === undefined) return [...runs];
  let step = 0;
  for (let i = 1; i < grants.length; i++) step = Math.max(step, ((grants[i] as number) - g0) / i);
  const out = [...runs, { first: g0 + rules.lateMs, count: grants.length, step, owner, seq }];
  // Keep the fewest latest runs that hold `quota` calls and a batch more: older ones no longer
  // bound anything, and a batch given up by its callers still leaves `quota` calls made in view.
  let held = 0;
  let keepFrom = out.length;
  while (keepFrom > 0 && held < rules.quota + KEPT_SPARE) {
    keepFrom -= 1;
    held += (out[keepFrom] as GrantRun).count;
  }
  return out.slice(keepFrom);
}

/** The waiter the run goes to next: the most urgent, then the longest waiting. */
export function nextOwner(waiting: readonly Waiter[]): Waiter | undefined {
  return [...waiting].sort((a, b) => rankOf(a.priority) - rankOf(b.priority) || a.since - b.since)[0];
}

/** True when the owner's run should pass to a waiter now. */
export function handOver(view: BudgetView, rules: BudgetRules, me: string, myPriority: Priority): boolean {
  const next = nextOwner(view.waiting.filter((w) => w.id !== me));
  if (next === undefined) return false;
  return view.granted >= rules.runLength || rankOf(next.priority) < rankOf(myPriority);
}

/** The item's stored form: times as offsets (ms) from the write that stores it. */
export interface StoredBudget {
  readonly version: number;
  /** JSON: { r: [[firstOffset, count, step, owner, seq]], o, t, g, l, w: [[id, priority, sinceOffset]] }. */
  readonly state: string;
}

interface StateJson {
  r: [number, number, number, string, number][];
  o?: string;
  t?: number;
  g?: number;
  l?: number;
  w?: [string, Priority, number][];
}

/**
 * The stored form of `view` for a write sent at `sentAt` (local ms). The write lands after it was
 * sent, so `time - sentAt` is an upper bound of how long after the write a time comes.
 */
export function encode(view: Omit<BudgetView, 'version'>, sentAt: number, version: number): StoredBudget {
  const up = (t: number) => Math.ceil(t - sentAt);
  const state: StateJson = {
    r: view.runs.map((r) => [up(r.first), r.count, Math.ceil(r.step * 1000) / 1000, r.owner, r.seq]),
  };
  if (view.owner !== undefined) {
    state.o = view.owner;
    state.t = Math.floor(view.ownerSince - sentAt);
    state.g = view.granted;
    state.l = view.left;
  }
  if (view.waiting.length > 0)
    state.w = view.waiting.map((w) => [w.id, w.priority, Math.floor(w.since - sentAt)]);
  return { version, state: JSON.stringify(state) };
}

/**
 * The view from a stored item received at `receivedAt` (local ms): the write came before, so
 * `receivedAt + offset` is never earlier than the time the writer meant. Waiters gone `staleMs`
 * are dropped.
 */
export function decode(stored: StoredBudget | undefined, receivedAt: number, staleMs: number): BudgetView {
  if (stored === undefined) return EMPTY_VIEW;
  const state = JSON.parse(stored.state) as StateJson;
  return {
    version: stored.version,
    runs: state.r.map(([first, count, step, owner, seq]) => ({
      first: receivedAt + first,
      count,
      step,
      owner,
      seq,
    })),
    owner: state.o,
    ownerSince: receivedAt + (state.t ?? 0),
    granted: state.g ?? 0,
    left: state.l ?? 0,
    waiting: (state.w ?? [])
      .map(([id, priority, since]) => ({ id, priority, since: receivedAt + since }))
      .filter((w) => receivedAt - w.since < staleMs),
  };
}
