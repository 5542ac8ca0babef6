/**
 * The benchmark's arithmetic (pairing, spreads, pacing counts). The parts whose modules load the
 * local endpoint (the critical path, the drain's sizes) and the smoke run, so that it cannot rot,
 * are in test/e2e/bench-smoke.test.ts; the real run is `npm run bench`.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESBUILD_SETTINGS } from '../../bench/build';
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
});

describe("docs/performance.md's latest measures against bench/results.json", () => {
  const ROOT = join(__dirname, '..', '..');
  const results = JSON.parse(readFileSync(join(ROOT, 'bench', 'results.json'), 'utf8')) as {
    rows: { measure: string; subject: string; met: boolean }[];
  };
  const page = readFileSync(join(ROOT, 'docs', 'performance.md'), 'utf8');
  const section = page.slice(
    page.indexOf('## The latest measures'),
    page.indexOf('## What limits each measure'),
  );
  const docRows = section
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| measure'))
    .map((line) => line.split('|').map((cell) => cell.trim()))
    .map((cells) => ({ measure: cells[1] ?? '', met: cells[5] ?? '' }));
  // Which rows of results.json each row of the page reports.
  const REPORTS: Record<string, RegExp> = {
    'bundle size': /^bundle size$/,
    'cold start: module load': /^cold start: module load$/,
    'cold start: whole process': /^cold start: whole process$/,
    'CPU per started restore': /^CPU per started restore$/,
    'peak memory': /^peak memory$/,
    'one batch (10 records)': /^one batch/,
    'alarm to job accepted (vault configured / searched)':
      /^alarm to job accepted(, no vault configured.*)?$/,
    'alarm to job accepted, 1,000 requests queued': /^alarm to job accepted, 1000 requests queued$/,
    'busiest second, one instance cut off': /^busiest second, one instance cut off/,
    'busiest second, clocks 250 ms apart': /^busiest second, clocks 250 ms apart/,
    'backlog drain (150 queued + 15 events + 3 alarms)': /^backlog drain \(/,
    'backlog drain: throttled, busiest second, dead letters':
      /^backlog drain: (dead letters|StartRestoreJob calls)/,
    'pacing writes a start': /^backlog drain: pacing writes a start/,
  };

  it('reports every row of results.json, each under one row of the page', () => {
    expect(docRows.map((r) => r.measure)).toStrictEqual(Object.keys(REPORTS));
    for (const row of results.rows) {
      const under = Object.entries(REPORTS).filter(([, pattern]) => pattern.test(row.measure));
      expect([row.measure, under.length]).toStrictEqual([row.measure, 1]);
    }
  });

  it('says "no" for a measure exactly when one of its rows in results.json misses its goal', () => {
    const said = docRows.map(({ measure, met }) => [measure, met.split(' ')[0]]);
    const measured = docRows.map(({ measure }) => {
      const rows = results.rows.filter((r) => REPORTS[measure]?.test(r.measure));
      return [measure, rows.length > 0 && rows.every((r) => r.met) ? 'yes' : 'no'];
    });
    expect(said).toStrictEqual(measured);
  });
});
