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
