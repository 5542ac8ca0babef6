/** `serverless package` of this service with stage parameters, read back as its CloudFormation template. */

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** The parts of a packaged template the tests read. */
export interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, any>; Condition?: string }>;
  Outputs: Record<string, any>;
  Conditions: Record<string, any>;
}

const dirs: string[] = [];

const ROOT = join(__dirname, '..', '..');
/** This checkout's packaging lock (a directory: made atomically), shared by every Jest worker. */
const LOCK = join(
  tmpdir(),
  `sls-package-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`,
);
/** A lock older than this was left by a worker that died: taken over. */
const STALE_LOCK_MS = 5 * 60_000;

/** Runs `work` holding this checkout's packaging lock (serverless package or invoke local: both build). */
export async function underPackagingLock<T>(work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let age = 0;
      try {
        age = Date.now() - statSync(LOCK).mtimeMs;
      } catch {
        continue; // released meanwhile
      }
      if (age > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/**
 * Packages the service (stage `ci`) with `--param=name=value` for each of `params`. Every
 * packaging builds in the project's .esbuild folder: they run one at a time, across Jest workers
 * too (two at once broke each other's build).
 */
export async function packageStack(...params: string[]): Promise<Template> {
  const dir = mkdtempSync(join(tmpdir(), 'sls-package-'));
  dirs.push(dir);
  await underPackagingLock(() =>
    promisify(execFile)(
      join('node_modules', '.bin', 'serverless'),
      ['package', '--stage', 'ci', '--package', dir, ...params.map((p) => `--param=${p}`)],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          SLS_TELEMETRY_DISABLED: '1',
          AWS_ACCESS_KEY_ID: '',
          AWS_SECRET_ACCESS_KEY: '',
        },
      },
    ),
  );
  return JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
}

/** Removes every packaging folder this test file made (afterAll). */
export function removePackages(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
