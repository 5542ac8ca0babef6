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
import { atColdStart, type DepsSource, inInvocation } from '../src/runner/handler.js';
import { runEvent } from '../src/runner/run-item.js';
import type { Deps, Outcome } from '../src/types.js';
import { defaultDeps } from '../src/wiring/restore.js';

/** The event this function receives. */
export type RestoreRequestedEvent = EventBridgeEvent<string, unknown>;

/** The Middy-wrapped handler for `deps` (a value, or a function that builds it on first use). */
export function createHandler(deps: DepsSource<Deps>) {
  return middy<RestoreRequestedEvent, Outcome | undefined>().handler(inInvocation(deps, runEvent));
}

/** The deployed handler. */
export const handler = createHandler(atColdStart(defaultDeps));
