/**
 * "Restore Requested" events from EventBridge (asynchronous invocation); `detail` is a restore
 * request in the queue's format.
 *
 * Delivery and failure:
 * - Started: the invocation succeeds.
 * - Permanent failure: the event is dead-lettered and the invocation succeeds (no retry).
 * - Retryable failure, or a dead letter that cannot be sent: the invocation throws; Lambda retries
 *   it twice, then sends the event to the function's on-failure destination, which is the same
 *   dead-letter queue (Lambda's destination record, which the queue handler also understands).
 * - The idempotency token comes from the request, never from the invocation, so Lambda's retries
 *   and duplicate deliveries start one job.
 */

import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { handleEvent } from '../src/async-handler.js';
import { defaultDeps } from '../src/defaults.js';
import { configSecrets } from '../src/payload.js';
import { runInvocation } from '../src/runner/invocation.js';
import type { Deps, Outcome } from '../src/types.js';

/** The event this function receives. */
export type RestoreRequestedEvent = EventBridgeEvent<string, unknown>;

/** The Middy-wrapped handler for `deps` (a value, or a function that builds it on first use). */
export function createHandler(deps: Deps | (() => Deps)) {
  const resolve = typeof deps === 'function' ? deps : () => deps;
  return middy<RestoreRequestedEvent, Outcome | undefined>().handler((event, context) => {
    const d = resolve();
    // Every call below works to this invocation's deadline, keeping a reserve for the dead letter.
    return runInvocation(context, configSecrets(d.config), () => handleEvent(d, event));
  });
}

/** The deployed handler. */
export const handler = createHandler(defaultDeps);
