/** Bundles the deployed handlers and the baseline with the esbuild settings of serverless.yml. */

import { statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

/** The `custom.esbuild` settings of serverless.yml (a test keeps the two the same). */
export const ESBUILD_SETTINGS = {
  bundle: true,
  minify: true,
  sourcemap: false,
  target: 'node22',
  platform: 'node',
  format: 'cjs',
  mainFields: ['module', 'main'],
} as const;

export const ROOT = join(__dirname, '..');
export const OUT = join(__dirname, '.build');

/** The bundles the benchmark measures: the baseline and every deployed function. */
export const ENTRIES = {
  baseline: 'bench/baseline-handler.ts',
  /** The CPU baseline: the calls a started restore needs (pacing write, start, link), bare. */
  baselineCalls: 'bench/baseline-calls-handler.ts',
  restoreFromQueue: 'handlers/restore-from-queue.ts',
  restoreFromEvent: 'handlers/restore-from-event.ts',
  restoreOnAlarm: 'handlers/restore-on-alarm.ts',
  trackRestoreJob: 'handlers/track-restore-job.ts',
} as const;

export type Entry = keyof typeof ENTRIES;

/** Builds every bundle; returns its path and size in bytes. */
export async function buildBundles(): Promise<Record<Entry, { path: string; bytes: number }>> {
  const out = {} as Record<Entry, { path: string; bytes: number }>;
  for (const [name, entry] of Object.entries(ENTRIES) as [Entry, string][]) {
    const path = join(OUT, `${name}.js`);
    await build({
      ...ESBUILD_SETTINGS,
      mainFields: [...ESBUILD_SETTINGS.mainFields],
      entryPoints: [join(ROOT, entry)],
      outfile: path,
      logLevel: 'silent',
    });
    out[name] = { path, bytes: statSync(path).size };
  }
  return out;
}
