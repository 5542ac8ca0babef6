/** What every command's action works with: the global options, where it writes, and its target. */

import type { Command } from 'commander';
import { type Io, type Paint, paintFor, progressFor, safeJson } from './output.js';
import { explainAwsError, resolveTarget, type Target, type TargetOptions } from './target.js';

/** The options every command takes (before the command's name). */
export interface GlobalOptions extends TargetOptions {
  json?: boolean;
  color: boolean;
  progress?: boolean;
}

/** Receives the exit code of an action. */
export type SetExit = (code: number) => void;

/** One command's run: its options, how it paints, and where its result goes. */
export interface Context {
  readonly io: Io;
  readonly options: GlobalOptions;
  readonly paint: Paint;
  /** Writes the command's result: JSON with --json, else the text. */
  result(json: unknown, text: () => string): void;
  progress: ReturnType<typeof progressFor>;
}

/** The context of the command being run. */
export function contextOf(command: Command, io: Io): Context {
  const options = command.optsWithGlobals() as GlobalOptions;
  const json = options.json === true;
  const paint = paintFor(io.stdoutIsTTY, io.env, options.color !== false && !json);
  return {
    io,
    options,
    paint,
    result: (value, text) => io.stdout.write(json ? `${safeJson(value)}\n` : `${text()}\n`),
    progress: progressFor(io, options.progress ?? (io.stderrIsTTY && !json)),
  };
}

/** Runs `work` on the resolved target, then ends the progress line and closes the clients. */
export async function withTarget<T>(ctx: Context, work: (target: Target) => Promise<T>): Promise<T> {
  const target = resolveTarget(ctx.options, ctx.io);
  try {
    return await work(target);
  } finally {
    ctx.progress.done();
    target.close();
  }
}

/** Runs one call to AWS; what it throws becomes an error that says what could not be done. */
export async function aws<T>(target: Target, doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw explainAwsError(error, doing, target);
  }
}
