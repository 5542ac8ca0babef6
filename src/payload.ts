/**
 * The request object inside whatever arrived (an SQS body, a "Restore Requested" event, or the
 * original carried by a dead letter), and the Metadata values in it that logs must never show.
 */

import { type OriginalRequest, originalBody } from './dead-letter.js';
import { InvalidRequestError } from './errors.js';
import { metadataSecrets } from './request.js';
import type { Incoming } from './types.js';

/** The detail-type of the events other systems put on a bus to ask for a restore. */
export const RESTORE_REQUESTED = 'Restore Requested';

type EventLike = { 'detail-type'?: unknown; detail?: unknown };

function describeJsonError(error: unknown): string {
  return error instanceof Error ? error.message.replace(/[^\x20-\x7e]/g, '?').slice(0, 200) : 'unreadable';
}

/** The request object an original carries; throws InvalidRequestError when there is none. */
export function requestPayload(original: OriginalRequest): unknown {
  if (original.trigger === 'eventbridge') {
    const event = original.event as EventLike | null;
    if (typeof event !== 'object' || event === null) {
      throw new InvalidRequestError('The event is not an EventBridge event object');
    }
    if (event['detail-type'] !== RESTORE_REQUESTED) {
      throw new InvalidRequestError(
        `The event's detail-type is ${JSON.stringify(String(event['detail-type']).slice(0, 80))}; this function handles "${RESTORE_REQUESTED}" events`,
      );
    }
    if (event.detail === undefined)
      throw new InvalidRequestError('The "Restore Requested" event has no detail');
    return event.detail;
  }
  const body = originalBody(original) ?? '';
  if (body.trim() === '')
    throw new InvalidRequestError('The message body is empty; send one restore request as JSON');
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new InvalidRequestError(`The message body is not valid JSON (${describeJsonError(error)})`);
  }
}

/** The request object of an incoming request, reusing the body parsed on arrival. */
export function payloadOf(incoming: Incoming): unknown {
  return incoming.parsedBody !== undefined ? incoming.parsedBody.value : requestPayload(incoming.original);
}

/** Metadata values an original carries, from an event's detail or an SQS body (never throws). */
export function originalSecrets(original: OriginalRequest): string[] {
  if (original.trigger === 'eventbridge')
    return metadataSecrets((original.event as EventLike | null)?.detail);
  try {
    return metadataSecrets(JSON.parse(originalBody(original) ?? 'null'));
  } catch {
    return [];
  }
}

/** Metadata values an incoming request carries (never throws). */
export function incomingSecrets(incoming: Incoming): string[] {
  return incoming.parsedBody !== undefined
    ? metadataSecrets(incoming.parsedBody.value)
    : originalSecrets(incoming.original);
}
