/**
 * The pieces every handler file's Middy chain shares: where its dependencies come from, the
 * invocation scope its work runs in, and the partial-batch middleware's log line. The chain itself
 * stays written out in each handler file.
 */

import type { SQSRecord } from 'aws-lambda';
import { type DeadlineSource, runInvocation, secretsOfConfig } from '../invocation.js';
import type { Logger } from '../logger.js';

/** A handler's dependencies: a value (tests), or a function that builds them on first use. */
export type DepsSource<D> = D | (() => D);

/** The function that gives a handler its dependencies. */
export function depsOf<D extends object>(deps: DepsSource<D>): () => D {
  return typeof deps === 'function' ? (deps as () => D) : () => deps;
}

/** `make`, run once on first use (a client, or a handler's dependencies). */
export function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= make();
    return value;
  };
}

/**
 * The dependencies of a deployed handler: built once per container, and in Lambda at cold start,
 * so a bad configuration stops the function before it takes any message.
 */
export function atColdStart<D>(
  build: () => D,
  env: Readonly<Record<string, string | undefined>> = process.env,
): () => D {
  const get = once(build);
  if (env.AWS_LAMBDA_FUNCTION_NAME !== undefined) get();
  return get;
}

/**
 * A handler body that runs `work` inside its invocation's scope: every call works to the
 * invocation's deadline (keeping a reserve for the dead letter), and the configuration's metadata
 * (ALARM_TARGETS overrides) is secret in every line it writes.
 */
export function inInvocation<D extends { readonly config: object }, E, R>(
  deps: DepsSource<D>,
  work: (deps: D, event: E, context: DeadlineSource | undefined) => Promise<R>,
): (event: E, context: DeadlineSource | undefined) => Promise<R> {
  const resolve = depsOf(deps);
  return (event, context) => {
    const d = resolve();
    return runInvocation(context, secretsOfConfig(d.config), () => work(d, event, context));
  };
}

/**
 * Options of @middy/sqs-partial-batch-failure: the middleware's own logger would print whole
 * records, Metadata included, so a failed record is logged by its id and error name only.
 */
export function partialBatchOptions(logger: () => Logger) {
  return {
    logger: (reason: unknown, record: SQSRecord) =>
      logger().debug('Record reported as failed', {
        messageId: record.messageId,
        reason: reason instanceof Error ? reason.name : 'Error',
      }),
  };
}
