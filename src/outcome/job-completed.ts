/**
 * A linked restore job COMPLETED: ask for its validation, hand a drill's resource to the cleanup
 * (a drill record in DynamoDB; the cleanup tags the resource), mark the job handled, and report it
 * (logs and metrics).
 */

import { type DrillSpec, drillOf } from '../drills/drill.js';
import { recordCompletedDrill } from '../drills/record.js';
import { describeError } from '../errors.js';
import { errorFields, type Logger } from '../logger.js';
import { retryRetryable } from '../retry.js';
import { requestValidation } from '../validation/queue.js';
import type { EndedJobDetail, TrackDeps, TrackOutcome } from './job-event.js';
import { type JobLink, markJobOutcome } from './job-link.js';

/** Types whose restore creates a cluster without instances: the restore is not usable yet. */
export const CLUSTER_ONLY_TYPES: ReadonlySet<string> = new Set(['Aurora', 'DocumentDB', 'Neptune']);

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
  // Validation is asked for before the job is marked: a repeated event may ask twice (the
  // validator keeps one verdict per job), but a crash between the two never skips it.
  const validationQueueUrl = deps.config.validationQueueUrl;
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
  const drill = drillOf(link.original);
  if (drill !== undefined) await handOff(deps, link, detail, resourceType, drill, jobLog);
  let first = true;
  const completedAt = detail.completionDate ?? deps.now().toISOString();
  try {
    first = await retryRetryable(() =>
      markJobOutcome(deps.ddb, deps.config.restoreJobsTable, restoreJobId, 'COMPLETED', deps.now(), {
        completedAt,
      }),
    );
  } catch (error) {
    jobLog.error('Could not mark the completed job as handled', errorFields(error));
  }
  if (!first) return 'duplicate';
  jobLog.info('Restore job completed', { createdResourceArn: detail.createdResourceArn, durationSeconds });
  if (CLUSTER_ONLY_TYPES.has(resourceType)) {
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
 * resource AWS reported; the cleanup's next run tags the resource, then deletes it when due. Only
 * DynamoDB here, so the tracker's and the reconciler's bundles carry none of the resource clients.
 * A retryable failure is thrown (the event is retried; the record is written once); a permanent one
 * is logged: the resource is then never deleted by the pipeline, which is the safe side.
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
    log.warn('Drill completed, but AWS names no created resource: it cannot be handed to the cleanup');
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
    log.error(
      'Drill record could not be written: the pipeline will not delete its resource',
      errorFields(error),
    );
  }
}
