/**
 * Restoring a resource by name (an alarm's target, or a queue request with ResourceArn): its start,
 * planned by plan/resource-restore.ts while the guard runs, and, for an alarm, one restore at a
 * time: skipped while another restore of the resource runs, and started under the resource's claim
 * (src/table/claims.ts) through restore-point.ts.
 */

import { vaultOwnerOf, withSourceAccount } from '../arn.js';
import { type ActiveJob, activeRestoreJobs } from '../aws/backup.js';
import { drillOf } from '../drills/drill.js';
import { describeError, RestorePipelineError } from '../errors.js';
import { errorFields, type Logger } from '../logger.js';
import { deadLetterOrRetry } from '../outcome/dead-letter-or-retry.js';
import type { ResourceRestore } from '../plan/resource-restore.js';
import type { PlannedStart } from '../plan/start-input.js';
import { retryRetryable } from '../retry.js';
import {
  type ClaimRead,
  readClaim,
  recordClaimedJob,
  releaseResource,
  takeClaim,
  UNDECIDED,
} from '../table/claims.js';
import { findJobLink, isUnlinkedDrill, LINK_GRACE_MS } from '../table/links.js';
import type { AttemptInfo, Deps, Incoming, Outcome } from '../types.js';
import { startRestoreOfPoint } from './restore-point.js';

/**
 * Starts the planned restore of a resource (`planning`: plan/resource-restore.ts, made alongside),
 * or skips it while another restore of it is active. A failure carries the account the recovery
 * point came from, for its dead letter.
 */
export async function restoreByResource(
  deps: Deps,
  spec: ResourceRestore,
  planning: Promise<PlannedStart>,
  incoming: Incoming,
  attempt: AttemptInfo,
  parentLog: Logger,
): Promise<Outcome> {
  // A restore skipped, or a guard that fails, never waits for the plan: its failure is handled
  // here so that it is never an unhandled rejection, and is thrown where the plan is awaited.
  planning.catch(() => undefined);
  // Every line of this restore says which account the recovery point comes from.
  const owner = vaultOwnerOf(spec, deps.config);
  const log = parentLog.child({ sourceAccountId: owner });
  try {
    // A request by resource, drill or not, holds nothing back and never looks.
    if (!spec.oneAtATime) return await startRestoreOfPoint(deps, await planning, incoming, attempt, log);
    return await restoreOneAtATime({ deps, incoming, attempt }, spec, planning, log);
  } catch (error) {
    throw withSourceAccount(error, owner);
  }
}

/** What one restore by resource works with, besides the resource and its log. */
interface Run {
  readonly deps: Deps;
  readonly incoming: Incoming;
  readonly attempt: AttemptInfo;
}

async function restoreOneAtATime(
  run: Run,
  spec: ResourceRestore,
  planning: Promise<PlannedStart>,
  log: Logger,
): Promise<Outcome> {
  const { deps } = run;
  // The guard and the read of the resource's claim are independent reads, and run while the
  // restore is planned (the search): the alarm path waits for the slowest only (a skipped restore
  // wastes the others, which cost nothing but calls).
  const table = deps.config.restoreJobsTable;
  const [activeRead, claimRead] = await Promise.allSettled([
    activeRestoreJobs(deps.backup, spec.resourceArn),
    readClaim(deps, table, spec.resourceArn, spec.idempotencyToken, deps.now()),
  ]);
  if (activeRead.status === 'rejected') throw activeRead.reason;
  // Any active restore of the resource holds the next one back, ours or not, linked or not: a
  // job whose link write failed is still running, and is found here all the same. Only a drill,
  // as its link says, gives way to a recovery.
  const active = await sortActive(deps, activeRead.value);
  // A failed read is not an error of the restore: claimResource reads again, and decides.
  const read = claimRead.status === 'fulfilled' ? claimRead.value : UNDECIDED;
  // The same alarm delivered again, whose own job is the one running, goes on: its token gives that
  // job back, and nothing new starts.
  const ownJob = read.kind === 'takeable' ? read.ownJob : undefined;
  const others = active.recoveries.filter((job) => job.restoreJobId !== ownJob);
  waitForLinks(active.linkOnItsWay, ownJob);
  const first = others[0];
  // A running restore wins over a failed search: the alarm is skipped either way.
  if (first !== undefined) {
    return skipRecovery(run, spec, log, {
      reason: `restore job ${first.restoreJobId} of this resource is still running`,
      activeRestoreJobId: first.restoreJobId,
      activeRestoreJobs: others.length,
    });
  }
  const outcome = await startClaimed(run, spec, planning, read, log);
  if (outcome.status === 'started') preempted(log, outcome.restoreJobId, active.drills);
  return outcome;
}

/** The drills of the resource run on: a recovery pre-empts them only in that they do not hold it back. */
function preempted(log: Logger, restoreJobId: string, drills: readonly ActiveJob[]): void {
  if (drills.length === 0) return;
  log.info('Recovery started while drills of the resource run', {
    restoreJobId,
    drillRestoreJobIds: drills.map((d) => d.restoreJobId),
  });
}

/**
 * Throws (retryably) while another job of ours, started moments ago, is not linked yet: it may be a
 * drill, which a recovery pre-empts. The alarm is tried again once its link is written (or is held
 * back with a letter when it never is).
 */
function waitForLinks(linkOnItsWay: readonly ActiveJob[], ownJob: string | undefined): void {
  const unlinked = linkOnItsWay.find((job) => job.restoreJobId !== ownJob);
  if (unlinked === undefined) return;
  throw new RestorePipelineError(
    `Restore job ${unlinked.restoreJobId} of this resource was started moments ago by this pipeline and is not linked yet (a drill, which a recovery pre-empts, or a recovery); the recovery is tried again. If this is the last try: run restore-pipeline status ${unlinked.restoreJobId}, and redrive this letter once that job has ended or is shown to be a drill`,
    { retryable: true },
  );
}

/** The active restores of a resource, sorted by their links: drills, and everything else. */
async function sortActive(
  deps: Deps,
  active: readonly ActiveJob[],
): Promise<{
  readonly recoveries: ActiveJob[];
  readonly drills: ActiveJob[];
  /** Started with a pipeline role within LINK_GRACE_MS, with no link yet (counted among recoveries too). */
  readonly linkOnItsWay: ActiveJob[];
}> {
  // What the table says, never a guess: a link that cannot be read throws (the request is retried).
  const links = await Promise.all(
    active.map((job) => findJobLink(deps.ddb, deps.config.restoreJobsTable, job.restoreJobId)),
  );
  // A drill acknowledged without its link left a record that it is a drill (act/restore-point.ts).
  const marked = await Promise.all(
    active.map((job, i) =>
      links[i] === undefined
        ? isUnlinkedDrill(deps.ddb, deps.config.restoreJobsTable, job.restoreJobId)
        : Promise.resolve(false),
    ),
  );
  const isDrill = (i: number) => {
    const link = links[i];
    return marked[i] === true || (link !== undefined && drillOf(link.original) !== undefined);
  };
  const now = deps.now().getTime();
  const onItsWay = (job: ActiveJob, i: number) =>
    links[i] === undefined &&
    marked[i] !== true &&
    job.createdAt !== undefined &&
    now - job.createdAt.getTime() < LINK_GRACE_MS &&
    deps.config.allowedRoleArns.includes(job.iamRoleArn ?? '');
  return {
    recoveries: active.filter((_job, i) => !isDrill(i)),
    drills: active.filter((_job, i) => isDrill(i)),
    linkOnItsWay: active.filter(onItsWay),
  };
}

/**
 * A recovery held back by another restore of the resource: logged, counted, and dead-lettered with
 * the reason (never silent). Redriven once that restore has ended, the letter restores.
 */
async function skipRecovery(
  run: Run,
  spec: ResourceRestore,
  log: Logger,
  skip: { readonly reason: string; readonly activeRestoreJobId: string; readonly activeRestoreJobs?: number },
): Promise<Outcome> {
  const { deps, incoming, attempt } = run;
  log.info('Restore skipped: another restore of the resource runs or is being started', {
    resourceArn: spec.resourceArn,
    activeRestoreJobId: skip.activeRestoreJobId,
    ...(skip.activeRestoreJobs === undefined ? {} : { activeRestoreJobs: skip.activeRestoreJobs }),
  });
  deps.metrics.count('RestoresSkipped', 'Unknown');
  const error = new RestorePipelineError(
    `Restore skipped: ${skip.reason}, so this recovery of ${spec.resourceArn} was not started (one restore of a resource at a time). If it is still needed once that restore has ended, send the request {"ResourceArn": ${JSON.stringify(spec.resourceArn)}, "RestoreTime": "${spec.at.toISOString()}"} (an alarm's letter redriven through the request queue is not believed)`,
    { retryable: false },
  );
  error.name = 'RestoreSkippedError';
  await deadLetterOrRetry(deps, incoming, { ...attempt, lastAttempt: true }, error, log);
  return { status: 'skipped', reason: skip.reason, activeRestoreJobId: skip.activeRestoreJobId };
}

/**
 * Starts an alarm's restore under the resource's claim (src/table/claims.ts): two alarm
 * records worked on at once (a batch, several instances) cannot both start one, as the
 * running-restore check alone would let them. The claim is taken (one conditional put after the
 * read made with the guard) while the restore is still being planned: neither waits for the
 * other, and a claim taken for a restore that cannot be planned is given up.
 */
async function startClaimed(
  run: Run,
  spec: ResourceRestore,
  planning: Promise<PlannedStart>,
  read: ClaimRead,
  log: Logger,
): Promise<Outcome> {
  const { deps, incoming, attempt } = run;
  const table = deps.config.restoreJobsTable;
  const owner = spec.idempotencyToken;
  const [prepared, taken] = await Promise.allSettled([
    planning,
    takeClaim(deps, table, spec.resourceArn, owner, deps.now(), read),
  ]);
  // The job, once started, is named on the claim while its link is written (so a later alarm asks
  // AWS whether it still runs); a release after that takes the name off with the claim.
  let named: string | undefined;
  const nameJob = async (restoreJobId: string) => {
    named = restoreJobId;
    // Retried: a lost answer on the update is mended by the next try (the owner's condition holds).
    await retryRetryable(() =>
      recordClaimedJob(deps.ddb, table, spec.resourceArn, owner, restoreJobId),
    ).catch((error: unknown) =>
      log.warn('Could not name the job on the resource claim; it lapses by itself', errorFields(error)),
    );
  };
  const release = () =>
    releaseResource(deps.ddb, table, spec.resourceArn, owner, named).catch((releaseError: unknown) =>
      log.warn('Could not give up the claim on the resource; it lapses by itself', errorFields(releaseError)),
    );
  if (taken.status === 'fulfilled' && taken.value.kind === 'busy') {
    // Another restore runs or is being started: skipped, whatever the preparation gave.
    const jobId = taken.value.restoreJobId;
    return skipRecovery(run, spec, log, {
      reason:
        jobId === undefined
          ? 'another restore of this resource is being started'
          : `restore job ${jobId} of this resource is still running`,
      activeRestoreJobId: jobId ?? 'being started',
    });
  }
  if (prepared.status === 'rejected') {
    if (taken.status === 'fulfilled') await release();
    throw prepared.reason;
  }
  const planned = prepared.value;
  if (taken.status === 'rejected') {
    // The claim cannot be proven (the table did not answer, or lost its answer and could not be
    // read again): starting on the running-restore check alone lets two alarms worked on at once
    // both start. The request is given back (retried, then dead-lettered), never started blind.
    throw new RestorePipelineError(
      `The claim on ${spec.resourceArn} could not be proven (${describeError(taken.reason).message}); nothing was started, the request is retried`,
      { retryable: true, cause: taken.reason },
    );
  }
  try {
    return await startRestoreOfPoint(deps, planned, incoming, attempt, log, nameJob);
  } catch (error) {
    // Started, and this request's, but its link is not written yet (thrown to be retried): the
    // claim keeps naming the job, so the retry finds the job its own (the same token gives it
    // back) and writes the link, instead of waiting for a link nothing else will write.
    if (named !== undefined && describeError(error).retryable) throw error;
    // The job did not start, or it is not this request's (its link conflicts): the claim is given
    // up, the name of that job with it (the naming has settled by now).
    await release();
    throw error;
  }
}
