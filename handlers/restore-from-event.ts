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
import { defaultDeps } from '../src/defaults.js';
import {
  type Deps,
  type Incoming,
  metadataSecrets,
  type Outcome,
  processRequest,
  requestPayload,
  settleFailure,
} from '../src/pipeline.js';

/** The event this function receives. */
export type RestoreRequestedEvent = EventBridgeEvent<string, unknown>;

/** The Middy-wrapped handler for `deps` (a value, or a function that builds it on first use). */
export function createHandler(deps: Deps | (() => Deps)) {
  const resolve = typeof deps === 'function' ? deps : () => deps;
  return middy<RestoreRequestedEvent, Outcome | undefined>().handler(async (event) => {
    const d = resolve();
    const id = typeof event?.id === 'string' ? event.id : 'unknown';
    const incoming: Incoming = { original: { trigger: 'eventbridge', event }, redriveCount: 0 };
    // Lambda does not tell a function which async attempt it is on; its on-failure destination
    // takes what the retries cannot finish.
    const attempt = { trigger: { type: 'eventbridge', id, attempt: 1 }, lastAttempt: false } as const;
    let log = d.logger.child({ eventId: id });
    try {
      const payload = requestPayload(incoming.original);
      log = log.child({}, metadataSecrets(payload));
      const outcome = await processRequest(d, incoming, payload, attempt, log);
      log.info('Restore job started', { restoreJobId: outcome.restoreJobId });
      return outcome;
    } catch (error) {
      await settleFailure(d, incoming, attempt, error, log);
      return undefined;
    }
  });
}

/** The deployed handler. */
export const handler = createHandler(defaultDeps);
