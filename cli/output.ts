/** Where the CLI writes, how it colours, and the errors it ends with (each with its exit code). */

/** Exit codes: each means one thing (EXIT_MEANINGS, printed by --help and documented in docs/cli.md). */
export const EXIT = {
  ok: 0,
  /** The request is invalid or refused by the deployment's rules; nothing was sent (validate, submit). */
  invalid: 1,
  /** The command line is wrong, or the file it names cannot be read. */
  usage: 2,
  /** Nothing found for the id (status), or no dead letter matched (redrive --id). */
  notFound: 3,
  /** A call to AWS (or to the local stack) failed: not reachable, no credentials, or refused. */
  aws: 4,
  /** Some of the work was done, some was not (redrive). */
  partial: 5,
  /** The deployment's settings (in the environment, or read from the deployed function) are not usable. */
  configuration: 6,
  /** A defect of this command (its message has the stack trace). */
  internal: 70,
} as const;

/** What each exit code means, in one line each (the --help text and the docs read this). */
export const EXIT_MEANINGS: Readonly<Record<number, string>> = {
  [EXIT.ok]: 'done',
  [EXIT.invalid]: 'the request is invalid or refused by the deployment (validate, submit); nothing was sent',
  [EXIT.usage]: 'the command line is wrong, or the file it names cannot be read',
  [EXIT.notFound]: 'nothing found: status of an unknown id, redrive --id of ids that are not there',
  [EXIT.aws]: 'a call to AWS or to the local stack failed (not reachable, no credentials, refused)',
  [EXIT.partial]: 'partly done: redrive moved some letters and not others, or its move task did not complete',
  [EXIT.configuration]: "the deployment's settings are not usable (environment or deployed function)",
  [EXIT.internal]: 'a defect of this command',
};

/** The exit codes for --help: one line each. */
export function exitCodesHelp(): string {
  const lines = Object.entries(EXIT_MEANINGS).map(([code, meaning]) => `  ${code.padStart(2)}  ${meaning}`);
  return `\nExit codes:\n${lines.join('\n')}`;
}

/** An error that ends the command with a message a person can act on. */
export class CliError extends Error {
  readonly exitCode: number;
  readonly code: string;

  constructor(code: string, message: string, exitCode: number) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** The process around the CLI: streams, environment, terminals. Tests pass their own. */
export interface Io {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly stdin: NodeJS.ReadableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
}

/** The Io of the running process. */
export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
  };
}

/** Colours (ANSI), or plain text. */
export interface Paint {
  readonly enabled: boolean;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

/**
 * Colours only on a terminal, never with NO_COLOR set to anything but the empty string
 * (no-color.org), `TERM=dumb` or `--no-color`.
 */
export function paintFor(isTTY: boolean, env: Io['env'], flag: boolean): Paint {
  const enabled = flag && isTTY && (env.NO_COLOR === undefined || env.NO_COLOR === '') && env.TERM !== 'dumb';
  const wrap = (open: number, close: number) => (text: string) =>
    enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return {
    enabled,
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    bold: wrap(1, 22),
    dim: wrap(2, 22),
  };
}

/** Progress on stderr, one line rewritten in place; by default silent when stderr is not a terminal or with --json. */
export interface Progress {
  update(text: string): void;
  done(): void;
}

export function progressFor(io: Io, enabled: boolean): Progress {
  let shown = false;
  if (!enabled) return { update: () => undefined, done: () => undefined };
  // Forced (--progress) into a file or a pipe: plain lines, no cursor control.
  if (!io.stderrIsTTY) return { update: (text) => io.stderr.write(`${text}\n`), done: () => undefined };
  return {
    update: (text) => {
      shown = true;
      io.stderr.write(`\r\u001b[2K${text}`);
    },
    done: () => {
      if (shown) io.stderr.write('\r\u001b[2K');
      shown = false;
    },
  };
}

/** "1 dead letter", "2 dead letters". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** A duration in the largest unit that keeps it readable: 45s, 12m, 3h, 2d. */
export function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

/**
 * Characters a terminal may act on rather than show: C0 controls and DEL (escape sequences, bells,
 * carriage returns that overwrite a line), C1 controls (U+009B is CSI on its own), and the
 * bidirectional overrides and isolates that reorder what is shown.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters to neutralise
const UNSAFE_FOR_TERMINAL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from data (queue messages, AWS's answers, the job table, request files) made safe to print
 * on a terminal: every control or reordering character is shown as a visible escape (`\x1b`,
 * `\u202e`) instead of acting. The CLI's one gate for such text; its own colours are added after.
 */
export function safe(text: unknown): string {
  return String(text).replace(UNSAFE_FOR_TERMINAL, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * A value as JSON that is also safe on a terminal: JSON.stringify escapes C0 controls but leaves
 * DEL, C1 controls and bidirectional marks as they are; they are escaped here (still valid JSON).
 */
export function safeJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
