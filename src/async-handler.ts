/** The shared body of the EventBridge-triggered functions (asynchronous invocation). */

import { incomingSecrets, processIncoming, settleFailure } from './pipeline.js';
import type { Deps, Incoming, Outcome } from './types.js';

/**
 * Handles one event: permanent failures are dead-lettered and the invocation succeeds; retryable
 * ones (and a dead letter that cannot be sent) throw, so Lambda retries the event and, after its
 * retries, sends it to the on-failure destination.
 */
export async function handleEvent(deps: Deps, event: { id?: unknown }): Promise<Outcome | undefined> {
  const id = typeof event?.id === 'string' ? event.id : 'unknown';
  const incoming: Incoming = { original: { trigger: 'eventbridge', event }, redriveCount: 0 };
  // Lambda does not tell a function which asynchronous attempt it is on.
  const attempt = { trigger: { type: 'eventbridge', id, attempt: 1 }, lastAttempt: false } as const;
  const log = deps.logger.child({ eventId: id }, incomingSecrets(incoming));
  try {
    // A started job is logged by restore.ts, on the line that also counts it.
    return await processIncoming(deps, incoming, attempt, log);
  } catch (error) {
    await settleFailure(deps, incoming, attempt, error, log);
    return undefined;
  }
}
