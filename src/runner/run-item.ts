/**
 * The per-item runner of the queue and EventBridge functions: one SQS record or one event,
 * decoded on arrival, run, and on failure dead-lettered or handed back to its trigger to retry.
 */

import type { SQSRecord } from 'aws-lambda';
import { type Arrival, arriveFromEvent, arriveFromSqs } from '../arrival/decode.js';
import { namedSecretsOf } from '../arrival/secrets.js';
import { withOwnSecrets } from '../invocation.js';
import type { LogFields, Logger } from '../logger.js';
import { deadLetterOrRetry } from '../outcome/dead-letter-or-retry.js';
import { settleRedrive } from '../outcome/redrives.js';
import { neededAtOf } from '../table/links.js';
import type { AttemptInfo, Deps, Outcome } from '../types.js';
import { processAlarmIncoming, processIncoming } from './dispatch.js';

/** What an item is run through: the dispatch of any arrival (processIncoming), or of alarms alone. */
export type Dispatch = (deps: Deps, arrival: Arrival, attempt: AttemptInfo, log: Logger) => Promise<Outcome>;

/**
 * Runs one item: its log lines scrubbed of its secrets, then the dispatch. Resolves with the outcome,
 * or undefined once a failure is dead-lettered; throws what its trigger must retry (a retryable
 * error before the last attempt, or a dead letter that could not be sent).
 */
export async function runItem(
  deps: Deps,
  arrival: Arrival,
  attempt: AttemptInfo,
  fields: LogFields,
  dispatch: Dispatch,
): Promise<Outcome | undefined> {
  // The item's own secrets: those of the other records of its batch are not its text's.
  return withOwnSecrets(
    arrival.secrets,
    async () => {
      const log = deps.logger.child(fields, arrival.secrets);
      let outcome: Outcome;
      try {
        // A started job is logged by act/restore-point.ts, on the line that also counts it; its
        // priority is set by the dispatch once the redrive claims are checked.
        outcome = await dispatch(deps, arrival, attempt, log);
      } catch (error) {
        await deadLetterOrRetry(deps, arrival, attempt, error, log);
        await settleRedrive(deps, arrival, attempt, log);
        return undefined;
      }
      await settleRedrive(deps, arrival, attempt, log);
      return outcome;
    },
    namedSecretsOf(arrival),
  );
}

/** When the message was sent (SentTimestamp), the moment the need arose, for the time to recovery. */
function sentAt(record: SQSRecord): { neededAt?: string } {
  const neededAt = neededAtOf({ trigger: 'sqs', sentTimestamp: record.attributes?.SentTimestamp });
  return neededAt === undefined ? {} : { neededAt };
}

/** Runs one SQS record of the request queue; its last receive (maxReceiveCount) is its last attempt. */
export function runSqsRecord(deps: Deps, record: SQSRecord): Promise<Outcome | undefined> {
  const attempt = Math.max(1, Number(record.attributes?.ApproximateReceiveCount) || 1);
  return runItem(
    deps,
    arriveFromSqs(record.body ?? ''),
    {
      trigger: { type: 'sqs', id: record.messageId, attempt, ...sentAt(record) },
      lastAttempt: attempt >= deps.config.maxReceiveCount,
    },
    { messageId: record.messageId, attempt },
    processIncoming,
  );
}

/**
 * Runs one EventBridge event (asynchronous invocation): permanent failures are dead-lettered and
 * the invocation succeeds; retryable ones (and a dead letter that cannot be sent) throw, so Lambda
 * retries the event and, after its retries, sends it to the on-failure destination.
 */
export function runEvent(deps: Deps, event: { id?: unknown }): Promise<Outcome | undefined> {
  return runEventThrough(processIncoming, deps, event);
}

/**
 * Runs one event of the alarm function: an alarm state change, or a refusal, dead-lettered (its rule
 * passes nothing else; a restore request goes to the request queue or the event function).
 */
export function runAlarmEvent(deps: Deps, event: { id?: unknown }): Promise<Outcome | undefined> {
  return runEventThrough(processAlarmIncoming, deps, event);
}

function runEventThrough(
  dispatch: Dispatch,
  deps: Deps,
  event: { id?: unknown },
): Promise<Outcome | undefined> {
  const id = typeof event?.id === 'string' ? event.id : 'unknown';
  return runItem(
    deps,
    arriveFromEvent(event),
    // Lambda does not tell a function which asynchronous attempt it is on.
    { trigger: { type: 'eventbridge', id, attempt: 1 }, lastAttempt: false },
    { eventId: id },
    dispatch,
  );
}
