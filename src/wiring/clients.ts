/**
 * How every function's SDK clients are built: the Region from the configuration, connection and
 * request timeouts that throw, and every attempt under the invocation's deadline
 * (src/runner/deadline.ts). Endpoints come from the SDK's standard settings (AWS_ENDPOINT_URL,
 * AWS_ENDPOINT_URL_BACKUP, AWS_ENDPOINT_URL_SQS), so the same code reaches AWS or the local endpoint.
 */

import type { DeadlineKind } from '../invocation.js';
import type { LogSink } from '../logger.js';
import { REQUEST_HANDLER_OPTIONS, underDeadline } from '../runner/deadline.js';

/** Options of every SDK client: connection and request timeouts that throw (see deadline.ts). */
export function clientOptions(region: string) {
  return { region, requestHandler: REQUEST_HANDLER_OPTIONS };
}

/** An SDK client class (any v3 client). */
type ClientClass<C> = new (
  options: ReturnType<typeof clientOptions> & { maxAttempts?: number },
) => C & {
  config: { requestHandler: unknown };
};

/**
 * A client of `Client` for `region`, its every attempt under the deadline of `kind`: 'work' stops
 * short of the reserve kept for the dead letter, which only 'dead-letter' calls may use.
 */
export function sdkClient<C>(
  Client: ClientClass<C>,
  region: string,
  kind: DeadlineKind = 'work',
  extra: { maxAttempts?: number } = {},
): C {
  return underDeadline(new Client({ ...clientOptions(region), ...extra }), kind);
}

/** `make`, run once on first use (again after a failure). */
export function lazily<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= make().catch((error: unknown) => {
      value = undefined;
      throw error;
    });
    return value;
  };
}

/** Clients built on first use elsewhere, each put under the deadline of `kind` when it is built. */
export function lazyUnderDeadline<T extends Record<string, () => { config: { requestHandler: unknown } }>>(
  clients: T,
  kind: DeadlineKind = 'work',
): T {
  const wrapped: Record<string, () => unknown> = {};
  for (const [name, get] of Object.entries(clients)) wrapped[name] = () => underDeadline(get(), kind);
  return wrapped as T;
}

/** Where a function's log and metric lines go: `sink`, else stdout. */
export function lineSink(sink?: LogSink): LogSink {
  return sink ?? ((line: string) => process.stdout.write(`${line}\n`));
}
