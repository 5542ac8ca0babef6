/**
 * The StartRestoreJob pacer on fake timers and a fake table (no sockets, no real waits): the
 * busiest one-second window never above the quota, with clocks apart and an instance cut off;
 * alarms first; about one write a start.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import fc from 'fast-check';
import { maxInWindow } from '../../bench/stats';
import { arriveFromEvent, arriveFromSqs } from '../../src/arrival/decode';
import { decode, encode, type GrantRun, latestBounds, nextReleases } from '../../src/pacing/budget';
import { budgetRules, createPacer, type GrantReport, PacingUnavailableError } from '../../src/pacing/pacer';
import { DeadlineExceededError } from '../../src/runner/deadline';
import { currentPriority, type Priority, priorityOf, withPriority } from '../../src/runner/priority';
import { fakeBudgetTable } from '../helpers/budget-table';

const QUOTA = 5;
const MARGIN = 30;

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

/** An instance: its pacer on its own clock (`skewMs` from true time), what it released and when. */
function instance(table: ReturnType<typeof fakeBudgetTable>, name: string, skewMs = 0, cutOff = () => false) {
  const reports: GrantReport[] = [];
  /** When (true time) each grant write was reported, and its calls. */
  const grants: { at: number; calls: number }[] = [];
  const pacer = createPacer(table.store(cutOff), {
    quota: QUOTA,
    marginMs: MARGIN,
    id: name,
    now: () => Date.now() + skewMs,
    onGrant: (r) => {
      reports.push(r);
      grants.push({ at: Date.now(), calls: r.calls });
    },
  });
  const released: { at: number; priority: Priority; by: string }[] = [];
  const failed: unknown[] = [];
  const ask = (priority: Priority, notAfter?: number) =>
    pacer.take(priority, notAfter).then(
      () => void released.push({ at: Date.now(), priority, by: name }),
      (error: unknown) => void failed.push(error),
    );
  return { pacer, released, failed, reports, grants, ask };
}

describe('the budget item', () => {
  const rules = budgetRules(QUOTA, MARGIN);

  it('releases the quota-th next call a window and the margin after the quota-th latest', () => {
    const releases = nextReleases([], rules, 0, 7).map((t) => Math.round(t * 10) / 10);
    // Nearly even (0.95 of the window's share apart), then the sixth waits for the first's bound
    // (0 + 15 late) + 1015: five calls in every 1030 ms.
    expect(releases).toStrictEqual([0, 195.7, 391.4, 587.1, 782.8, 1030, 1225.7]);
    expect(maxInWindow(releases, 1000)).toBe(5);
  });

  it("keeps every bound an upper bound in the reader's clock, however late it reads and however its clock stands", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -2_000, max: 2_000 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: -250, max: 250 }),
        (firsts, transit, readAfter, skew) => {
          const runs: GrantRun[] = firsts.map((f) => ({ first: f, count: 2, step: 100, owner: 'a', seq: 1 }));
          // Written by a clock at 0 (true time 0), landing `transit` later; read `readAfter` after
          // landing by a clock `skew` ahead, received `transit` later.
          const stored = encode({ ...decode(undefined, 0, 1), runs }, 0, 1);
          const received = transit + readAfter + transit;
          const seen = decode(stored, received + skew, 10_000).runs;
          seen.forEach((run, i) => {
            // In true time, each bound read is no earlier than the bound written.
            expect(run.first - skew).toBeGreaterThanOrEqual((runs[i] as GrantRun).first);
          });
        },
      ),
    );
  });

  it('stores a batch as one run whose every call is bounded', () => {
    const bounds = latestBounds([{ first: 10, count: 3, step: 5, owner: 'a', seq: 1 }], 5);
    expect(bounds).toStrictEqual([20, 15, 10]);
  });
});

describe('createPacer', () => {
  it('lets one instance use the whole budget at about one write a start, never the quota plus one in a second', async () => {
    const table = fakeBudgetTable();
    const a = instance(table, 'a');
    for (let i = 0; i < 40; i++) void a.ask('recovery');
    await jest.advanceTimersByTimeAsync(20_000);
    const times = a.released.map((r) => r.at);
    expect(times).toHaveLength(40);
    expect(maxInWindow(times, 1000)).toBe(QUOTA);
    // 40 calls: after the first second, one every (1000 + 30) / 5 ms.
    expect((times.at(-1) as number) - (times[5] as number)).toBeLessThanOrEqual(34 * 206 + 5);
    const writes = a.reports.reduce((n, r) => n + r.writes, 0);
    expect(writes / 40).toBeLessThanOrEqual(1);
    expect(a.reports.reduce((n, r) => n + r.calls, 0)).toBe(40);
  });

  it('grants an alarm the next free call ahead of every call another instance has queued', async () => {
    const table = fakeBudgetTable();
    const busy = instance(table, 'busy');
    const alarm = instance(table, 'alarm');
    for (let i = 0; i < 60; i++) void busy.ask('recovery');
    await jest.advanceTimersByTimeAsync(3_000);
    const asked = Date.now();
    void alarm.ask('alarm');
    await jest.advanceTimersByTimeAsync(3_000);
    const at = alarm.released[0]?.at as number;
    // Within two of the account's calls (one may be granted already), not behind the queue.
    expect(at - asked).toBeLessThanOrEqual(2 * 206 + 60);
    expect(busy.released.filter((r) => r.at > asked && r.at < at).length).toBeLessThanOrEqual(2);
    // The alarm took one call: the queue still drains, at the full rate around it.
    const all = [...busy.released, ...alarm.released].map((r) => r.at);
    expect(maxInWindow(all, 1000)).toBeLessThanOrEqual(QUOTA);
  });

  it('serves recoveries before drills, and alarms before both, within an instance', async () => {
    const table = fakeBudgetTable();
    const a = instance(table, 'a');
    for (let i = 0; i < 6; i++) void a.ask('recovery');
    await jest.advanceTimersByTimeAsync(50);
    void a.ask('drill');
    void a.ask('recovery');
    void a.ask('alarm');
    await jest.advanceTimersByTimeAsync(5_000);
    const order = a.released.map((r) => r.priority);
    expect(order.indexOf('alarm')).toBeLessThan(order.lastIndexOf('recovery'));
    expect(order.at(-1)).toBe('drill');
  });

  it('hands the run to a waiting instance, so that every instance gets its calls', async () => {
    const table = fakeBudgetTable();
    const instances = ['a', 'b', 'c', 'd'].map((n) => instance(table, n));
    for (const i of instances) for (let k = 0; k < 25; k++) void i.ask('recovery');
    await jest.advanceTimersByTimeAsync(30_000);
    const all = instances.flatMap((i) => i.released.map((r) => r.at));
    expect(all).toHaveLength(100);
    expect(maxInWindow(all, 1000)).toBeLessThanOrEqual(QUOTA);
    const writes = instances.flatMap((i) => i.reports).reduce((n, r) => n + r.writes, 0);
    expect(writes / 100).toBeLessThanOrEqual(1.5);
    // The drain: 100 calls at no less than 0.95 of the quota after the first second.
    const sorted = [...all].sort((x, y) => x - y);
    expect(95 / (((sorted[99] as number) - (sorted[4] as number)) / 1000)).toBeGreaterThanOrEqual(
      0.95 * QUOTA,
    );
    // Only the next in line reads often near its turn: fewer than 5 budget reads a call.
    const reads = instances.flatMap((i) => i.reports).reduce((n, r) => n + r.reads, 0);
    expect(reads / 100).toBeLessThan(5);
    expect(table.counts.reads / 100).toBeLessThan(5);
  });

  it("counts each call of a grant write under its own caller's priority, the write under the first", async () => {
    const table = fakeBudgetTable();
    const a = instance(table, 'a');
    // The first write grants the first call alone; the next grants a recovery and a drill.
    for (let i = 0; i < 2; i++) void a.ask('recovery');
    for (let i = 0; i < 3; i++) void a.ask('drill');
    await jest.advanceTimersByTimeAsync(3_000);
    expect(a.released.map((r) => r.priority)).toStrictEqual([
      'recovery',
      'recovery',
      'drill',
      'drill',
      'drill',
    ]);
    expect(a.reports[1]).toMatchObject({ priority: 'recovery', calls: 1, writes: 1 });
    expect(a.reports[2]).toStrictEqual({ priority: 'drill', calls: 1, writes: 0, reads: 0 });
    const calls = (p: Priority) => a.reports.filter((r) => r.priority === p).reduce((n, r) => n + r.calls, 0);
    expect([calls('recovery'), calls('drill')]).toStrictEqual([2, 3]);
    expect(a.reports.reduce((n, r) => n + r.writes, 0)).toBe(table.counts.writes);
  });

  it('gives a turn up when its caller is released too late, and takes the next free call at once, not a slot later', async () => {
    const table = fakeBudgetTable();
    const a = instance(table, 'a');
    for (let i = 0; i < 12; i++) void a.ask('recovery');
    await jest.advanceTimersByTimeAsync(1_800);
    const before = a.released.length;
    // The process stalls for 40 ms (every timer fires late): a caller due now is past its lateness.
    jest.setSystemTime(Date.now() + 40);
    await jest.advanceTimersByTimeAsync(6_000);
    const times = a.released.map((r) => r.at);
    expect(times).toHaveLength(12);
    expect(maxInWindow(times, 1000)).toBeLessThanOrEqual(QUOTA);
    // The call after the stall comes the stall and one interval after the one before it (the
    // pacer before this gave the slot up and waited for its next batch: 443 ms).
    const after = (times[before] as number) - (times[before - 1] as number);
    expect(after).toBeLessThanOrEqual(40 + 206 + 5);
  });

  it('never lets a second hold more than the quota: clocks up to 250 ms apart, one instance cut off from the table', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: -125, max: 125 }), { minLength: 2, maxLength: 5 }),
        fc.array(fc.constantFrom<Priority>('alarm', 'recovery', 'drill'), { minLength: 10, maxLength: 40 }),
        fc.nat(),
        fc.integer({ min: 1, max: 20 }),
        async (skews, asks, cut, latency) => {
          const table = fakeBudgetTable(latency);
          const cutName = `i${cut % skews.length}`;
          const instances = skews.map((skew, n) =>
            instance(table, `i${n}`, skew, () => `i${n}` === cutName && Date.now() > 1_000_000 + 1_500),
          );
          for (const [k, priority] of asks.entries()) {
            void instances[k % instances.length]?.ask(priority);
            if (k % 7 === 0) await jest.advanceTimersByTimeAsync(300);
          }
          await jest.advanceTimersByTimeAsync(30_000);
          const all = instances.flatMap((i) => i.released.map((r) => r.at));
          expect(maxInWindow(all, 1000)).toBeLessThanOrEqual(QUOTA);
          // Every call was released or given back; the cut-off instance only gives back.
          expect(all.length + instances.reduce((n, i) => n + i.failed.length, 0)).toBe(asks.length);
          const cutOff = instances.find((_, n) => `i${n}` === cutName);
          for (const error of cutOff?.failed ?? []) expect(error).toBeInstanceOf(PacingUnavailableError);
          // It may still release what it was granted before (a batch a lead ahead, or an alarm's
          // next free call however far), no more: every write after the cut fails.
          const grantedBefore = (cutOff?.grants ?? [])
            .filter((g) => g.at <= 1_000_000 + 1_500 + 20)
            .reduce((n, g) => n + g.calls, 0);
          expect(cutOff?.grants.every((g) => g.at <= 1_000_000 + 1_500 + 20)).toBe(true);
          expect(cutOff?.released.length ?? 0).toBeLessThanOrEqual(grantedBefore);
        },
      ),
      {
        numRuns: Number(process.env.PACING_RUNS ?? 25),
        ...(process.env.PACING_SEED === undefined
          ? {}
          : { seed: Number(process.env.PACING_SEED), path: '0' }),
      },
    );
  });

  it('gives the request back when the table cannot be reached, and calls nothing', async () => {
    const table = fakeBudgetTable();
    const a = instance(table, 'a', 0, () => true);
    void a.ask('recovery');
    await jest.advanceTimersByTimeAsync(5_000);
    expect(a.released).toStrictEqual([]);
    expect(a.failed).toHaveLength(1);
    expect(a.failed[0]).toBeInstanceOf(PacingUnavailableError);
    expect((a.failed[0] as PacingUnavailableError).retryable).toBe(true);
  });

  it('rejects only the caller whose invocation ended during a table call, and serves the callers behind it', async () => {
    const table = fakeBudgetTable();
    const invocation = new AsyncLocalStorage<'ended' | 'live'>();
    const base = table.store();
    // A table call made for a caller of an ended invocation runs out of its deadline.
    const ended = () => invocation.getStore() === 'ended';
    const store = {
      read: () => (ended() ? Promise.reject(new DeadlineExceededError('deadline')) : base.read()),
      write: (next: Parameters<typeof base.write>[0]) =>
        ended() ? Promise.reject(new DeadlineExceededError('deadline')) : base.write(next),
    };
    const pacer = createPacer(store, { quota: QUOTA, marginMs: MARGIN, id: 'a', now: () => Date.now() });
    const outcome = (p: Promise<void>) =>
      p.then(
        () => 'released',
        (e: Error) => e.name,
      );
    const first = invocation.run('ended', () => outcome(pacer.take('recovery')));
    const behind = invocation.run('live', () => outcome(pacer.take('alarm')));
    await jest.advanceTimersByTimeAsync(3_000);
    expect([await first, await behind]).toStrictEqual(['DeadlineExceededError', 'released']);
  });

  it('takes the run from an owner whose callers all ended, even while its own alarms keep writing the item', async () => {
    const table = fakeBudgetTable();
    const a = instance(table, 'a');
    const b = instance(table, 'b');
    // a holds the run; its callers' invocations end at 2 s, so a stops granting and stays owner.
    for (let i = 0; i < 30; i++) void a.ask('recovery', Date.now() + 2_000);
    await jest.advanceTimersByTimeAsync(500);
    for (let i = 0; i < 3; i++) void b.ask('recovery');
    // b's alarms take the next free call each second: each is a write of b's, no sign of a's life.
    for (let s = 0; s < 20; s++) {
      void b.ask('alarm');
      await jest.advanceTimersByTimeAsync(1_000);
    }
    expect(a.failed.length).toBeGreaterThan(0);
    expect(b.released.filter((r) => r.priority === 'alarm')).toHaveLength(20);
    // Taken over once a's item stayed unchanged by anyone else for the stale time (3.1 s here).
    expect(b.released.filter((r) => r.priority === 'recovery')).toHaveLength(3);
    expect(b.released.filter((r) => r.priority === 'recovery')[0]?.at).toBeLessThan(
      1_000_000 + 2_000 + 8_000,
    );
    expect(
      maxInWindow(
        [...a.released, ...b.released].map((r) => r.at),
        1000,
      ),
    ).toBeLessThanOrEqual(QUOTA);
  });

  // 600 ms: a new container's first write (connection, TLS) on a slow day; 20 s: a frozen loop.
  it.each([600, 20_000])(
    'is not locked by one write that takes %i ms: every later caller is served',
    async (slowMs) => {
      const table = fakeBudgetTable();
      const base = table.store();
      // One write of the budget answers `slowMs` late (it holds): never again. Before, a round
      // trip measured above 100 ms left every free call just past the pump's batch: it napped for
      // ever and wrote nothing more (the chaos campaign's stall: attempts ended by their deadline).
      let slow = 1;
      const store = {
        read: () => base.read(),
        write: async (next: Parameters<typeof base.write>[0]) => {
          const ok = await base.write(next);
          if (slow-- > 0) await new Promise((resolve) => setTimeout(resolve, slowMs));
          return ok;
        },
      };
      const pacer = createPacer(store, { quota: QUOTA, marginMs: MARGIN, id: 'a', now: () => Date.now() });
      const outcome = (p: Promise<void>) =>
        p.then(
          () => 'released',
          (e: Error) => e.name,
        );
      let first = 'waiting';
      void outcome(pacer.take('recovery')).then((o) => {
        first = o;
      });
      await jest.advanceTimersByTimeAsync(slowMs + 5_000);
      expect(first).toBe('released');
      // Each later caller has 5 s: its turn is a fraction of a second away, whatever that write took.
      const later: string[] = [];
      for (let i = 0; i < 10; i++) {
        later.push('waiting');
        void outcome(pacer.take('recovery', Date.now() + 5_000)).then((o) => {
          later[i] = o;
        });
        await jest.advanceTimersByTimeAsync(1_000);
      }
      await jest.advanceTimersByTimeAsync(5_000);
      expect(later).toStrictEqual(later.map(() => 'released'));
    },
  );

  it("refuses a call whose turn comes after the caller's deadline, without taking it", async () => {
    const table = fakeBudgetTable();
    const a = instance(table, 'a');
    for (let i = 0; i < 6; i++) void a.ask('recovery');
    await jest.advanceTimersByTimeAsync(10);
    void a.ask('recovery', Date.now() + 100);
    await jest.advanceTimersByTimeAsync(3_000);
    expect(a.failed).toHaveLength(1);
    expect(a.failed[0]).toBeInstanceOf(DeadlineExceededError);
    expect(a.released).toHaveLength(6);
  });
});

describe('the priority of a request', () => {
  it('is an alarm for an alarm, a drill for a request with Drill, else a recovery', async () => {
    const sqs = (body: object | string) =>
      arriveFromSqs(typeof body === 'string' ? body : JSON.stringify(body));
    const alarm = { source: 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change', detail: {} };
    expect(priorityOf(arriveFromEvent(alarm))).toBe('alarm');
    expect(priorityOf(sqs({ Drill: { DeleteAfterHours: 2 } }))).toBe('drill');
    expect(priorityOf(sqs({ RecoveryPointArn: 'x', Drill: { DeleteAfterHours: 'two' } }))).toBe('recovery');
    expect(priorityOf(sqs({ RecoveryPointArn: 'x' }))).toBe('recovery');
    expect(priorityOf(sqs('{"Drill": {"DeleteAfterHours": 2}'))).toBe('recovery');
    expect(
      priorityOf(
        arriveFromEvent({ 'detail-type': 'Restore Requested', detail: { Drill: { DeleteAfterHours: 0 } } }),
      ),
    ).toBe('drill');
    expect(currentPriority()).toBe('recovery');
    await expect(withPriority('alarm', async () => currentPriority())).resolves.toBe('alarm');
  });
});
