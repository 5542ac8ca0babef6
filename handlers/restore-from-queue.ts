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
 *   original request, restore-requested event or alarm event handled again; a drill-cleanup-failed
 *   letter never restores: it comes back as a drill-cleanup-failed letter saying how to retry the
 *   cleanup.
 */

import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { SQSEvent } from 'aws-lambda';
import { mapSettled } from '../src/runner/concurrency.js';
import {
  atColdStart,
  type DepsSource,
  depsOf,
  inInvocation,
  partialBatchOptions,
} from '../src/runner/handler.js';
import { runSqsRecord } from '../src/runner/run-item.js';
import type { Deps } from '../src/types.js';
import { defaultDeps } from '../src/wiring/restore.js';

/** The Middy-wrapped handler for `deps` (a value, or a function that builds it on first use). */
export function createHandler(deps: DepsSource<Deps>) {
  const resolve = depsOf(deps);
  return middy<SQSEvent>()
    .use(sqsPartialBatchFailure(partialBatchOptions(() => resolve().logger)))
    .handler(
      // Every call works to this invocation's deadline, keeping a reserve for the dead letters of a
      // last receive: Lambda must never end the invocation in the middle of a call.
      inInvocation(resolve, (d, event: SQSEvent) =>
        mapSettled(event.Records ?? [], d.config.restoreConcurrency, (record) => runSqsRecord(d, record)),
      ),
    );
}

/** The deployed handler. */
export const handler = createHandler(atColdStart(defaultDeps));
