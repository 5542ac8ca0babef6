/**
 * The benchmark's arithmetic (pairing, spreads, pacing counts), and a smoke run so that it cannot
 * rot. The smoke asserts what was measured, never how fast: the real run is `npm run bench`.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { criticalPath } from '../../bench/alarm';
import { drainSize } from '../../bench/backlog';
import { ESBUILD_SETTINGS } from '../../bench/build';
import { formatRows, QUICK, runBench } from '../../bench/run';
import {
  crowdedWindows,
  maxInWindow,
  perSecond,
  ratePerSecond,
  runPaired,
  spread,
  windowExcess,
} from '../../bench/stats';
import { FaultInjector } from '../../local/faults';

it('bundles with the esbuild settings of serverless.yml', () => {
  const yml = readFileSync(join(__dirname, '..', '..', 'serverless.yml'), 'utf8');
  const block = /\n {2}esbuild:\n((?: {4}.*\n)+)/.exec(yml)?.[1] ?? '';
  for (const [key, value] of Object.entries(ESBUILD_SETTINGS)) {
    const text = Array.isArray(value) ? `[${value.join(', ')}]` : String(value);
    expect(block).toContain(`    ${key}: ${text}\n`);
  }
});

describe('paired runs', () => {
  it('runs candidate and baseline in turn and gives one ratio per pair', async () => {
    const order: string[] = [];
    let c = 0;
    const out = await runPaired(
      3,
      async () => {
        order.push('A');
        c += 1;
        return c * 10;
      },
      async () => {
        order.push('B');
        return 5;
      },
    );
    expect(order).toStrictEqual(['A', 'B', 'A', 'B', 'A', 'B']);
    expect(out).toStrictEqual({ candidate: [10, 20, 30], baseline: [5, 5, 5], ratios: [2, 4, 6] });
  });

  it('reports min, median and max of the ratios', () => {
    expect(spread([1.4, 1.1, 1.2, 1.9, 1.3])).toStrictEqual({ min: 1.1, median: 1.3, max: 1.9 });
    expect(spread([2])).toStrictEqual({ min: 2, median: 2, max: 2 });
  });
});

describe('pacing counts', () => {
  it('finds the busiest one-second window as the endpoint counts it', () => {
    // Five calls 200 ms apart fit one window; the sixth, 1000 ms after the first, starts a new one.
    expect(maxInWindow([0, 200, 400, 600, 800, 1000, 1200])).toBe(5);
    expect(maxInWindow([0, 200, 400, 600, 800, 999])).toBe(6);
    expect(maxInWindow([])).toBe(0);
  });

  it('shows each window above the quota with its calls, ms after the first of them', () => {
    expect(crowdedWindows([0, 200, 400, 600, 800, 1000, 1200], 5)).toStrictEqual([]);
    expect(crowdedWindows([0, 180, 390, 600, 800, 990, 1200], 5)).toStrictEqual([
      [0, 180, 390, 600, 800, 990],
    ]);
  });

  it('says how late each call came after the quota-th before it, beyond one second and the margin', () => {
    // Quota 2, margin 30: the third call 1030 after the first is at the cap, the fourth 1090
    // after the second is 60 late, the fifth 1400 after the third is 370 late.
    const out = windowExcess([0, 500, 1030, 1590, 2430], 2, 30);
    expect(out).toStrictEqual({
      atCap: 1,
      upTo25: 0,
      upTo100: 1,
      upTo250: 0,
      over250: 1,
      lostSeconds: 0.215,
    });
  });

  it('counts calls per whole second and the rate between the first and the last', () => {
    expect(perSecond([1000, 1100, 1999, 2000, 3500])).toStrictEqual([3, 1, 1]);
    expect(ratePerSecond([0, 250, 500, 750, 1000])).toBe(4);
    expect(ratePerSecond([5])).toBeNaN();
  });

  it('records every call, throttled ones included', () => {
    const faults = new FaultInjector(() => 1);
    faults.set({ StartRestoreJob: { rateLimitPerSecond: 2 } });
    const decisions = [0, 10, 20, 1500].map((t) => faults.decide('StartRestoreJob', undefined, t).action);
    faults.decide('ListRestoreJobs', undefined, 30);
    expect(decisions).toStrictEqual(['pass', 'pass', 'error', 'pass']);
    expect(faults.arrivals).toStrictEqual({ StartRestoreJob: [0, 10, 20, 1500], ListRestoreJobs: [30] });
  });

  it('scales the drain: N queued, N/10 events, N/50 alarms', () => {
    expect(drainSize(1000)).toStrictEqual({ queued: 1000, events: 100, alarms: 20 });
    expect(drainSize(10)).toStrictEqual({ queued: 10, events: 1, alarms: 1 });
  });
});

it('groups overlapping calls into one step of the critical path', () => {
  const span = (operation: string, startMs: number, endMs: number) =>
    ({ service: 'backup', operation, startMs, endMs }) as const;
  expect(
    criticalPath([
      span('GetRecoveryPointRestoreMetadata', 100, 200),
      span('ListRestoreJobsByProtectedResource', 0, 100),
      span('ListRecoveryPointsByResource', 0, 100),
      span('StartRestoreJob', 200, 300),
    ]),
  ).toStrictEqual([
    ['ListRestoreJobsByProtectedResource', 'ListRecoveryPointsByResource'],
    ['GetRecoveryPointRestoreMetadata'],
    ['StartRestoreJob'],
  ]);
});

it('smoke: measures every figure, paired, and traces the alarm and the drain', async () => {
  const { rows, alarm, drain, faults, backlogAlarm } = await runBench(QUICK);
  if (alarm === undefined || drain === undefined)
    throw new Error('the alarm and the drain were not measured');
  expect([...new Set(rows.map((r) => r.measure))]).toStrictEqual([
    'bundle size',
    'cold start: module load',
    'cold start: whole process',
    'CPU per started restore',
    'peak memory',
    'one batch (10 records)',
    'alarm to job accepted',
    'alarm to job accepted, no vault configured (vaults searched)',
    'alarm to job accepted, 30 requests queued',
    'busiest second, one instance cut off from the table',
    'busiest second, clocks 250 ms apart (-125 to +125 ms)',
    'backlog drain (10 queued + 1 events + 1 alarms)',
    'backlog drain: pacing writes a start (the job link not counted)',
    'backlog drain: dead letters for throttling',
    'backlog drain: StartRestoreJob calls in the busiest second',
  ]);
  for (const row of rows.filter((r) => r.pairs > 1)) {
    expect(row.pairs).toBe(2);
    expect(row.ratioMin).toBeLessThanOrEqual(row.ratio);
    expect(row.ratio).toBeLessThanOrEqual(row.ratioMax);
    expect(Number.isFinite(row.value) && row.value > 0 && Number.isFinite(row.baseline)).toBe(true);
  }
  // The traced alarm made the three calls a restore needs, and wrote its job link.
  const operations = alarm.calls.map((c) => c.operation);
  // With its vault configured the alarm lists that vault's points of the resource.
  for (const op of [
    'ListRecoveryPointsByBackupVault',
    'GetRecoveryPointRestoreMetadata',
    'StartRestoreJob',
  ]) {
    expect(operations).toContain(op);
  }
  // The start took its call of the budget (one write of the budget item) inside its own span;
  // after the start: the job link (a conditional put), then the job named on the claim.
  const start = alarm.calls.find((c) => c.operation === 'StartRestoreJob');
  const slots = alarm.calls.filter((c) => c.operation === 'PutItem (pacing budget)');
  expect(slots).toHaveLength(1);
  for (const slot of slots) {
    expect(slot.startMs).toBeGreaterThanOrEqual(start?.startMs ?? Number.NaN);
    expect(slot.endMs).toBeLessThanOrEqual(start?.endMs ?? Number.NaN);
  }
  expect(
    operations.slice(operations.indexOf('StartRestoreJob') + 1).filter((op) => !op.includes('pacing')),
  ).toStrictEqual(['PutItem', 'UpdateItem']);
  for (const call of alarm.calls) expect(call.endMs).toBeGreaterThanOrEqual(call.startMs);
  // Every request of the drain became a job; every call the endpoint saw was counted.
  expect(drain.jobs).toBe(drain.expected);
  expect(drain.expected).toBe(12);
  expect(drain.attempts).toBeGreaterThanOrEqual(drain.jobs);
  // The pacers granted a call for every attempt, and said what it cost.
  const granted = Object.values(drain.pacer.calls).reduce((a, b) => a + b, 0);
  expect(granted).toBeGreaterThanOrEqual(drain.attempts);
  expect(drain.pacer.writesPerStart).toBe(drain.pacer.writes / granted);
  // The alarm's start was paced at the alarm's priority (set by the runner, read by the pacer).
  expect(drain.pacer.calls.alarm).toBeGreaterThanOrEqual(1);
  expect(drain.pacer.calls.recovery).toBeGreaterThanOrEqual(11);
  // The alarms behind the backlog were paired with idle ones; the faulty pacers called at all.
  expect(backlogAlarm?.paired.candidate).toHaveLength(1);
  expect(faults.map((f) => f.fault)).toStrictEqual(['cut-off', 'skew']);
  for (const f of faults) expect(f.calls).toBeGreaterThan(0);
  expect(faults[0]?.givenBack).toBeGreaterThan(0);
  expect(formatRows(rows)).toContain('| bundle size | restoreFromQueue |');
}, 180_000);
