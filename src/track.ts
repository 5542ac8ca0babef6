/**
 * Following a restore job to its end: AWS Backup's `Restore Job State Change` events, turned into
 * a dead letter for the original request when the job fails, and into logs and metrics when it
 * completes.
 */

import type { Alerter } from './alerts.js';
import { buildDeadLetter, sendDeadLetter } from './dead-letter.js';
import { classifyAwsError, RestoreJobFailedError, RestorePipelineError } from './errors.js';
import { rememberSecrets, scrubText } from './invocation.js';
import { findJobLink, type JobLink, markJobOutcome } from './job-link.js';
import { errorFields, type Logger } from './logger.js';
import { originalSecrets, storedSecretsOfJob } from './payload.js';
import { retryRetryable } from './retry.js';
import type { Deps } from './types.js';

/** The detail of a `Restore Job State Change` event (fields used here). */
export interface RestoreJobDetail {
  restoreJobId?: string;
  /** The state, on every event but the first. */
  status?: string;
  /** The state, on the first (CREATED) event only. */
  state?: string;
  statusMessage?: string;
  resourceType?: string;
  createdResourceArn?: string;
  creationDate?: string;
  completionDate?: string;
  iamRoleArn?: string;
  recoveryPointArn?: string;
  sourceResourceArn?: string;
  backupVaultArn?: string;
  percentDone?: string;
}

/** What an event means for the pipeline. */
export type JobEventMeaning =
  | { readonly kind: 'progress'; readonly status: string }
  | { readonly kind: 'completed' }
  | { readonly kind: 'failed'; readonly status: string; readonly reason: string }
  | { readonly kind: 'invalid'; readonly reason: string };

/** Types whose restore creates a cluster without instances: the restore is not usable yet. */
export const CLUSTER_ONLY_TYPES: ReadonlySet<string> = new Set(['Aurora', 'DocumentDB', 'Neptune']);

/** Reads an event's detail (pure). Restore events carry their state in `status`, except CREATED. */
export function interpretJobEvent(detail: RestoreJobDetail | undefined): JobEventMeaning {
  if (typeof detail !== 'object' || detail === null || typeof detail.restoreJobId !== 'string') {
    return { kind: 'invalid', reason: 'the event has no detail.restoreJobId' };
  }
  const status = detail.status ?? detail.state;
  switch (status) {
    case 'CREATED':
    case 'PENDING':
    case 'RUNNING':
      return { kind: 'progress', status };
    case 'COMPLETED': {
      const message = detail.statusMessage ?? '';
      // S3 restores report COMPLETED when some objects failed; the status message says so.
      if ((detail.resourceType ?? '').startsWith('S3') && /fail/i.test(message)) {
        return { kind: 'failed', status: 'COMPLETED_WITH_FAILURES', reason: message };
      }
      return { kind: 'completed' };
    }
    case 'FAILED':
    case 'ABORTED':
      return { kind: 'failed', status, reason: detail.statusMessage ?? 'AWS gave no status message' };
    default:
      return {
        kind: 'invalid',
        reason: `unknown restore job status ${JSON.stringify(String(status)).slice(0, 40)}`,
      };
  }
}

/** What the tracker did with one event. */
export type TrackOutcome = 'progress' | 'not-ours' | 'duplicate' | 'completed' | 'dead-lettered' | 'invalid';

/** Extra dependencies of the tracker. */
export interface TrackDeps extends Deps {
  /** When set, one short message per failed restore is published here. */
  readonly alerts?: Alerter;
}

/** How long after a job starts its link may still be on its way (written right after StartRestoreJob). */
const LINK_GRACE_MS = 15 * 60 * 1000;

function scrub(text: string, secrets: readonly string[]): string {
  // The invocation's secrets too (ALARM_TARGETS overrides, values seen while handling it).
  return scrubText(text, secrets);
}

/** Acts on one `Restore Job State Change` event. Throws (retryably) when it must be tried again. */
export async function trackRestoreJob(
  deps: TrackDeps,
  event: { id?: string; detail?: RestoreJobDetail },
  log: Logger,
): Promise<TrackOutcome> {
  const detail = event.detail;
  const meaning = interpretJobEvent(detail);
  if (meaning.kind === 'invalid') {
    log.warn('Ignored a restore job event', { reason: meaning.reason });
    return 'invalid';
  }
  const restoreJobId = detail?.restoreJobId as string;
  if (meaning.kind === 'progress') {
    log.debug('Restore job in progress', { restoreJobId, status: meaning.status });
    return 'progress';
  }

  const table = deps.config.restoreJobsTable;
  let link: JobLink | undefined;
  try {
    link = await retryRetryable(() => findJobLink(deps.ddb, table, restoreJobId));
  } catch (error) {
    // A completion costs nothing if missed; retrying it would end in the dead-letter queue as noise.
    if (meaning.kind !== 'completed') throw error;
    log.error('Restore job completed, but its link could not be read', {
      ...errorFields(error),
      restoreJobId,
    });
    return 'completed';
  }
  if (link === undefined) {
    const created = Date.parse(detail?.creationDate ?? '');
    const recent = Number.isFinite(created) && deps.now().getTime() - created < LINK_GRACE_MS;
    if (
      meaning.kind === 'failed' &&
      recent &&
      deps.config.allowedRoleArns.includes(detail?.iamRoleArn ?? '')
    ) {
      // Started with one of our roles moments ago: the link may not be written yet.
      throw new RestorePipelineError(`No link yet for restore job ${restoreJobId}; retrying`, {
        retryable: true,
      });
    }
    log.info('Ignored an event for a restore job this pipeline did not start', { restoreJobId });
    return 'not-ours';
  }
  if (link.outcome !== undefined) {
    log.info('Ignored a repeated event for a restore job already handled', {
      restoreJobId,
      outcome: link.outcome,
    });
    return 'duplicate';
  }
  const resourceType = detail?.resourceType ?? link.resourceType ?? 'Unknown';
  const jobLog = log.child({ restoreJobId, resourceType }, originalSecrets(link.original));

  if (meaning.kind === 'completed') {
    const started = Date.parse(detail?.creationDate ?? link.startedAt);
    const ended = Date.parse(detail?.completionDate ?? '') || deps.now().getTime();
    const durationSeconds = Number.isFinite(started) ? Math.max(0, (ended - started) / 1000) : undefined;
    let first = true;
    try {
      first = await retryRetryable(() =>
        markJobOutcome(deps.ddb, table, restoreJobId, 'COMPLETED', deps.now()),
      );
    } catch (error) {
      jobLog.error('Could not mark the completed job as handled', errorFields(error));
    }
    if (!first) return 'duplicate';
    jobLog.info('Restore job completed', { createdResourceArn: detail?.createdResourceArn, durationSeconds });
    if (CLUSTER_ONLY_TYPES.has(resourceType)) {
      jobLog.warn(
        `${resourceType} restores create a cluster with no instances: add an instance to the restored cluster before it can serve`,
        { createdResourceArn: detail?.createdResourceArn },
      );
    }
    deps.metrics.count('RestoreJobsCompleted', resourceType);
    if (durationSeconds !== undefined) deps.metrics.seconds('RestoreDuration', durationSeconds, resourceType);
    return 'completed';
  }

  // AWS's message may quote stored recovery-point metadata that neither the request nor the link holds.
  rememberSecrets(await storedSecretsOfJob(deps.backup, detail ?? {}));
  const error = new RestoreJobFailedError(
    `Restore job ${restoreJobId} ended ${meaning.status}: ${meaning.reason}. Fix the cause, then redrive this message to the request queue: it is retried with a fresh idempotency token`,
  );
  const letter = buildDeadLetter({
    failure: 'restore-job-failed',
    error,
    trigger: { type: 'restore-job-event', id: event.id ?? restoreJobId, attempt: 1 },
    original: link.original,
    now: deps.now(),
    redriveCount: link.redriveCount,
    restoreJob: {
      restoreJobId,
      status: meaning.status,
      ...(detail?.statusMessage === undefined ? {} : { statusMessage: detail.statusMessage }),
      resourceType,
    },
  });
  // Dead letter first, then the mark: a crash in between repeats the dead letter, never loses it.
  const messageId = await sendDeadLetter(deps.sqs, deps.config.deadLetterQueueUrl, letter);
  try {
    await retryRetryable(() => markJobOutcome(deps.ddb, table, restoreJobId, meaning.status, deps.now()));
  } catch (error) {
    // The dead letter is sent: retrying the event now would send it again. Only a repeated event
    // from AWS can still duplicate it.
    jobLog.error('Dead letter sent, but the job could not be marked as handled', errorFields(error));
  }
  jobLog.warn('Restore job failed after it started; its request was dead-lettered', {
    status: meaning.status,
    reason: meaning.reason,
    deadLetterMessageId: messageId,
  });
  deps.metrics.count('RestoreJobsFailed', resourceType);
  if (deps.alerts !== undefined)
    await alert(deps.alerts, restoreJobId, resourceType, meaning, originalSecrets(link.original), jobLog);
  return 'dead-lettered';
}

async function alert(
  publish: Alerter,
  restoreJobId: string,
  resourceType: string,
  meaning: { status: string; reason: string },
  secrets: readonly string[],
  log: Logger,
): Promise<void> {
  const subject = `Restore ${meaning.status}: ${resourceType} job ${restoreJobId}`;
  const message = scrub(
    `AWS Backup restore job ${restoreJobId} (${resourceType}) ended ${meaning.status}: ${meaning.reason}\nThe request is in the dead-letter queue; redrive it once the cause is fixed.`,
    secrets,
  );
  try {
    await publish(subject, message);
  } catch (error) {
    // The dead letter is already sent; a lost alert must not repeat it.
    log.error('Could not publish the failure alert', { error: classifyAwsError('Publish', error).message });
  }
}
