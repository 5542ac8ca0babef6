/**
 * The account-wide StartRestoreJob pacer of one function instance: its callers wait in a local
 * queue, most urgent first; the instance grants them calls by one conditional write of the budget
 * item (budget.ts) per batch. The instance holding the run writes without reading first; the others
 * put their name on the item's waiting list once and read it until their turn comes; an alarm
 * takes the next free call at once. An instance that cannot reach the table never calls: its
 * callers wait, and after a few tries they are given back (PacingUnavailableError, retryable).
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { RestorePipelineError } from '../errors.js';
import { DeadlineExceededError } from '../runner/deadline.js';
import type { Priority } from '../runner/priority.js';
import {
  addRun,
  type BudgetRules,
  type BudgetView,
  decode,
  EMPTY_VIEW,
  encode,
  type GrantRun,
  handOver,
  nextOwner,
  nextReleases,
  rankOf,
  type Unused,
} from './budget.js';
import { BUDGET_CALL_TIMEOUT_MS, type BudgetStore } from './store.js';

/** The job table could not be reached to take a call: the request goes back to its trigger. */
export class PacingUnavailableError extends RestorePipelineError {
  constructor(cause: unknown) {
    super(
      'StartRestoreJob was not started: the job table, which holds the account budget, could not be reached',
      {
        retryable: true,
        cause,
      },
    );
    this.name = 'PacingUnavailableError';
  }
}

/** What one grant write did: calls granted at a priority, writes and reads since the last report. */
export interface GrantReport {
  readonly priority: Priority;
  readonly calls: number;
  readonly writes: number;
  readonly reads: number;
}

/** Settings of a pacer. */
export interface PacerOptions {
  /** Calls a second, all instances together (AWS's StartRestoreJob quota, or less). */
  readonly quota: number;
  /** Milliseconds a one-second window is widened by: half for a caller's lateness, half for the way to AWS. */
  readonly marginMs: number;
  /** This instance's name on the budget item. */
  readonly id: string;
  readonly now?: () => number;
  /** Grants in one run before the run passes to a waiting instance (default 10). */
  readonly runLength?: number;
  readonly onGrant?: (report: GrantReport) => void;
}

/** Waits for a StartRestoreJob call of the account's budget. */
export interface Pacer {
  /** Resolves when the caller may call; with `notAfter` (epoch ms), rejects at once if that is too late. */
  take(priority: Priority, notAfter?: number): Promise<void>;
}

/** How long before a grant's time the owner claims it: a write's round trip, and then some. */
export const CLAIM_LEAD_MS = 50;
/** How often an instance next in line reads the item near its turn. */
export const TURN_POLL_MS = 10;
/**
 * Tries of the table before the callers are given back; between them 25, 50, 100, 200 ms. The
 * budget's client makes one attempt a call (src/wiring/restore.ts): the SDK's backoff would hold every
 * caller of the instance behind one slow call.
 */
export const UNREACHABLE_TRIES = 5;

interface Caller {
  /** Runs a function in the caller's async context (its invocation's deadline). */
  readonly context: <R>(fn: () => R) => R;
  readonly priority: Priority;
  readonly notAfter: number | undefined;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** The rules for a quota and a margin. */
export function budgetRules(quota: number, marginMs: number, runLength = 20): BudgetRules {
  return {
    quota,
    windowMs: 1000 + marginMs / 2,
    lateMs: marginMs / 2,
    // Nearly even: a burst of the whole quota is never sent, and a turn is easy to foresee.
    gapMs: (0.95 * (1000 + marginMs)) / quota,
    runLength,
  };
}

/** A pacer over the budget item in `store`. */
export function createPacer(store: BudgetStore, options: PacerOptions): Pacer {
  const pacer = new BudgetPacer(store, options);
  return { take: (priority, notAfter) => pacer.take(priority, notAfter) };
}

/** One instance's pacer: its callers' queue and its view of the budget item. */
class BudgetPacer {
  private readonly now: () => number;
  private readonly rules: BudgetRules;
  private readonly me: string;
  private readonly interval: number;
  private readonly staleMs: number;
  private readonly queue: Caller[] = [];
  private view: BudgetView | undefined;
  /** The view is this instance's own write, or a read just made. */
  private fresh = false;
  private viewAt = Number.NEGATIVE_INFINITY;
  /** The version last seen, and when it was first received (this instance's clock). */
  private seenVersion: number | undefined = -1;
  private seenSince = 0;
  private pumping = false;
  private failures = 0;
  private rtt = 10;
  private seq = 0;
  private readonly counts = { writes: 0, reads: 0 };
  /**
   * The tightest bound known of each run (its own runs exactly): a run read again, re-written by
   * others in between, carries each writer's delay; its first sighting is the best.
   */
  private readonly known = new Map<string, GrantRun>();
  /**
   * This instance's grants whose callers gave them up (released too late, they never called):
   * its own next grants need not keep a window from them. Others still count them.
   */
  private readonly unused = new Set<string>();
  /** Ends the pump's wait for its next batch early (a caller came back to claim again). */
  private wake: (() => void) | undefined;
  private readonly isUnused: Unused = (run, i) => run.owner === this.me && this.unused.has(`${run.seq}#${i}`);

  constructor(
    private readonly store: BudgetStore,
    private readonly options: PacerOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.rules = budgetRules(options.quota, options.marginMs, options.runLength);
    this.me = options.id;
    this.interval = this.rules.windowMs / this.rules.quota;
    this.staleMs = 2 * this.rules.windowMs + 1000;
  }

  take(priority: Priority, notAfter: number | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.enqueue({ context: AsyncLocalStorage.snapshot(), priority, notAfter, resolve, reject });
      void this.pump();
    });
  }

  private tightest(run: GrantRun): GrantRun {
    const key = `${run.owner}#${run.seq}`;
    const best = this.known.get(key);
    if (best !== undefined && best.first <= run.first) return best;
    this.known.set(key, run);
    if (this.known.size > 8 * this.rules.quota) this.known.delete(this.known.keys().next().value as string);
    return run;
  }

  private async read(): Promise<void> {
    this.counts.reads += 1;
    const stored = await this.store.read();
    this.viewAt = this.now();
    // A version read again says nothing newer: its times count from when it was first received.
    if (stored?.version !== this.seenVersion) {
      this.seenVersion = stored?.version;
      this.seenSince = this.viewAt;
    }
    const seen = decode(stored, this.seenSince, this.staleMs);
    this.view = { ...seen, runs: seen.runs.map((r) => this.tightest(r)) };
    this.fresh = true;
  }

  private async write(next: Omit<BudgetView, 'version'>, base: BudgetView): Promise<boolean> {
    this.counts.writes += 1;
    const sentAt = this.now();
    const ok = await this.store.write(encode(next, sentAt, base.version + 1));
    // A budget call is given up after BUDGET_CALL_TIMEOUT_MS: a longer measure is the instance's
    // own stall (a frozen or busy loop), not the table's way, and must not push every grant out.
    this.rtt = Math.min(BUDGET_CALL_TIMEOUT_MS, 0.8 * this.rtt + 0.2 * (this.now() - sentAt));
    if (ok) {
      this.view = { ...next, version: base.version + 1 };
      // Its offsets count from this send: read back, it says exactly what was written.
      this.seenVersion = this.view.version;
      this.seenSince = sentAt;
    }
    this.viewAt = this.now();
    this.fresh = ok;
    return ok;
  }

  private enqueue(caller: Caller, front = false): void {
    const rank = rankOf(caller.priority);
    const at = this.queue.findIndex((c) => (front ? rankOf(c.priority) >= rank : rankOf(c.priority) > rank));
    this.queue.splice(at < 0 ? this.queue.length : at, 0, caller);
  }

  /** Releases a caller at its time; one whose timer fired too late claims again (no call made). */
  private async release(caller: Caller, at: number, seq: number, i: number): Promise<void> {
    await sleep(at - this.now());
    if (this.now() - at <= this.rules.lateMs) return caller.resolve();
    this.unused.add(`${seq}#${i}`);
    if (this.unused.size > 8 * this.rules.quota)
      this.unused.delete(this.unused.values().next().value as string);
    this.enqueue(caller, true);
    // The next free call may be sooner than the batch the pump waits for: wake it.
    this.wake?.();
    void this.pump();
  }

  /**
   * The owner of `v` is gone (cut off from the table, or ended): the item has not changed for
   * staleMs while this instance kept reading it. Read by this instance's own clock only: the
   * item's times cannot say how old the item is.
   */
  private ownerGone(v: BudgetView, t: number): boolean {
    if (v.owner === undefined) return true;
    return (v.version === this.seenVersion || v.version === 0) && t - this.seenSince > this.staleMs;
  }

  /** Waits for this instance's turn: on the waiting list once, then reads until the run is its own. */
  private async awaitTurn(v: BudgetView, top: Caller, t: number): Promise<void> {
    const listed = v.waiting.find((w) => w.id === this.me);
    if (listed === undefined || rankOf(listed.priority) > rankOf(top.priority)) {
      const waiting = [
        ...v.waiting.filter((w) => w.id !== this.me),
        { id: this.me, priority: top.priority, since: t },
      ];
      await this.write({ ...v, waiting }, v);
      return;
    }
    this.fresh = false;
    // Close to the turn, read often: the first call after it waits as long as the item read was
    // old. Before, now and then: a run can also end early (its owner's callers gave up). The
    // next in line reads every TURN_POLL_MS from about an interval before the hand-over; the
    // others (their turn comes a run later, unless the list changed) five times less often.
    const next = nextOwner(v.waiting)?.id === this.me;
    const due = this.handoverDue(v, t);
    const poll = next ? TURN_POLL_MS : 5 * TURN_POLL_MS;
    await sleep(Math.min(4 * this.interval, Math.max(due - t, poll)));
  }

  /**
   * About when the owner of `v` hands over: with the last batch of its run (two calls at most),
   * written a lead before the first of them; read from an interval before that.
   */
  private handoverDue(v: BudgetView, t: number): number {
    const ownerRuns = v.runs.filter((r) => r.owner === v.owner);
    const last = Math.max(t, ...ownerRuns.map((r) => r.first + (r.count - 1) * r.step));
    const remaining = Math.min(this.rules.runLength - v.granted, v.left);
    return last + Math.max(0, remaining - 2) * this.interval - CLAIM_LEAD_MS - 2 * this.rtt;
  }

  /** Grants calls to the first callers (a batch due within the lead, or an alarm at once). */
  private async claim(v: BudgetView, t: number): Promise<void> {
    const queue = this.queue;
    // No call is released before the grant's write has landed (half a round trip after it is sent,
    // with room): the batch and the nap count from that same point, whatever the round trip, so a
    // free call is always within reach. (Counted from t + rtt instead, a round trip above 100 ms
    // left every free call just past the batch: the pump napped and never wrote again.)
    const reach = 1.5 * this.rtt;
    const releases = nextReleases(v.runs, this.rules, t + reach, queue.length, this.isUnused);
    const first = queue[0] as Caller;
    if (first.notAfter !== undefined && (releases[0] as number) > first.notAfter) {
      queue.shift();
      first.reject(
        new DeadlineExceededError(
          `StartRestoreJob was not started: its turn in the account budget (${Math.round((releases[0] as number) - t)} ms away) comes after the invocation's deadline`,
        ),
      );
      return;
    }
    let k = 0;
    // A batch is the calls due within the lead, and the next one after them: two calls a write
    // when busy, so an alarm finds at most two of another instance's calls granted ahead of it.
    const horizon = t + reach + CLAIM_LEAD_MS;
    while (k < queue.length && (releases[k] as number) <= horizon + (k > 0 ? this.interval : 0)) {
      const c = queue[k] as Caller;
      if (c.notAfter !== undefined && (releases[k] as number) > c.notAfter) break;
      k += 1;
    }
    if (k === 0 && first.priority === 'alarm') k = 1;
    if (k === 0) {
      if (v.owner !== this.me) this.fresh = false;
      await this.nap((releases[0] as number) - CLAIM_LEAD_MS - reach - t);
      return;
    }
    const grants = releases.slice(0, k);
    const ownRun = first.priority !== 'alarm' || v.owner === this.me || this.ownerGone(v, t);
    if (!(await this.write(this.nextState(v, grants, ownRun, t), v))) return;
    const batch = queue.splice(0, k);
    this.report(batch);
    const seq = this.seq;
    batch.forEach((caller, i) => void this.release(caller, grants[i] as number, seq, i));
  }

  /**
   * Reports one grant write: each call under its own caller's priority (a batch can mix them);
   * the write and the reads before it under the first caller's, who had them made.
   */
  private report(batch: readonly Caller[]): void {
    const calls = new Map<Priority, number>();
    for (const c of batch) calls.set(c.priority, (calls.get(c.priority) ?? 0) + 1);
    let costs = { ...this.counts };
    for (const [priority, n] of calls) {
      this.options.onGrant?.({ priority, calls: n, ...costs });
      costs = { writes: 0, reads: 0 };
    }
    this.counts.writes = 0;
    this.counts.reads = 0;
  }

  /** The item after granting `grants`: this instance's run, or an alarm's call added to another's. */
  private nextState(
    v: BudgetView,
    grants: number[],
    ownRun: boolean,
    t: number,
  ): Omit<BudgetView, 'version'> {
    this.seq += 1;
    const runs = addRun(v.runs, grants, this.me, this.rules, this.seq);
    this.tightest(runs.at(-1) as GrantRun);
    if (!ownRun) return { ...v, runs };
    const rest = this.queue.slice(grants.length);
    const mine = v.owner === this.me;
    const state = {
      runs,
      owner: this.me,
      ownerSince: mine ? v.ownerSince : t,
      granted: (mine ? v.granted : 0) + grants.length,
      left: rest.length,
      waiting: v.waiting.filter((w) => w.id !== this.me),
    };
    const wanted = rest[0]?.priority;
    if (wanted !== undefined && !handOver({ ...state, version: v.version }, this.rules, this.me, wanted)) {
      return state;
    }
    const heir = nextOwner(state.waiting);
    const waiting = state.waiting.filter((w) => w.id !== heir?.id);
    if (wanted !== undefined) waiting.push({ id: this.me, priority: wanted, since: t });
    return { runs, owner: heir?.id, ownerSince: t, granted: 0, left: 0, waiting };
  }

  private async step(): Promise<void> {
    if (this.view === undefined && this.seenVersion === -1) {
      // First call of this instance: write as if there were no item yet (its write holds only if
      // none exists); a failed write then reads it. A job table that answers no reads still paces
      // its first start, and an idle instance starts at once.
      this.view = EMPTY_VIEW;
      this.fresh = true;
      this.viewAt = this.now();
    }
    // Only the owner's view stays good between its writes; anyone else reads just before it writes.
    const v0 = this.view;
    // So is the view of the last writer when nobody else was about (no other run within a window,
    // nobody waiting): an idle alarm function writes at once; if someone did write, the write fails.
    const alone =
      v0 !== undefined &&
      v0.waiting.length === 0 &&
      v0.runs.every(
        (r) => r.owner === this.me || r.first + (r.count - 1) * r.step < this.now() - this.rules.windowMs,
      );
    const current = (v0?.owner === this.me || alone) && this.fresh;
    const recent = this.fresh && this.now() - this.viewAt <= 2 * this.rtt + 5;
    // A caller past its deadline leaves before the table is read under that deadline.
    if (this.expired(this.queue[0] as Caller, this.now())) return;
    if (this.view === undefined || !(current || recent)) await this.read();
    const v = this.view as BudgetView;
    const t = this.now();
    const top = this.queue[0] as Caller;
    if (this.expired(top, t)) return;
    if (top.priority === 'alarm' || v.owner === this.me || this.ownerGone(v, t)) await this.claim(v, t);
    else await this.awaitTurn(v, top, t);
  }

  /** Waits `ms`, or less if woken. */
  private nap(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.woke(resolve), Math.max(0, ms));
      this.wake = () => {
        clearTimeout(timer);
        this.woke(resolve);
      };
    });
  }

  private woke(resolve: () => void): void {
    this.wake = undefined;
    resolve();
  }

  /** Rejects and removes `top` when its deadline has passed at `t`; true when it did. */
  private expired(top: Caller, t: number): boolean {
    if (top.notAfter === undefined || t <= top.notAfter) return false;
    this.queue.shift();
    top.reject(
      new DeadlineExceededError(
        "StartRestoreJob was not started: its turn in the account budget did not come before the invocation's deadline",
      ),
    );
    return true;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        const top = this.queue[0] as Caller;
        try {
          // The table is read and written for the first caller, within its invocation's deadline:
          // the pump may have been started by a caller whose invocation has ended.
          await top.context(() => this.step());
          this.failures = 0;
        } catch (error) {
          this.view = undefined;
          // That caller's deadline ran out during a call made for it: it alone gives up (an alarm
          // may have been queued ahead of it meanwhile); the table was not found unreachable.
          if (error instanceof DeadlineExceededError) {
            const at = this.queue.indexOf(top);
            if (at >= 0) this.queue.splice(at, 1);
            top.reject(error);
            continue;
          }
          this.failures += 1;
          if (this.failures < UNREACHABLE_TRIES) await sleep(25 * 2 ** (this.failures - 1));
          else {
            this.failures = 0;
            for (const caller of this.queue.splice(0)) caller.reject(new PacingUnavailableError(error));
          }
        }
      }
    } finally {
      this.pumping = false;
    }
  }
}
