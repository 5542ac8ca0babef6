/**
 * Starting the restore of a checked recovery point request: build its StartRestoreJob input, prove
 * the point is in its vault when vaults are allowlisted, start the job (src/aws/backup.ts) and link
 * the job to its request (src/table/links.ts).
 */

import { sourceAccountOf } from '../arn.js';
import { checkPointInVault, startRestoreJob } from '../aws/backup.js';
import type { RecoveryPointRequest } from '../checks/checked-request.js';
import {
  describeError,
  ForbiddenRequestError,
  InvalidRequestError,
  RestorePipelineError,
} from '../errors.js';
import { errorFields, type Logger } from '../logger.js';
import { metricFields } from '../metrics.js';
import type { PlannedStart } from '../plan/start-input.js';
import { retryRetryable } from '../retry.js';
import type { Item } from '../table/keys.js';
import {
  inputFingerprint,
  type LinkWriteResult,
  linkItem,
  markUnlinkedDrill,
  writeLinkItem,
} from '../table/links.js';
import type { AttemptInfo, Deps, Incoming, Outcome } from '../types.js';

/**
 * A drill acknowledged without its link is recorded as a drill, so a recovery of its resource is
 * never held back by it; when even that record cannot be written, the request is dead-lettered
 * (never acknowledged as a job that reads as a recovery). Its redrive gives the same job back.
 */
async function recordUnlinkedDrill(deps: Deps, restoreJobId: string, linkError: unknown): Promise<void> {
  try {
    await retryRetryable(() =>
      markUnlinkedDrill(deps.ddb, deps.config.restoreJobsTable, restoreJobId, deps.now()),
    );
  } catch (error) {
    throw new RestorePipelineError(
      `Drill restore job ${restoreJobId} started, but neither its link (${describeError(linkError).name}) nor a record that it is a drill could be written: until it ends it holds back every recovery of its resource. Redrive this letter once the job table answers: the same job is given back and linked`,
      { retryable: false, cause: error },
    );
  }
}

/**
 * A drill of a bucket restores into a new bucket that must not exist in another account: asked
 * before the job starts (src/resources/s3.ts). Without an S3 client nothing is started.
 */
async function checkDrillTarget(
  deps: Deps,
  request: RecoveryPointRequest,
  input: PlannedStart['input'],
): Promise<void> {
  if (request.Drill === undefined || input.ResourceType !== 'S3') return;
  const bucket = input.Metadata?.DestinationBucketName ?? '';
  if (deps.drillBucketProblem === undefined)
    throw new RestorePipelineError(
      'A drill of a bucket needs its new bucket checked first, and no S3 check is wired',
      {
        retryable: false,
      },
    );
  const problem = await deps.drillBucketProblem(bucket, deps.config.accountId);
  if (problem !== undefined) throw new ForbiddenRequestError(problem);
}

/**
 * Starts the job of a planned request (plan/start-input.ts), and links the job to the request.
 * `alongsideLink` (an alarm's claim naming its job) runs while the link is written, and has
 * settled before this returns or throws; it never throws.
 */
export async function startRestoreOfPoint(
  deps: Deps,
  planned: PlannedStart,
  incoming: Incoming,
  attempt: AttemptInfo,
  parentLog: Logger,
  alongsideLink?: (restoreJobId: string) => Promise<void>,
): Promise<Outcome> {
  const { request, input } = planned;
  // The owner of the vault is the account in the recovery point's ARN.
  const sourceAccountId = sourceAccountOf(request.RecoveryPointArn, deps.config) ?? deps.config.accountId;
  const sharedBy = sourceAccountId === deps.config.accountId ? undefined : sourceAccountId;
  if (deps.config.allowedVaultNames !== undefined && request.BackupVaultName !== undefined) {
    await checkPointInVault(deps.backup, request.BackupVaultName, request.RecoveryPointArn, sharedBy);
  }
  // Metadata that came from AWS or configuration is as secret as the caller's; every line says
  // which account the recovery point came from.
  const log = parentLog.child({ sourceAccountId }, Object.values(input.Metadata ?? {}));
  const fingerprint = inputFingerprint(input, request.Drill);
  // Built before the job starts: a request that cannot be recorded is refused while nothing runs.
  const item = linkItem(
    {
      restoreJobId: '',
      original: incoming.original,
      trigger: attempt.trigger,
      redriveCount: incoming.redriveCount,
      recoveryPointArn: input.RecoveryPointArn ?? '',
      ...(input.ResourceType === undefined ? {} : { resourceType: input.ResourceType }),
      startedAt: deps.now().toISOString(),
      fingerprint,
    },
    deps.now(),
  );
  log.debug('Starting restore job', {
    recoveryPointArn: input.RecoveryPointArn,
    resourceType: input.ResourceType,
    metadataKeys: Object.keys(input.Metadata ?? {}),
    idempotencyToken: input.IdempotencyToken,
  });
  await checkDrillTarget(deps, request, input);
  // Safe to repeat: the idempotency token makes AWS answer the same job. Trying harder here means
  // fewer requests dead-lettered after AWS did start them but the answer was lost. Every HTTP
  // attempt is paced by the Backup client itself (paceStartRestoreJob in src/pacing/middleware.ts).
  const restoreJobId = await retryRetryable(() => startRestoreJob(deps.backup, input));
  item.restoreJobId = { S: restoreJobId };
  // What every "started" line says (the source account is always known: this account at least).
  const started = { restoreJobId, redriveCount: incoming.redriveCount, sourceAccountId };
  const [linking] = await Promise.allSettled([
    linkStartedJob(deps, item, fingerprint, attempt, log, {
      resourceType: input.ResourceType,
      drill: request.Drill !== undefined,
    }),
    alongsideLink?.(restoreJobId),
  ]);
  if (linking.status === 'rejected') throw linking.reason;
  const linked = linking.value;
  if (linked !== 'written') {
    log.info('Restore job started', started);
    return { status: 'started', restoreJobId, sourceAccountId };
  }
  // One line is both the log line and the RestoreJobsStarted data point (half the stdout).
  log.metric(
    'Restore job started',
    started,
    metricFields('RestoreJobsStarted', 'Count', 1, input.ResourceType ?? 'Unknown', deps.now()),
  );
  return { status: 'started', restoreJobId, sourceAccountId };
}

/**
 * Writes the link of a job just started: `written`, or `kept` when the link was there already or
 * could not be written (the job runs either way: logged). A link that belongs to another request
 * is refused (the token was reused); a write that fails retryably before the last attempt is
 * thrown, so the request is retried and the same token gives the same job back.
 */
async function linkStartedJob(
  deps: Deps,
  item: Item,
  fingerprint: string,
  attempt: AttemptInfo,
  log: Logger,
  job: { readonly resourceType: string | undefined; readonly drill: boolean },
): Promise<'written' | 'kept'> {
  const { resourceType } = job;
  const restoreJobId = item.restoreJobId?.S ?? '';
  let written: LinkWriteResult;
  try {
    // The job exists now: try harder than for other calls before giving the request back.
    written = await retryRetryable(() =>
      writeLinkItem(deps.ddb, deps.config.restoreJobsTable, item, fingerprint),
    );
  } catch (error) {
    // Retried, the same token gives the same job back and the link is written then. On the last
    // attempt, or for an error a retry cannot mend, the job is running: a dead letter would
    // restore it twice on redrive, so the request is acknowledged and the gap logged.
    if (!attempt.lastAttempt && describeError(error).retryable) throw error;
    if (job.drill) await recordUnlinkedDrill(deps, restoreJobId, error);
    log.error(
      'Restore job started, but its link could not be recorded: an asynchronous failure of this job will not be dead-lettered',
      { ...errorFields(error), restoreJobId },
    );
    deps.metrics.count('RestoreJobsUnlinked', resourceType ?? 'Unknown');
    return 'kept';
  }
  if (written.kind === 'conflict') {
    throw new InvalidRequestError(
      `The idempotency token of this request already belongs to restore job ${restoreJobId}, started for another request (${written.existing.trigger.type} ${written.existing.trigger.id}) that asked for something else (another recovery point, metadata or role). AWS answered with that job and started nothing for this request: if it is a new restore, send it again with a new IdempotencyToken`,
    );
  }
  if (written.kind === 'same') {
    log.info('Restore job already linked to this request (a repeated delivery or a retry)', {
      restoreJobId,
      firstTrigger: written.existing.trigger.id,
    });
    return 'kept';
  }
  return 'written';
}
