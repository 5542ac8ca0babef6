/**
 * Following a restore job to its end: AWS Backup's `Restore Job State Change` events (and the
 * reconciler's finds) are read, the job's link is looked up, and the end goes to its path: the
 * completed path (job-completed.ts: validation, drill hand-off, logs and metrics) or the failed
 * path (job-failed.ts: a dead letter for the original request, and an alert).
 */

import { sourceAccountOf } from '../arn.js';
import { namedSecretsOfOriginal, secretsOfOriginal } from '../arrival/secrets.js';
import { describeRestoreJob } from '../aws/backup.js';
import { RestorePipelineError } from '../errors.js';
import { rememberNamedSecrets } from '../invocation.js';
import type { Logger } from '../logger.js';
import { retryRetryable } from '../retry.js';
import { findJobLink, type JobLink, LINK_GRACE_MS } from '../table/links.js';
import { settleCompleted } from './job-completed.js';
import {
  detailOfDescribed,
  type EndedJobDetail,
  interpretJobEvent,
  type JobEventMeaning,
  type RestoreJobDetail,
  type TrackDeps,
  type TrackOutcome,
} from './job-event.js';
import { settleFailed } from './job-failed.js';

/** Types whose restores can end COMPLETED with objects that failed (docs/aws-behaviour.md#b-partial-restore). */
const PARTIAL_RESTORE_TYPES = /^(S3|EKS)/;

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
    const out = await retryRetryable(() => describeRestoreJob(deps.backup, restoreJobId));
    if (out === undefined) {
      log.warn('Ignored an event for a restore job AWS does not know', { restoreJobId });
      return 'invalid';
    }
    const described = detailOfDescribed(restoreJobId, out);
    detail = { ...described, resourceType: described.resourceType ?? detail?.resourceType };
    meaning = interpretJobEvent(detail);
    if (meaning.kind === 'invalid' || meaning.kind === 'progress') {
      log.info('Restore job not ended yet', { restoreJobId, status: detail.status });
      return meaning.kind === 'invalid' ? 'invalid' : 'progress';
    }
  }
  if (meaning.kind === 'progress') return 'progress';
  return settleJobEnd(deps, detail as EndedJobDetail, meaning, event.id, log);
}

/** Acts once on a job that ended (completed or failed), whichever path sees the end first. */
export async function settleJobEnd(
  deps: TrackDeps,
  detail: EndedJobDetail,
  meaning: Extract<JobEventMeaning, { kind: 'completed' | 'failed' }>,
  eventId: string | undefined,
  log: Logger,
): Promise<TrackOutcome> {
  const restoreJobId = detail.restoreJobId;
  let link: JobLink | undefined;
  // A link that cannot be read is thrown, for a completion too: it may be a drill's, whose record
  // (and so its cleanup) is written only here, and its report and count come once it is read.
  link = await retryRetryable(() => findJobLink(deps.ddb, deps.config.restoreJobsTable, restoreJobId));
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
  // The request's values, named by their keys: a mark in the job's reason says which field it hid.
  rememberNamedSecrets(namedSecretsOfOriginal(link.original));
  const jobLog = log.child(
    { restoreJobId, resourceType, ...(sourceAccountId === undefined ? {} : { sourceAccountId }) },
    secretsOfOriginal(link.original),
  );
  return meaning.kind === 'completed'
    ? settleCompleted(deps, detail, link, resourceType, jobLog)
    : settleFailed(deps, detail, meaning, link, resourceType, eventId, jobLog);
}
