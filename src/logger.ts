/**
 * Structured JSON logs, one object a line. Scrubbing is by structure, never on the finished line:
 * metadata values never enter a field (callers log keys, ids and ARNs), and the strings of the
 * fields that carry text from outside (OUTSIDE_TEXT_FIELDS: AWS messages, parse errors, status
 * messages) are scrubbed as text of the secrets known to the logger and to the current item
 * (its own Metadata values and the configuration's: runner/invocation.ts) before the line is
 * serialised; a short value is replaced where it stands whole, not inside longer words. A line
 * is therefore always valid JSON, whatever the secrets are (a value "false" cannot turn
 * `"retryable":false` into `"retryable":[redacted]`).
 */

import { MIN_SECRET_LENGTH, rememberSecrets, scrubText } from './invocation.js';

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
  /**
   * An info line that is also a metric data point (`metric`: metricFields of metrics.ts, added
   * to the line after scrubbing). Written whatever the level: LOG_LEVEL must not drop a metric.
   */
  metric(message: string, fields: LogFields, metric: Readonly<Record<string, unknown>>): void;
  /**
   * A logger that adds `fields` to every line and scrubs `secrets` from every string in them.
   * The secrets are also remembered for the rest of the invocation (dead-letter reasons, alerts).
   */
  child(fields: LogFields, secrets?: Iterable<string>): Logger;
}

const MAX_DEPTH = 8;

/**
 * Fields that carry text from outside (an error's message and cause, AWS's status message or a
 * reason quoting it): their strings are scrubbed. Every other field is written by the pipeline
 * from keys, ids and ARNs, never from a metadata value, and is left as it is.
 */
export const OUTSIDE_TEXT_FIELDS: ReadonlySet<string> = new Set([
  'error',
  'cause',
  'reason',
  'statusMessage',
]);

/**
 * A JSON-safe copy of a field value; when `outside`, every string in it is scrubbed as text.
 */
function scrubValue(value: unknown, secrets: readonly string[], depth: number, outside = false): unknown {
  if (typeof value === 'string') return outside ? scrubText(value, secrets) : value;
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value === undefined) return undefined;
  if (typeof value === 'bigint') return value.toString();
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, secrets, depth + 1, outside) ?? null);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Error) return scrubValue(errorFields(value).error, secrets, depth + 1, true);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = scrubValue(v, secrets, depth + 1, outside || OUTSIDE_TEXT_FIELDS.has(k));
    }
    return out;
  }
  return `[${typeof value}]`;
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
  const secrets = (options.secrets ?? []).filter((s) => s.length >= MIN_SECRET_LENGTH);
  const write = (
    level: LogLevel,
    message: string,
    fields?: LogFields,
    metric?: Readonly<Record<string, unknown>>,
  ) => {
    if (LEVELS[level] < min && metric === undefined) return;
    // The line's own keys come first and cannot be overwritten by a field.
    const {
      level: _l,
      time: _t,
      message: _m,
      ...extra
    } = scrubValue({ ...base, ...fields }, secrets, 0) as LogFields;
    sink(
      JSON.stringify({
        level,
        time: new Date().toISOString(),
        message: String(message),
        ...extra,
        // The metric's own fields (built by the pipeline from names and resource types) win.
        ...metric,
      }),
    );
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    metric: (m, f, metric) => write('info', m, f, metric),
    child: (fields, more = []) => {
      const added = [...more].filter((s) => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH);
      rememberSecrets(added);
      return createLogger({
        sink,
        level: options.level ?? 'info',
        fields: { ...base, ...fields },
        secrets: [...secrets, ...added],
      });
    },
  };
}
