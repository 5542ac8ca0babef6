/**
 * A linked restore job COMPLETED: hand a drill's resource to the cleanup (a drill record in
 * DynamoDB, with its due time; the cleanup tags the resource), ask for its validation, mark the
 * job handled, and report it (logs and metrics), exactly once whatever the fate of the mark.
 */

import { randomUUID } from 'node:crypto';
import { type DrillSpec, drillOf } from '../drills/drill.js';
import { recordCompletedDrill } from '../drills/record.js';
import { describeError, RestorePipelineError } from '../errors.js';
import { buildDeadLetter, sendDeadLetter } from '../letters/dead-letters.js';
import type { Logger } from '../logger.js';
import { requestOf, validatedAfterReady } from '../ready/request.js';
import { retryRetryable } from '../retry.js';
import type { JobLink } from '../table/links.js';
import { markJobCompleted } from '../table/outcomes.js';
import { requestValidation } from '../validation/queue.js';
import type { EndedJobDetail, TrackDeps, TrackOutcome } from './job-event.js';

/**
 * Types whose restore creates a cluster without instances: the restore is not usable yet, unless
 * make-ready adds the instance (Aurora, when the request did not say `"Ready": false`).
 */
export const CLUSTER_ONLY_TYPES: ReadonlySet<string> = new Set(['Aurora', 'DocumentDB', 'Neptune']);

/**
 * Marks the job COMPLETED; true when this call wrote the mark. One token for every attempt: a mark
 * whose answer was lost (the SDK or a round of retryRetryable wrote again) is this call's own, not
 * another delivery's (src/table/outcomes.ts). A write that keeps failing is thrown (the event is
 * delivered again, or the reconciler finds the job): the completion is then reported by whoever
 * marks it.
 */
async function markCompleted(deps: TrackDeps, restoreJobId: string, completedAt: string): Promise<boolean> {
  const writer = randomUUID();
  return retryRetryable(() =>
    markJobCompleted(deps.ddb, deps.config.restoreJobsTable, restoreJobId, completedAt, writer, deps.now()),
  );
}

/** Acts once on a linked job that COMPLETED; `duplicate` when another delivery marked it first. */
export async function settleCompleted(
  deps: TrackDeps,
  detail: EndedJobDetail,
  link: JobLink,
  resourceType: string,
  jobLog: Logger,
): Promise<TrackOutcome> {
  const restoreJobId = detail.restoreJobId;
  const started = Date.parse(detail.creationDate ?? link.startedAt);
  const ended = Date.parse(detail.completionDate ?? '') || deps.now().getTime();
  const durationSeconds = Number.isFinite(started) ? Math.max(0, (ended - started) / 1000) : undefined;
  // The drill record first (with its due time), so the validator's verdict finds it; then the
  // validation, before the job is marked: a repeated event may ask twice (the validator keeps one
  // verdict per job), but a crash between the two never skips it.
  const drill = drillOf(link.original);
  if (drill !== undefined) await handOff(deps, link, detail, resourceType, drill, jobLog);
  const validationQueueUrl = deps.config.validationQueueUrl;
  // A copy to be made ready is judged once ready: make-ready asks too when it ends (at once), and
  // the validator waits for the ready record (src/validation/validate.ts), so a COMPLETED event
  // lost on its way to make-ready still ends in a verdict at the deadline.
  const madeReady = validatedAfterReady(resourceType, requestOf(link.original));
  if (validationQueueUrl !== undefined) {
    await requestValidation(
      { sqs: deps.sqs, validationQueueUrl, now: deps.now },
      {
        restoreJobId,
        resourceType,
        ...(detail.createdResourceArn === undefined ? {} : { createdResourceArn: detail.createdResourceArn }),
        ...(detail.completionDate === undefined ? {} : { completedAt: detail.completionDate }),
      },
    );
  }
  const completedAt = detail.completionDate ?? deps.now().toISOString();
  if (!(await markCompleted(deps, restoreJobId, completedAt))) return 'duplicate';
  jobLog.info('Restore job completed', { createdResourceArn: detail.createdResourceArn, durationSeconds });
  if (CLUSTER_ONLY_TYPES.has(resourceType) && !madeReady) {
    jobLog.warn(
      `${resourceType} restores create a cluster with no instances: add an instance to the restored cluster before it can serve`,
      { createdResourceArn: detail.createdResourceArn },
    );
  }
  deps.metrics.count('RestoreJobsCompleted', resourceType);
  if (durationSeconds !== undefined) deps.metrics.seconds('RestoreDuration', durationSeconds, resourceType);
  return 'completed';
}

/**
 * A drill's job COMPLETED: write its drill record, `untagged` (src/drills/record.ts), with the
 * resource AWS reported and its due time; the cleanup's next run tags the resource, then deletes
 * it when due. Only DynamoDB here, so the tracker's and the reconciler's bundles carry none of the
 * resource clients. A retryable failure is thrown (the event is retried; the record is written
 * once). A drill that cannot be handed over (AWS names no created resource, or the record cannot
 * be written for good) is dead-lettered with the reason: nothing deletes its resource.
 */
async function handOff(
  deps: TrackDeps,
  link: JobLink,
  detail: EndedJobDetail,
  resourceType: string,
  spec: DrillSpec,
  log: Logger,
): Promise<void> {
  const arn = detail.createdResourceArn;
  if (arn === undefined) {
    await unhanded(deps, link, resourceType, log, 'AWS names no created resource for the drill');
    return;
  }
  try {
    await retryRetryable(() =>
      recordCompletedDrill(
        deps.ddb,
        deps.config.restoreJobsTable,
        {
          restoreJobId: link.restoreJobId,
          resourceType,
          createdResourceArn: arn,
          completedAt: detail.completionDate ?? deps.now().toISOString(),
          spec,
        },
        deps.now(),
      ),
    );
    log.info('Drill handed to the cleanup; its next run tags the resource', {
      deleteAfterHours: spec.deleteAfterHours,
    });
  } catch (error) {
    if (describeError(error).retryable) throw error;
    const why = describeError(error);
    await unhanded(
      deps,
      link,
      resourceType,
      log,
      `its drill record could not be written (${why.name}: ${why.message})`,
    );
  }
}

/** A drill the cleanup will never see: logged and dead-lettered, so someone deletes its resource by hand. */
async function unhanded(
  deps: TrackDeps,
  link: JobLink,
  resourceType: string,
  log: Logger,
  reason: string,
): Promise<void> {
  const error = new RestorePipelineError(
    `Drill restore job ${link.restoreJobId} completed, but ${reason}: the pipeline will not delete what it restored. Find the restored resource and delete it by hand. Do not redrive this letter: the restore itself succeeded`,
    { retryable: false },
  );
  error.name = 'DrillCleanupFailedError';
  const letter = buildDeadLetter({
    failure: 'drill-cleanup-failed',
    error,
    trigger: { type: 'restore-job-event', id: link.restoreJobId, attempt: 1 },
    original: link.original,
    now: deps.now(),
    redriveCount: link.redriveCount,
    restoreJob: { restoreJobId: link.restoreJobId, status: 'COMPLETED', statusMessage: reason, resourceType },
  });
  const messageId = await sendDeadLetter(deps.sqs, deps.config.deadLetterQueueUrl, letter);
  log.error('Drill not handed to the cleanup: the pipeline will not delete its resource; dead-lettered', {
    reason,
    deadLetterMessageId: messageId,
  });
}
