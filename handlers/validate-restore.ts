/**
 * Validation of restored resources (SQS event source on the validation queue, ReportBatchItemFailures).
 * The tracker puts one message per COMPLETED job on the queue (requestValidation).
 *
 * Delivery and failure:
 * - Each record is one validation; records are worked on independently.
 * - Pass, fail or unchecked is final: recorded once on the job's link (a repeated message finds it
 *   and does nothing), logged, counted and timed. A failure dead-letters the original request
 *   (failure `restore-validation-failed`) with the reason.
 * - Not yet (still creating, booting, status checks initializing): the validation is put back on
 *   the queue with a delay (DelaySeconds, 30 s doubling up to 15 minutes) and the record succeeds;
 *   at VALIDATION_DEADLINE_MINUTES after the first check a not-yet becomes a failure.
 * - Retryable errors (throttling, 5xx, network): the record is reported in batchItemFailures and
 *   SQS delivers it again; on the last receive (VALIDATION_MAX_RECEIVE_COUNT) the request is
 *   dead-lettered saying the validation could not run. A permanent error does so at once.
 * - Only this function bundles the RDS, EC2, EFS, S3 and Lambda clients, each built on first use
 *   (src/wiring/validate.ts); every call works to the invocation's deadline.
 */

import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { RestorePipelineError } from '../src/errors.js';
import { errorFields } from '../src/logger.js';
import {
  atColdStart,
  type DepsSource,
  depsOf,
  inInvocation,
  partialBatchOptions,
} from '../src/runner/handler.js';
import { parseValidationMessage } from '../src/validation/queue.js';
import {
  deadLetterUnrunnable,
  type ValidateDeps,
  type ValidateOutcome,
  validateRestore,
} from '../src/validation/validate.js';
import { validateDepsFromEnv } from '../src/wiring/validate.js';

async function handleRecord(
  deps: ValidateDeps,
  record: SQSRecord,
): Promise<ValidateOutcome | 'invalid' | 'dead-lettered'> {
  const attempt = Math.max(1, Number(record.attributes?.ApproximateReceiveCount) || 1);
  const message = parseValidationMessage(record.body ?? '');
  const log = deps.logger.child({
    messageId: record.messageId,
    receive: attempt,
    restoreJobId: message?.restoreJobId,
  });
  if (message === undefined) {
    // Nothing in it names a job or a request: nothing to dead-letter.
    log.error('Ignored a validation queue message that is not a validation request');
    return 'invalid';
  }
  try {
    return await validateRestore(deps, message, log);
  } catch (error) {
    const retryable = !(error instanceof RestorePipelineError) || error.retryable;
    if (retryable && attempt < deps.config.maxReceiveCount) {
      log.warn('Validation failed with a retryable error; SQS delivers it again', errorFields(error));
      throw error;
    }
    // Throws (and so is retried) when the dead letter itself cannot be sent.
    const sent = await deadLetterUnrunnable(deps, message, error, log);
    if (!sent)
      log.error('Validation could not run, and the job has no link to dead-letter', errorFields(error));
    return 'dead-lettered';
  }
}

/** The Middy-wrapped handler for `deps` (a value, or a function that builds it on first use). */
export function createHandler(deps: DepsSource<ValidateDeps>) {
  const resolve = depsOf(deps);
  return middy<SQSEvent>()
    .use(sqsPartialBatchFailure(partialBatchOptions(() => resolve().logger)))
    .handler(
      // Every call works to this invocation's deadline, keeping a reserve for the dead letters.
      inInvocation(resolve, (d, event: SQSEvent) =>
        Promise.allSettled((event.Records ?? []).map((record) => handleRecord(d, record))),
      ),
    );
}

/** The deployed handler. */
export const handler = createHandler(atColdStart(() => validateDepsFromEnv(process.env)));
