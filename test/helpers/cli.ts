/** Runs the restore-pipeline CLI in this process, with captured output and a chosen terminal and environment. */

import { Readable } from 'node:stream';
import { run } from '../../cli/program';

/** What one run of the CLI printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (with --json). */
  json<T = any>(): T;
}

/** Runs the CLI with `argv`; `stdin` feeds `-`. */
export async function runCli(
  argv: string[],
  options: { stdin?: string; env?: Record<string, string | undefined>; tty?: boolean } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    stdin: Readable.from([Buffer.from(options.stdin ?? '')]),
    env: options.env ?? {},
    stdoutIsTTY: options.tty ?? false,
    stderrIsTTY: options.tty ?? false,
  });
  return { code, stdout, stderr, json: () => JSON.parse(stdout) };
}
