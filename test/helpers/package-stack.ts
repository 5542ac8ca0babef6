/** `serverless package` of this service with stage parameters, read back as its CloudFormation template. */

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

/**
 * Packages the service (stage `ci`) with `--param=name=value` for each of `params`. Packagings of
 * one test file must run one after the other: they all build in the project's .esbuild folder.
 */
export async function packageStack(...params: string[]): Promise<Template> {
  const dir = mkdtempSync(join(tmpdir(), 'sls-package-'));
  dirs.push(dir);
  await promisify(execFile)(
    join('node_modules', '.bin', 'serverless'),
    ['package', '--stage', 'ci', '--package', dir, ...params.map((p) => `--param=${p}`)],
    {
      cwd: join(__dirname, '..', '..'),
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
    },
  );
  return JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
}

/** Removes every packaging folder this test file made (afterAll). */
export function removePackages(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
