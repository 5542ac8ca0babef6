/**
 * Following a restore job to its end: AWS Backup's `Restore Job State Change` events, turned into
 * a dead letter for the original request when the job fails, and into logs and metrics when it
 * completes.
 */

import { randomUUID } from 'node:crypto';
import {
  DescribeRestoreJobCommand,
  type DescribeRestoreJobCommandOutput,
  ResourceNotFoundException,
} from '@aws-sdk/client-backup';
import type { Alerter } from './alerts.js';
import { sourceAccountOf } from './arn.js';
import { secretsOfOriginal, secretsOfStoredJob } from './arrival/secrets.js';
import { type DrillSpec, drillOf } from './drills/drill.js';
import { classifyAwsError, describeError, RestoreJobFailedError, RestorePipelineError } from './errors.js';
import {
  claimJobOutcome,
  findJobLink,
  finishJobOutcome,
  type JobLink,
  markJobOutcome,
  releaseJobOutcome,
} from './job-link.js';
import { errorFields, type Logger } from './logger.js';
import { buildDeadLetter, sendDeadLetter } from './outcome/dead-letters.js';
import { retryRetryable } from './retry.js';
import { rememberSecrets, scrubText } from './runner/invocation.js';
import type { Deps } from './types.js';
import { requestValidation } from './validation/queue.js';

/** A completed drill, as the tracker hands it to the cleanup. */
export interface DrillHandOff {
  readonly restoreJobId: string;
  readonly resourceType: string;
  readonly createdResourceArn: string;
  readonly completedAt: string;
  readonly spec: DrillSpec;
}

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
      // S3 (and EKS) restores report COMPLETED when some objects failed; the status message says so.
      if (/^(S3|EKS)/.test(detail.resourceType ?? '') && /fail|skip/i.test(message)) {
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
  /**
   * Tags a drill's resource and writes its drill record at COMPLETED (handOffDrill in
   * src/drills/cleanup.ts, wired by the handler so only it bundles the resource clients); without
   * it, drills are not handed off and their resources are never deleted by the pipeline.
   */
  readonly drillHandOff?: (job: DrillHandOff) => Promise<void>;
}

/** How long after a job starts its link may still be on its way (written right after StartRestoreJob). */
const LINK_GRACE_MS = 15 * 60 * 1000;

/** Types whose restores can end COMPLETED with objects that failed (docs/aws-behaviour.md#b-partial-restore). */
const PARTIAL_RESTORE_TYPES = /^(S3|EKS)/;

function scrub(text: string, secrets: readonly string[]): string {
  // The invocation's secrets too (ALARM_TARGETS overrides, values seen while handling it).
  return scrubText(text, secrets);
}

/** A job as AWS describes it (DescribeRestoreJob), in the event's field names. */
export async function describeRestoreJob(
  deps: Deps,
  restoreJobId: string,
): Promise<RestoreJobDetail | undefined> {
  let out: DescribeRestoreJobCommandOutput;
  try {
    out = await deps.backup.send(new DescribeRestoreJobCommand({ RestoreJobId: restoreJobId }));
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw classifyAwsError('DescribeRestoreJob', error);
  }
  const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : undefined);
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const detail: RestoreJobDetail = { restoreJobId };
  const fields: [keyof RestoreJobDetail, string | undefined][] = [
    ['status', text(out.Status)],
    ['statusMessage', text(out.StatusMessage)],
    ['resourceType', text(out.ResourceType)],
    ['createdResourceArn', text(out.CreatedResourceArn)],
    ['creationDate', iso(out.CreationDate)],
    ['completionDate', iso(out.CompletionDate)],
    ['iamRoleArn', text(out.IamRoleArn)],
    ['recoveryPointArn', text(out.RecoveryPointArn)],
  ];
  for (const [name, value] of fields) if (value !== undefined) detail[name] = value;
  return detail;
}

/**
 * Acts on one `Restore Job State Change` event. Throws (retryably) when it must be tried again.
 * `trusted` is false for an event that came through the request queue (anyone who can send to
 * the queue can write one): its claims are replaced by what DescribeRestoreJob says.
 */
export async function trackRestoreJob(
  deps: TrackDeps,
  event: { id?: string; detail?: RestoreJobDetail },
  log: Logger,
  options: { trusted?: boolean } = {},
): Promise<TrackOutcome> {
  let detail = event.detail;
  let meaning = interpretJobEvent(detail);
  if (meaning.kind === 'invalid') {
    log.warn('Ignored a restore job event', { reason: meaning.reason });
    return 'invalid';
  }
  const restoreJobId = detail?.restoreJobId as string;
  const trusted = options.trusted ?? true;
  if (meaning.kind === 'progress' && trusted) {
    log.debug('Restore job in progress', { restoreJobId, status: meaning.status });
    return 'progress';
  }
  // A partial restore may end COMPLETED with no message in the event: AWS's own record decides.
  if (!trusted || (meaning.kind === 'completed' && PARTIAL_RESTORE_TYPES.test(detail?.resourceType ?? ''))) {
    const described = await retryRetryable(() => describeRestoreJob(deps, restoreJobId));
    if (described === undefined) {
      log.warn('Ignored an event for a restore job AWS does not know', { restoreJobId });
      return 'invalid';
    }
    detail = { ...described, resourceType: described.resourceType ?? detail?.resourceType };
    meaning = interpretJobEvent(detail);
    if (meaning.kind === 'invalid' || meaning.kind === 'progress') {
      log.info('Restore job not ended yet', { restoreJobId, status: detail.status });
      return meaning.kind === 'invalid' ? 'invalid' : 'progress';
    }
  }
  if (meaning.kind === 'progress') return 'progress';
  return settleJobEnd(deps, detail as RestoreJobDetail & { restoreJobId: string }, meaning, event.id, log);
}

/** Acts once on a job that ended (completed or failed), whichever path sees the end first. */
export async function settleJobEnd(
  deps: TrackDeps,
  detail: RestoreJobDetail & { restoreJobId: string },
  meaning: Extract<JobEventMeaning, { kind: 'completed' | 'failed' }>,
  eventId: string | undefined,
  log: Logger,
): Promise<TrackOutcome> {
  const restoreJobId = detail.restoreJobId;
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
    const created = Date.parse(detail.creationDate ?? '');
    const recent = Number.isFinite(created) && deps.now().getTime() - created < LINK_GRACE_MS;
    if (
      meaning.kind === 'failed' &&
      recent &&
      deps.config.allowedRoleArns.includes(detail.iamRoleArn ?? '')
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
  const resourceType = detail.resourceType ?? link.resourceType ?? 'Unknown';
  // Which account's recovery point was restored (a recovery account restores from shared vaults).
  const sourceAccountId = sourceAccountOf(link.recoveryPointArn, deps.config);
  const jobLog = log.child(
    { restoreJobId, resourceType, ...(sourceAccountId === undefined ? {} : { sourceAccountId }) },
    secretsOfOriginal(link.original),
  );

  if (meaning.kind === 'completed') {
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
          ...(detail.createdResourceArn === undefined
            ? {}
            : { createdResourceArn: detail.createdResourceArn }),
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
        markJobOutcome(deps.ddb, table, restoreJobId, 'COMPLETED', deps.now(), { completedAt }),
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

  // Claimed before the dead letter is sent, so two deliveries at once send one letter; a claim
  // whose sender died lapses, and a retry or the reconciler sends it (with the same dead-letter id).
  // One claimant for every attempt of this claim: an attempt whose answer was lost still owns it.
  const claimant = randomUUID();
  const claim = await retryRetryable(() =>
    claimJobOutcome(deps.ddb, table, restoreJobId, meaning.status, deps.now(), claimant),
  );
  if (claim !== 'claimed') {
    jobLog.info('Ignored a repeated event for a restore job already being handled', { restoreJobId, claim });
    return 'duplicate';
  }
  // AWS's message may quote stored recovery-point metadata that neither the request nor the link holds.
  rememberSecrets(await secretsOfStoredJob(deps.backup, detail ?? {}));
  const error = new RestoreJobFailedError(
    `Restore job ${restoreJobId} ended ${meaning.status}: ${meaning.reason}. Fix the cause, then redrive this message to the request queue: it is retried with a fresh idempotency token`,
  );
  const letter = buildDeadLetter({
    failure: 'restore-job-failed',
    error,
    trigger: { type: 'restore-job-event', id: eventId ?? restoreJobId, attempt: 1 },
    original: link.original,
    now: deps.now(),
    redriveCount: link.redriveCount,
    restoreJob: {
      restoreJobId,
      status: meaning.status,
      ...(detail.statusMessage === undefined ? {} : { statusMessage: detail.statusMessage }),
      resourceType,
    },
  });
  let messageId: string;
  try {
    messageId = await sendDeadLetter(deps.sqs, deps.config.deadLetterQueueUrl, letter);
  } catch (error) {
    // Given up at once, so Lambda's retry (or the reconciler) sends it; if this fails too, the
    // claim lapses after OUTCOME_CLAIM_MS.
    await releaseJobOutcome(deps.ddb, table, restoreJobId).catch((releaseError: unknown) =>
      jobLog.error('Could not give up the claim on the job outcome', errorFields(releaseError)),
    );
    throw error;
  }
  try {
    await retryRetryable(() =>
      finishJobOutcome(deps.ddb, table, restoreJobId, { deadLetterId: letter.deadLetterId }),
    );
  } catch (error) {
    // The dead letter is sent: retrying the event now would send it again. The claim lapses, and
    // the reconciler may send it once more, with the same dead-letter id.
    jobLog.error('Dead letter sent, but the job could not be marked as handled', errorFields(error));
  }
  jobLog.warn('Restore job failed after it started; its request was dead-lettered', {
    status: meaning.status,
    reason: meaning.reason,
    deadLetterMessageId: messageId,
    deadLetterId: letter.deadLetterId,
  });
  deps.metrics.count('RestoreJobsFailed', resourceType);
  if (deps.alerts !== undefined)
    await alert(deps.alerts, restoreJobId, resourceType, meaning, secretsOfOriginal(link.original), jobLog);
  return 'dead-lettered';
}
/**
 * A drill's job COMPLETED: tag its resource and write its drill record (src/drills/cleanup.ts). A
 * retryable failure is thrown (the event is retried, and the tag and record are idempotent); a
 * permanent one is logged: the resource is then never deleted by the pipeline, which is the safe side.
 */
async function handOff(
  deps: TrackDeps,
  link: JobLink,
  detail: RestoreJobDetail & { restoreJobId: string },
  resourceType: string,
  spec: DrillSpec,
  log: Logger,
): Promise<void> {
  const arn = detail.createdResourceArn;
  const handOffDrill = deps.drillHandOff;
  if (handOffDrill === undefined || arn === undefined) {
    log.warn(
      'Drill completed, but it cannot be handed to the cleanup (no created resource, or no hand-off wired)',
      {
        createdResourceArn: arn,
      },
    );
    return;
  }
  try {
    await retryRetryable(() =>
      handOffDrill({
        restoreJobId: link.restoreJobId,
        resourceType,
        createdResourceArn: arn,
        completedAt: detail.completionDate ?? deps.now().toISOString(),
        spec,
      }),
    );
    log.info('Drill resource tagged; its cleanup is scheduled', { deleteAfterHours: spec.deleteAfterHours });
  } catch (error) {
    if (describeError(error).retryable) throw error;
    log.error('Drill resource could not be tagged: the pipeline will not delete it', errorFields(error));
  }
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
