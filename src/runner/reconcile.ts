/**
 * The reconciler: AWS Backup's events are best effort (docs/aws-behaviour.md#b-events-best-effort),
 * so a job whose end event never came is found here. On a schedule it lists the restore jobs that
 * ended lately (ListRestoreJobs, by completion time), and for each one this pipeline started and
 * has not settled, acts exactly as the tracker would: the same settleJobEnd, so one outcome per
 * job, whichever path gets there first. With makeReady to ask (deployed: always), a COMPLETED job
 * of ours whose make-ready never ran is asked for once (src/ready/lost.ts).
 */

import type { RestoreJobsListMember } from '@aws-sdk/client-backup';
import { restoreJobsEndedAfter } from '../aws/backup.js';
import { withOwnSecrets } from '../invocation.js';
import { errorFields, type Logger } from '../logger.js';
import {
  type EndedJobDetail,
  interpretJobEvent,
  type TrackDeps,
  type TrackOutcome,
} from '../outcome/job-event.js';
import { settleJobEnd } from '../outcome/track.js';
import { askIfReadyLost, type LostReadyOutcome, READY_GRACE_MS, type ReadyAsker } from '../ready/lost.js';
import { mapSettled } from './concurrency.js';

/** How far back the reconciler looks, and how long it leaves a fresh end to the event path. */
export interface ReconcileOptions {
  readonly lookBackHours: number;
  /** Jobs that ended less than this ago are left to their event (which AWS sends within minutes). */
  readonly settleAfterMinutes: number;
  /** Epoch milliseconds after which no further job is started (the invocation's time, less a reserve). */
  readonly deadline: number;
  /** A COMPLETED job with no make-ready record this long after its end is asked for (default READY_GRACE_MS). */
  readonly readyGraceMs?: number;
}

/** The tracker's dependencies, and makeReady to ask for the jobs whose COMPLETED event it never had. */
export type ReconcileDeps = TrackDeps & { readonly askReady?: ReadyAsker };

/** Jobs settled at once: each takes a few DynamoDB calls, so the run stays within its timeout. */
const RECONCILE_CONCURRENCY = 10;

/** The defaults: a day back (a schedule that stopped for hours still catches up), ten minutes' grace. */
export const RECONCILE_DEFAULTS: Omit<ReconcileOptions, 'deadline'> = {
  lookBackHours: 24,
  settleAfterMinutes: 10,
};

/** What one run did. */
export interface ReconcileReport {
  readonly examined: number;
  readonly outcomes: Partial<
    Record<TrackOutcome | 'too-recent' | 'deferred' | 'error' | 'ready-asked' | 'ready-error', number>
  >;
}

function detailOf(job: RestoreJobsListMember): EndedJobDetail {
  const detail: EndedJobDetail = { restoreJobId: job.RestoreJobId ?? '' };
  if (job.Status !== undefined) detail.status = job.Status;
  if (job.StatusMessage !== undefined) detail.statusMessage = job.StatusMessage;
  if (job.ResourceType !== undefined) detail.resourceType = job.ResourceType;
  if (job.CreatedResourceArn !== undefined) detail.createdResourceArn = job.CreatedResourceArn;
  if (job.CreationDate !== undefined) detail.creationDate = job.CreationDate.toISOString();
  if (job.CompletionDate !== undefined) detail.completionDate = job.CompletionDate.toISOString();
  if (job.IamRoleArn !== undefined) detail.iamRoleArn = job.IamRoleArn;
  if (job.RecoveryPointArn !== undefined) detail.recoveryPointArn = job.RecoveryPointArn;
  // The vault lets the tracker read the point's stored metadata, so AWS's echo of it is scrubbed.
  if (job.BackupVaultArn !== undefined) detail.backupVaultArn = job.BackupVaultArn;
  return detail;
}

/**
 * One run. A job that cannot be settled now (a throttled call, a dead letter that cannot be sent)
 * is counted as an error and found again by the next run; the run itself fails only when AWS's
 * list cannot be read.
 */
export async function reconcileRestoreJobs(
  deps: ReconcileDeps,
  log: Logger,
  options: ReconcileOptions,
): Promise<ReconcileReport> {
  const now = deps.now().getTime();
  const jobs = await restoreJobsEndedAfter(deps.backup, new Date(now - options.lookBackHours * 3_600_000));
  const outcomes: ReconcileReport['outcomes'] = {};
  const add = (key: keyof ReconcileReport['outcomes']) => {
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  };
  const settle = async (job: RestoreJobsListMember) => {
    const detail = detailOf(job);
    const meaning = interpretJobEvent(detail);
    if (meaning.kind !== 'completed' && meaning.kind !== 'failed') {
      add(meaning.kind === 'progress' ? 'progress' : 'invalid');
      return;
    }
    const ended = job.CompletionDate?.getTime() ?? now;
    if (now - ended < options.settleAfterMinutes * 60_000) {
      add('too-recent');
      return;
    }
    // Past the deadline the rest is left to the next run rather than cut off mid-way.
    if (Date.now() > options.deadline) {
      add('deferred');
      return;
    }
    const outcome = await settleOne(deps, detail, meaning, log);
    add(outcome);
    if (meaning.kind === 'completed' && (outcome === 'completed' || outcome === 'duplicate')) {
      const asked = await askReadyIfLost(deps, detail, options.readyGraceMs ?? READY_GRACE_MS, log);
      if (asked === 'ready-asked' || asked === 'ready-error') add(asked);
    }
  };
  await mapSettled(jobs, RECONCILE_CONCURRENCY, settle);
  return { examined: jobs.length, outcomes };
}

/** Settles one ended job as the tracker would; an error is logged and counted, for the next run. */
async function settleOne(
  deps: TrackDeps,
  detail: EndedJobDetail,
  meaning: Parameters<typeof settleJobEnd>[2],
  log: Logger,
): Promise<TrackOutcome | 'error'> {
  try {
    // Each job's secrets (its request's, its recovery point's) scrub its own text only.
    const outcome = await withOwnSecrets([], () =>
      settleJobEnd(deps, detail, meaning, `reconciler-${detail.restoreJobId}`, log),
    );
    if (outcome === 'dead-lettered' || outcome === 'completed') {
      log.warn('A restore job end was found by the reconciler: its event never reached the tracker', {
        restoreJobId: detail.restoreJobId,
        outcome,
      });
      deps.metrics.count('RestoreJobsReconciled', detail.resourceType ?? 'Unknown');
    }
    return outcome;
  } catch (error) {
    log.error('Could not settle a restore job; the next run tries again', {
      ...errorFields(error),
      restoreJobId: detail.restoreJobId,
    });
    return 'error';
  }
}

/** Asks makeReady for a COMPLETED job of ours it never had (src/ready/lost.ts); an error is logged, for the next run. */
async function askReadyIfLost(
  deps: ReconcileDeps,
  detail: EndedJobDetail,
  graceMs: number,
  log: Logger,
): Promise<LostReadyOutcome | 'ready-error' | undefined> {
  if (deps.askReady === undefined) return undefined;
  const job = {
    restoreJobId: detail.restoreJobId,
    ...(detail.completionDate === undefined ? {} : { completionDate: detail.completionDate }),
    ...(detail.resourceType === undefined ? {} : { resourceType: detail.resourceType }),
  };
  try {
    const ask = { ddb: deps.ddb, table: deps.config.restoreJobsTable, ask: deps.askReady, now: deps.now };
    const outcome = await askIfReadyLost(ask, job, graceMs);
    if (outcome === 'ready-asked') {
      log.warn('A completed restore was never made ready: its event never reached makeReady; asked it now', {
        restoreJobId: detail.restoreJobId,
      });
      deps.metrics.count('MakeReadyReconciled', detail.resourceType ?? 'Unknown');
    }
    return outcome;
  } catch (error) {
    log.error('Could not ask makeReady for a completed restore; the next run tries again', {
      ...errorFields(error),
      restoreJobId: detail.restoreJobId,
    });
    return 'ready-error';
  }
}
