/**
 * A linked restore job ended FAILED, ABORTED or (S3, EKS) with failed objects: claim its outcome,
 * dead-letter its original request (once per job, whichever path gets there first), mark the job
 * handled, and alert.
 */

import { randomUUID } from 'node:crypto';
import type { Alerter } from '../alerts.js';
import { secretsOfOriginal, secretsOfStoredJob } from '../arrival/secrets.js';
import { classifyAwsError, RestoreJobFailedError } from '../errors.js';
import { rememberSecrets, scrubText } from '../invocation.js';
import { buildDeadLetter, sendDeadLetter } from '../letters/dead-letters.js';
import { errorFields, type Logger } from '../logger.js';
import { retryRetryable } from '../retry.js';
import type { JobLink } from '../table/links.js';
import { claimJobOutcome, finishJobOutcome, releaseJobOutcome } from '../table/outcomes.js';
import type { EndedJobDetail, JobEventMeaning, TrackDeps, TrackOutcome } from './job-event.js';

/** Dead-letters the request of a linked job that failed; `duplicate` when another delivery has it. */
export async function settleFailed(
  deps: TrackDeps,
  detail: EndedJobDetail,
  meaning: Extract<JobEventMeaning, { kind: 'failed' }>,
  link: JobLink,
  resourceType: string,
  eventId: string | undefined,
  jobLog: Logger,
): Promise<TrackOutcome> {
  const restoreJobId = detail.restoreJobId;
  const table = deps.config.restoreJobsTable;
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
  rememberSecrets(await secretsOfStoredJob(deps.backup, detail ?? {}, deps.config.accountId));
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

async function alert(
  publish: Alerter,
  restoreJobId: string,
  resourceType: string,
  meaning: { status: string; reason: string },
  secrets: readonly string[],
  log: Logger,
): Promise<void> {
  const subject = `Restore ${meaning.status}: ${resourceType} job ${restoreJobId}`;
  // scrubText also hides the invocation's secrets (ALARM_TARGETS overrides, values seen while handling it).
  const message = scrubText(
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
