/**
 * The deployed function timeouts, read from serverless.yml (the one place they are set), so the
 * local triggers end an invocation when Lambda would.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Seconds: provider.timeout, overridden by functions.<name>.timeout. Lambda's default is 3 s. */
export function functionTimeouts(yaml: string): { default: number; functions: Record<string, number> } {
  let section = '';
  let fn = '';
  let fallback = 3;
  const functions: Record<string, number> = {};
  for (const line of yaml.split('\n')) {
    if (/^\S/.test(line)) {
      section = line.replace(/:.*$/, '').trim();
      fn = '';
      continue;
    }
    if (section === 'functions') {
      const name = /^ {2}([A-Za-z0-9_-]+):\s*$/.exec(line)?.[1];
      if (name !== undefined) fn = name;
      const own = /^ {4}timeout:\s*(\d+)\s*$/.exec(line)?.[1];
      if (own !== undefined && fn !== '') functions[fn] = Number(own);
    }
    if (section === 'provider') {
      const value = /^ {2}timeout:\s*(\d+)\s*$/.exec(line)?.[1];
      if (value !== undefined) fallback = Number(value);
    }
  }
  return { default: fallback, functions };
}

let cached: ReturnType<typeof functionTimeouts> | undefined;

/** The deployed timeout of a function, in milliseconds. */
export function deployedTimeoutMs(functionName: string): number {
  cached ??= functionTimeouts(readFileSync(join(__dirname, '..', 'serverless.yml'), 'utf8'));
  return (cached.functions[functionName] ?? cached.default) * 1000;
}
