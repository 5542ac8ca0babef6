/**
 * Structured JSON logs, one object a line. Metadata values never reach a log: callers log keys
 * only, and every line is scrubbed of the secrets registered for the request being handled.
 */

/** One log line's extra fields. */
export type LogFields = Record<string, unknown>;

/** Where lines go; stdout by default. */
export type LogSink = (line: string) => void;

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LEVELS;

/** A minimal structured logger with child loggers and secret scrubbing. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line, and scrubs `secrets` from them. */
  child(fields: LogFields, secrets?: Iterable<string>): Logger;
}

const MIN_SECRET_LENGTH = 3;

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  }
  return out;
}

/** Turns an error into loggable fields: name, message and cause, never the whole object. */
export function errorFields(error: unknown): LogFields {
  if (!(error instanceof Error)) return { error: { name: 'Error', message: String(error) } };
  const cause =
    error.cause instanceof Error ? { name: error.cause.name, message: error.cause.message } : undefined;
  const retryable = (error as { retryable?: unknown }).retryable;
  return {
    error: {
      name: error.name,
      message: error.message,
      ...(typeof retryable === 'boolean' ? { retryable } : {}),
      ...(cause === undefined ? {} : { cause }),
    },
  };
}

/** Creates a logger. */
export function createLogger(
  options: { sink?: LogSink; level?: LogLevel; fields?: LogFields; secrets?: readonly string[] } = {},
): Logger {
  const sink = options.sink ?? ((line: string) => process.stdout.write(`${line}\n`));
  const min = LEVELS[options.level ?? 'info'];
  const base = options.fields ?? {};
  const secrets = options.secrets ?? [];
  const write = (level: LogLevel, message: string, fields?: LogFields) => {
    if (LEVELS[level] < min) return;
    const line = JSON.stringify({ level, time: new Date().toISOString(), message, ...base, ...fields });
    sink(secrets.length === 0 ? line : scrub(line, secrets));
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields, more = []) =>
      createLogger({
        sink,
        level: options.level ?? 'info',
        fields: { ...base, ...fields },
        secrets: [
          ...secrets,
          ...[...more]
            .filter((s) => s.length >= MIN_SECRET_LENGTH)
            .flatMap((s) => [s, JSON.stringify(s).slice(1, -1)])
            .sort((a, b) => b.length - a.length),
        ],
      }),
  };
}
