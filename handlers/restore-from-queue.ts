/**
 * Restore requests submitted to the request queue (SQS event source, ReportBatchItemFailures).
 *
 * Delivery and failure:
 * - Each record is one request; records are parsed and worked on independently, at most
 *   RESTORE_CONCURRENCY at a time.
 * - Started: the record succeeds. Permanent failure (bad request, refused role, AWS 4xx): the
 *   record is dead-lettered at once and succeeds.
 * - Retryable failure (throttling, 5xx, network): the record is reported in batchItemFailures and
 *   SQS delivers it again after the visibility timeout; on the last receive (MAX_RECEIVE_COUNT,
 *   the queue's maxReceiveCount) it is dead-lettered with the last error instead.
 * - A dead letter that cannot be sent fails the record, so SQS retries it: nothing is acknowledged
 *   without a started job or a dead letter.
 * - A dead letter (or a Lambda on-failure record) redriven to this queue is unwrapped and its
 *   original request, restore-requested event or alarm event handled again.
 */

import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { defaultDeps } from '../src/defaults.js';
import { configSecrets } from '../src/payload.js';
import {
  type Deps,
  decodeSqsBody,
  incomingSecrets,
  type Outcome,
  processIncoming,
  settleFailure,
} from '../src/pipeline.js';
import { mapSettled } from '../src/runner/concurrency.js';
import { runInvocation } from '../src/runner/invocation.js';
import { neededAtOf } from '../src/validation/timing.js';

/** When the message was sent (SentTimestamp), the moment the need arose, for the time to recovery. */
function sentAt(record: SQSRecord): { neededAt?: string } {
  const neededAt = neededAtOf({ trigger: 'sqs', sentTimestamp: record.attributes?.SentTimestamp });
  return neededAt === undefined ? {} : { neededAt };
}

async function handleRecord(deps: Deps, record: SQSRecord): Promise<Outcome | undefined> {
  const attempt = Math.max(1, Number(record.attributes?.ApproximateReceiveCount) || 1);
  const incoming = decodeSqsBody(record.body ?? '');
  const attemptInfo = {
    trigger: { type: 'sqs', id: record.messageId, attempt, ...sentAt(record) },
    lastAttempt: attempt >= deps.config.maxReceiveCount,
  } as const;
  const log = deps.logger.child({ messageId: record.messageId, attempt }, incomingSecrets(incoming));
  try {
    // A started job is logged by restore.ts, on the line that also counts it.
    return await processIncoming(deps, incoming, attemptInfo, log);
  } catch (error) {
    await settleFailure(deps, incoming, attemptInfo, error, log);
    return undefined;
  }
}

/** The Middy-wrapped handler for `deps` (a value, or a function that builds it on first use). */
export function createHandler(deps: Deps | (() => Deps)) {
  const resolve = typeof deps === 'function' ? deps : () => deps;
  return middy<SQSEvent>()
    .use(
      sqsPartialBatchFailure({
        // The middleware's own logger would print whole records, Metadata included.
        logger: (reason: unknown, record: SQSRecord) =>
          resolve().logger.debug('Record reported as failed', {
            messageId: record.messageId,
            reason: reason instanceof Error ? reason.name : 'Error',
          }),
      }),
    )
    .handler(async (event: SQSEvent, context) => {
      const d = resolve();
      // Every call below works to this invocation's deadline, keeping a reserve for the dead
      // letters of a last receive: Lambda must never end the invocation in the middle of a call.
      return runInvocation(context, configSecrets(d.config), () =>
        mapSettled(event.Records ?? [], d.config.restoreConcurrency, (record) => handleRecord(d, record)),
      );
    });
}

/** The deployed handler. */
export const handler = createHandler(defaultDeps);
