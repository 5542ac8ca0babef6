/** A quick smoke run of the benchmark, so that it cannot rot; the real run is `npm run bench`. */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESBUILD_SETTINGS } from '../bench/build';
import { formatRows, QUICK, runBench } from '../bench/run';

it('bundles with the esbuild settings of serverless.yml', () => {
  const yml = readFileSync(join(__dirname, '..', 'serverless.yml'), 'utf8');
  const block = /\n {2}esbuild:\n((?: {4}.*\n)+)/.exec(yml)?.[1] ?? '';
  for (const [key, value] of Object.entries(ESBUILD_SETTINGS)) {
    const text = Array.isArray(value) ? `[${value.join(', ')}]` : String(value);
    expect(block).toContain(`    ${key}: ${text}\n`);
  }
});

it('measures every figure against the baseline', async () => {
  const { rows } = await runBench(QUICK);
  const measures = new Set(rows.map((r) => r.measure));
  expect([...measures]).toStrictEqual([
    'bundle size',
    'cold start',
    'CPU per request',
    'peak memory',
    'one batch (10 records)',
    'rate-limited throughput',
  ]);
  for (const row of rows) {
    expect(Number.isFinite(row.value) && row.value > 0).toBe(true);
    expect(Number.isFinite(row.ratio) && row.ratio > 0).toBe(true);
  }
  expect(formatRows(rows)).toContain('| bundle size | restoreFromQueue |');
}, 120_000);
