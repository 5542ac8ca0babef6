/**
 * Drills that clean up after themselves, and only after themselves.
 *
 * At COMPLETED the tracker writes a drill record, `<jobId>#drill`, to the restore jobs table
 * (src/drills/record.ts, src/table/drills.ts: the resource AWS reported, DeleteAfterHours, when it is due; state
 * `untagged`). Each scheduled run (every 15 minutes, one at a time) finds the open records with one
 * Scan (`drillState = untagged`, or `waiting` and `dueAt <= now`), then:
 * 1. gives a due time to a record that has none (from its completion; dead-lettered when it cannot);
 * 2. tags each untagged drill's resource (`backup-restore:drill=<jobId>`; EC2: with the volumes
 *    attached to the instance, recorded), only when the other ownership checks hold (drill.ts:
 *    evidence AWS gives, never a name) and no other job's tag is on it; the record becomes
 *    `waiting`. A resource that cannot be tagged is recorded `tag-failed`, logged and counted,
 *    never deleted;
 * 3. deletes each due drill's resource only when every ownership check holds, the tag included;
 *    anything else is refused, recorded and dead-lettered (`drill-cleanup-failed`). A resource not
 *    ready yet (a DynamoDB table UPDATING, volumes still attached to a terminating instance) is
 *    left for the next run without counting a failure; what cannot be deleted is a leftover,
 *    listed on the record, in the run's report and in a dead letter.
 * Every step is idempotent: a run that dies between the tag and the record's update is followed by
 * one that finds the tag on (this job's) and goes on without tagging again.
 */

import {
  type BackupClient,
  DescribeRestoreJobCommand,
  type DescribeRestoreJobCommandOutput,
} from '@aws-sdk/client-backup';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { sortedCall } from '../aws/conditional.js';
import { describeError, RestorePipelineError } from '../errors.js';
import { buildDeadLetter, sendDeadLetter } from '../letters/dead-letters.js';
import { errorFields, type Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { resourceIdOf } from '../resources/calls.js';
import { retryRetryable } from '../retry.js';
import {
  countDrillAttempt,
  type DrillRecord,
  type DrillState,
  letterSent,
  markDrillTagged,
  moveDrillRecord,
  openDrills,
  scheduleDrill,
} from '../table/drills.js';
import { findJobLink, type JobLink } from '../table/links.js';
import { type DrillContext, NotReadyError } from './calls.js';
import { drillDueAt, drillOf, type OwnershipEvidence, ownershipRefusals } from './drill.js';
import {
  type Deletion,
  type DrillClients,
  deleteResource,
  type ResourceView,
  sweepVolumes,
  tagDrillResource,
  viewResource,
} from './resources.js';

/** Retryable errors on this many scheduled runs in a row dead-letter the cleanup (or fail the tagging). */
export const CLEANUP_MAX_ATTEMPTS = 4;

/** Runs (every 15 minutes) that may find a drill's resource not ready before its cleanup is dead-lettered: a day. */
export const CLEANUP_NOT_READY_MAX_RUNS = 96;

/** What the cleanup function needs. */
export interface CleanupDeps {
  readonly ddb: DynamoDBClient;
  readonly backup: BackupClient;
  readonly sqs: () => Promise<SQSClient>;
  readonly clients: DrillClients;
  readonly config: {
    readonly restoreJobsTable: string;
    readonly deadLetterQueueUrl: string;
    /** CLEANUP_NOT_READY_MAX_RUNS (default CLEANUP_NOT_READY_MAX_RUNS). */
    readonly cleanupNotReadyMaxRuns?: number;
  };
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now: () => Date;
  /** Epoch milliseconds by which the run stops waiting and starting drills (default: a minute from its start). */
  readonly deadline?: number;
  /** Waits between reads of a resource that is not ready yet (replaced in tests). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The outcome of one drill's step in a run. */
export type CleanupOutcome = 'deleted' | 'refused' | 'failed' | 'gone' | 'retry' | 'terminating';

/**
 * What one run did: drills given a due time, tagged, the outcome of each drill acted on, and the
 * leftovers found (resources that could not be deleted, listed on their records).
 */
export type CleanupCounts = Record<CleanupOutcome | 'tagged' | 'scheduled' | 'leftovers', number>;

const fromOf = (record: DrillRecord): DrillState => record.drillState;

/** Moves the record to `state`; with `letter`, promising a dead letter of that reason. False: another run moved it first. */
async function finish(
  deps: CleanupDeps,
  record: DrillRecord,
  state: DrillState,
  reason: string,
  leftovers?: readonly string[],
  letter?: string,
): Promise<boolean> {
  return moveDrillRecord(deps.ddb, deps.config.restoreJobsTable, record, {
    from: fromOf(record),
    state,
    reason,
    now: deps.now(),
    ...(leftovers === undefined ? {} : { leftovers }),
    ...(letter === undefined ? {} : { letter }),
  });
}

/**
 * Moves the record to its end and then sends the dead letter the move promised, so a move that
 * fails sends none (the next run decides again) and a letter is never sent twice for one move. A
 * letter that cannot be sent stays promised on the record: the next run sends it
 * (sendPromisedLetter). Without a link there is nothing to dead-letter: the record is only moved.
 */
async function endWithLetter(
  deps: CleanupDeps,
  record: DrillRecord,
  link: JobLink | undefined,
  log: Logger,
  end: {
    readonly state: DrillState;
    readonly reason: string;
    readonly letter: string;
    readonly leftovers?: readonly string[];
  },
): Promise<string | undefined> {
  const letter = link === undefined ? undefined : end.letter;
  const moved = await finish(deps, record, end.state, end.reason, end.leftovers, letter);
  if (!moved || link === undefined) return undefined;
  try {
    return await sendPromisedLetter(deps, record, link, end.letter);
  } catch (error) {
    log.error('Drill cleanup dead letter not sent yet; the next run sends it', errorFields(error));
    return undefined;
  }
}

/** Sends a letter a record promised, then clears the promise (a failure to clear it is logged: the next run may send it again). */
async function sendPromisedLetter(
  deps: CleanupDeps,
  record: DrillRecord,
  link: JobLink,
  reason: string,
): Promise<string> {
  const restoreJobId = record.restoreJobId;
  const messageId = await deadLetter(deps, record, link, reason);
  await retryRetryable(() => letterSent(deps.ddb, deps.config.restoreJobsTable, restoreJobId)).catch(
    (error: unknown) =>
      deps.logger.error('Drill cleanup dead letter sent, but its record could not say so', {
        ...errorFields(error),
        restoreJobId,
      }),
  );
  return messageId;
}

/** The drill's cleanup failed or was refused: its request goes to the dead-letter queue with the reason. */
async function deadLetter(
  deps: CleanupDeps,
  record: DrillRecord,
  link: JobLink,
  reason: string,
): Promise<string> {
  const error = new RestorePipelineError(
    `Drill cleanup of restore job ${record.restoreJobId} did not delete ${record.createdResourceArn}${record.volumeIds === undefined ? '' : ' (or all its volumes)'}: ${reason}. What is left stays as it is: check it, and delete it by hand if it is the drill's. Do not redrive this letter: the restore itself succeeded`,
    { retryable: false },
  );
  error.name = 'DrillCleanupFailedError';
  const letter = buildDeadLetter({
    failure: 'drill-cleanup-failed',
    error,
    trigger: { type: 'restore-validation', id: record.restoreJobId, attempt: record.attempts + 1 },
    original: link.original,
    now: deps.now(),
    redriveCount: link.redriveCount,
    restoreJob: {
      restoreJobId: record.restoreJobId,
      status: 'COMPLETED',
      statusMessage: reason,
      resourceType: record.resourceType,
    },
  });
  return sendDeadLetter(deps.sqs, deps.config.deadLetterQueueUrl, letter);
}

/** Refused (an ownership check) or failed: dead-lettered with the reason, and the record says which. */
async function giveUp(
  deps: CleanupDeps,
  record: DrillRecord,
  link: JobLink | undefined,
  log: Logger,
  state: 'refused' | 'failed',
  reason: string,
): Promise<CleanupOutcome> {
  const messageId = await endWithLetter(deps, record, link, log, { state, reason, letter: reason });
  if (state === 'refused') {
    log.warn('Drill cleanup refused; the resource is left', { reason, deadLetterMessageId: messageId });
    deps.metrics.count('DrillCleanupsRefused', record.resourceType);
  } else {
    log.error('Drill cleanup failed; dead-lettered', { reason, deadLetterMessageId: messageId });
    deps.metrics.count('DrillCleanupsFailed', record.resourceType);
  }
  return state;
}

const notReadyMaxRuns = (deps: CleanupDeps) =>
  deps.config.cleanupNotReadyMaxRuns ?? CLEANUP_NOT_READY_MAX_RUNS;

/** Why a step gave up: a resource still not ready says for how many runs, and that nothing more is deleted. */
function givenUpReason(deps: CleanupDeps, error: unknown): string {
  const described = describeError(error);
  const reason = `${described.name}: ${described.message}`;
  if (!(error instanceof NotReadyError)) return reason;
  return `${reason}; still not ready after ${notReadyMaxRuns(deps)} runs of the cleanup (CLEANUP_NOT_READY_MAX_RUNS), so it stops waiting and deletes nothing more`;
}

const isAlarmRestore = (link: JobLink | undefined) =>
  link?.original.trigger === 'eventbridge' &&
  (link.original.event as { source?: unknown } | null)?.source === 'aws.cloudwatch';

const childLog = (log: Logger, record: DrillRecord) =>
  log.child({
    restoreJobId: record.restoreJobId,
    resourceType: record.resourceType,
    createdResourceArn: record.createdResourceArn,
  });

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** AWS's description of the drill's job (what it created, when it started, its account), and the context built on it. */
async function jobContext(
  deps: CleanupDeps,
  record: DrillRecord,
): Promise<{ job: DescribeRestoreJobCommandOutput; context: DrillContext }> {
  const job = await sortedCall('DescribeRestoreJob', () =>
    deps.backup.send(new DescribeRestoreJobCommand({ RestoreJobId: record.restoreJobId })),
  );
  const created = job.CreationDate instanceof Date ? job.CreationDate : undefined;
  const context: DrillContext = {
    restoreJobId: record.restoreJobId,
    jobCreatedAt: created,
    ...(job.CompletionDate instanceof Date ? { jobCompletedAt: job.CompletionDate } : {}),
    accountId: job.AccountId,
    deadline: deps.deadline ?? Date.now() + 60_000,
    sleep: deps.sleep ?? realSleep,
    // An EC2 drill past its tagging has its volumes recorded (none recorded: none is the drill's).
    ...(record.resourceType === 'EC2' && record.drillState !== 'untagged'
      ? { volumeIds: record.volumeIds ?? [] }
      : {}),
  };
  return { job, context };
}

/**
 * What the ownership checks weigh, read afresh before a tag and before a deletion: the job's link,
 * AWS's word on what the job created and when it started (DescribeRestoreJob), and the resource as
 * it is now (its tags, its own creation time, whether something uses it). Undefined when the
 * resource no longer exists.
 */
async function readOwnership(
  deps: CleanupDeps,
  record: DrillRecord,
  link: JobLink | undefined,
): Promise<{ evidence: OwnershipEvidence; view: ResourceView; context: DrillContext } | undefined> {
  const { job, context } = await jobContext(deps, record);
  const view = await viewResource(deps.clients, record.resourceType, record.createdResourceArn, context);
  if (view === undefined) return undefined;
  return {
    evidence: {
      restoreJobId: record.restoreJobId,
      linkDrill: link === undefined ? undefined : drillOf(link.original),
      alarmRestore: isAlarmRestore(link),
      recordedArn: record.createdResourceArn,
      jobCreatedArn: job.CreatedResourceArn,
      jobCreatedAt: context.jobCreatedAt,
      ...(context.jobCompletedAt === undefined ? {} : { jobCompletedAt: context.jobCompletedAt }),
      resourceCreatedAt: view.createdAt,
      tags: view.tags,
      ...(record.resourceCreatedAt === undefined
        ? {}
        : { taggedResourceCreatedAt: new Date(record.resourceCreatedAt) }),
    },
    view,
    context,
  };
}

/**
 * A retryable error: tried again on the next run. A resource not ready is counted apart from the
 * attempts (its runs, notReadyRuns), up to CLEANUP_NOT_READY_MAX_RUNS; then false, as for a permanent error.
 */
async function retryLater(
  deps: CleanupDeps,
  record: DrillRecord,
  log: Logger,
  error: unknown,
  message: string,
): Promise<boolean> {
  const described = describeError(error);
  if (error instanceof NotReadyError) {
    if ((record.notReadyRuns ?? 0) + 1 >= notReadyMaxRuns(deps)) return false;
    await countDrillAttempt(deps.ddb, deps.config.restoreJobsTable, record, 'notReadyRuns');
    log.info(`${message} (not ready yet)`, {
      reason: described.message,
      notReadyRuns: (record.notReadyRuns ?? 0) + 1,
    });
    return true;
  }
  if (!described.retryable || record.attempts + 1 >= CLEANUP_MAX_ATTEMPTS) return false;
  await countDrillAttempt(deps.ddb, deps.config.restoreJobsTable, record);
  log.warn(message, { error: described.message });
  return true;
}

/**
 * Tags an untagged drill's resource when the ownership checks hold (the tag may be missing yet;
 * EC2: every attached volume is the drill's too); else refused and dead-lettered as a deletion
 * would be. A resource that cannot be tagged (a permanent error, or retryable ones on
 * CLEANUP_MAX_ATTEMPTS runs) is recorded `tag-failed`, logged and counted as a failed cleanup, and
 * never deleted. Returns the record, now waiting, or the outcome that ends this run's work on it.
 */
export async function tagDrill(
  deps: CleanupDeps,
  record: DrillRecord,
  log: Logger,
): Promise<DrillRecord | CleanupOutcome> {
  const jobLog = childLog(log, record);
  let volumeIds: string[] | undefined;
  let resourceCreatedAt: Date | undefined;
  try {
    const link = await findJobLink(deps.ddb, deps.config.restoreJobsTable, record.restoreJobId);
    const seen = await readOwnership(deps, record, link);
    if (seen === undefined) {
      await finish(deps, record, 'gone', 'the resource no longer exists; nothing was tagged or deleted');
      jobLog.info('Drill resource already gone; nothing tagged or deleted');
      return 'gone';
    }
    const refusals = ownershipRefusals(seen.evidence, true);
    // The volumes of an instance are tagged with it: each must be the drill's before anything is.
    if (record.resourceType === 'EC2' && seen.view.inUse !== undefined) refusals.push(seen.view.inUse);
    if (refusals.length > 0) {
      return await giveUp(deps, record, link, jobLog, 'refused', `not tagged: ${refusals.join('; ')}`);
    }
    volumeIds = seen.view.volumeIds;
    await tagDrillResource(
      deps.clients,
      record.resourceType,
      record.createdResourceArn,
      { ...seen.context, ...(volumeIds === undefined ? {} : { volumeIds }) },
      seen.view,
    );
    // Read after the tag is on: a change to the resource may move its reported creation time
    // (an S3 CreationDate), and the deletion requires the time recorded here.
    resourceCreatedAt = (
      await viewResource(deps.clients, record.resourceType, record.createdResourceArn, seen.context)
    )?.createdAt;
  } catch (error) {
    if (
      await retryLater(
        deps,
        record,
        jobLog,
        error,
        'Drill resource not tagged yet; tried again on the next run',
      )
    ) {
      return 'retry';
    }
    const reason = givenUpReason(deps, error);
    await finish(deps, record, 'tag-failed', reason);
    jobLog.error('Drill resource could not be tagged: the pipeline will not delete it', { reason });
    deps.metrics.count('DrillCleanupsFailed', record.resourceType);
    return 'failed';
  }
  const tagged = await markDrillTagged(
    deps.ddb,
    deps.config.restoreJobsTable,
    record,
    deps.now(),
    volumeIds,
    resourceCreatedAt,
  );
  jobLog.info('Drill resource tagged; its cleanup is scheduled', {
    deleteAfterHours: record.deleteAfterHours,
    dueAt: record.dueAt,
    ...(volumeIds === undefined ? {} : { volumeIds }),
  });
  return tagged;
}

/**
 * Records what a deletion did: `terminating` while an instance's volumes are still attached, else
 * `deleted`, with every leftover listed on the record, logged, counted and dead-lettered.
 */
async function recordDeletion(
  deps: CleanupDeps,
  record: DrillRecord,
  link: JobLink | undefined,
  log: Logger,
  deletion: Deletion,
  report: string[],
): Promise<CleanupOutcome> {
  const steps = [
    // A terminating record's reason holds the steps of its first run, then what was still attached.
    ...(record.drillState === 'terminating'
      ? [(record.cleanupReason ?? '').split('; volumes still')[0] ?? '']
      : []),
    ...deletion.steps,
  ]
    .filter((s) => s !== '')
    .join(', ');
  if ((deletion.pending ?? []).length > 0) {
    await finish(
      deps,
      record,
      'terminating',
      `${steps}; volumes still attached: ${deletion.pending?.join(', ')}`,
    );
    log.info('Drill instance terminated; the volumes it left are deleted once detached', {
      pending: deletion.pending,
    });
    return 'terminating';
  }
  const leftovers = deletion.leftovers ?? [];
  if (leftovers.length === 0) {
    await finish(deps, record, 'deleted', steps);
    deps.metrics.count('DrillsCleanedUp', record.resourceType);
    log.info('Drill resource deleted', { steps });
    return 'deleted';
  }
  const messageId = await endWithLetter(deps, record, link, log, {
    state: 'deleted',
    reason: `${steps}; left: ${leftovers.join('; ')}`,
    letter: `left: ${leftovers.join('; ')}`,
    leftovers,
  });
  deps.metrics.count('DrillsCleanedUp', record.resourceType);
  report.push(...leftovers.map((l) => `${record.restoreJobId}: ${l}`));
  log.warn('Drill resource deleted, but some of what it created is left', {
    steps,
    leftovers,
    deadLetterMessageId: messageId,
  });
  deps.metrics.count('DrillCleanupsFailed', record.resourceType);
  return 'deleted';
}

/** An EC2 drill whose instance is terminated (or gone): its recorded volumes, once detached. */
async function continueTerminating(
  deps: CleanupDeps,
  record: DrillRecord,
  link: JobLink | undefined,
  log: Logger,
  report: string[],
): Promise<CleanupOutcome> {
  const { context } = await jobContext(deps, record);
  const instanceId = resourceIdOf(record.createdResourceArn);
  const sweep = await sweepVolumes(deps.clients.ec2(), instanceId, context);
  if (sweep.pending.length > 0 && record.attempts + 1 < CLEANUP_MAX_ATTEMPTS) {
    await countDrillAttempt(deps.ddb, deps.config.restoreJobsTable, record);
    log.info('Drill volumes still attached to the terminating instance; tried again on the next run', {
      pending: sweep.pending,
    });
    return 'retry';
  }
  const stuck = sweep.pending.map(
    (id) => `${id}: still attached to ${instanceId} after ${CLEANUP_MAX_ATTEMPTS} runs`,
  );
  return recordDeletion(
    deps,
    record,
    link,
    log,
    {
      steps: sweep.steps,
      pending: [],
      leftovers: [...sweep.leftovers, ...stuck],
    },
    report,
  );
}

/**
 * Cleans up one due, tagged drill: checks ownership, deletes, records the outcome; what is left
 * is added to `report`.
 */
export async function cleanupDrill(
  deps: CleanupDeps,
  record: DrillRecord,
  log: Logger,
  report: string[] = [],
): Promise<CleanupOutcome> {
  const jobLog = childLog(log, record);
  const link = await findJobLink(deps.ddb, deps.config.restoreJobsTable, record.restoreJobId);
  try {
    if (record.drillState === 'terminating')
      return await continueTerminating(deps, record, link, jobLog, report);
    const seen = await readOwnership(deps, record, link);
    if (seen === undefined) {
      // An instance terminated by someone else may have left the drill's volumes.
      if ((record.volumeIds ?? []).length > 0) {
        return await continueTerminating(deps, record, link, jobLog, report);
      }
      await finish(deps, record, 'gone', 'the resource no longer exists; nothing was deleted');
      jobLog.info('Drill resource already gone; nothing deleted');
      return 'gone';
    }
    const refusals = ownershipRefusals(seen.evidence);
    if (seen.view.inUse !== undefined) refusals.push(seen.view.inUse);
    if (refusals.length > 0) return await giveUp(deps, record, link, jobLog, 'refused', refusals.join('; '));
    const deletion = await deleteResource(
      deps.clients,
      record.resourceType,
      record.createdResourceArn,
      seen.context,
    );
    return await recordDeletion(deps, record, link, jobLog, deletion, report);
  } catch (error) {
    if (await retryLater(deps, record, jobLog, error, 'Drill cleanup will be tried again on the next run')) {
      return 'retry';
    }
    return giveUp(deps, record, link, jobLog, 'failed', givenUpReason(deps, error));
  }
}

/**
 * A record with no due time gets one from its completion; one whose completion is not a time is
 * failed and dead-lettered (it would otherwise never be due). Returns the record, or the outcome.
 */
async function scheduleMissing(
  deps: CleanupDeps,
  record: DrillRecord,
  log: Logger,
): Promise<DrillRecord | CleanupOutcome> {
  const jobLog = childLog(log, record);
  const dueAt = drillDueAt({ deleteAfterHours: record.deleteAfterHours }, record.completedAt);
  if (dueAt === undefined) {
    const link = await findJobLink(deps.ddb, deps.config.restoreJobsTable, record.restoreJobId);
    const reason = `the drill record has no due time and no completion time (${JSON.stringify(record.completedAt)}) to set one from: the resource is never deleted by the pipeline`;
    if (link === undefined)
      jobLog.error('Drill record without a due time, and no link to dead-letter', { reason });
    return giveUp(deps, record, link, jobLog, 'failed', reason);
  }
  await scheduleDrill(deps.ddb, deps.config.restoreJobsTable, record, dueAt);
  jobLog.warn('Drill record had no due time; set from its completion', { dueAt });
  return { ...record, dueAt };
}

/**
 * One scheduled run: every open drill, one after another, until the deadline (the rest is left for
 * the next run); a record without a due time gets one, an untagged one is tagged, and a due one is
 * deleted (in the same run when it is tagged already due).
 */
export async function cleanupDueDrills(deps: CleanupDeps): Promise<CleanupCounts> {
  const counts: CleanupCounts = {
    scheduled: 0,
    tagged: 0,
    deleted: 0,
    refused: 0,
    failed: 0,
    gone: 0,
    retry: 0,
    terminating: 0,
    leftovers: 0,
  };
  const now = deps.now();
  const deadline = deps.deadline ?? Date.now() + 60_000;
  const open = await openDrills(deps.ddb, deps.config.restoreJobsTable, now);
  const leftovers: string[] = [];
  const thrown: unknown[] = [];
  for (const found of open) {
    if (Date.now() >= deadline) break;
    try {
      await cleanUpOne(deps, found, now, counts, leftovers);
    } catch (error) {
      // One drill that cannot be worked on (its link unreadable, a record write refused) never
      // holds the others back: it is logged and counted here, stays as it is for the next run,
      // and the run still fails at its end, so the function's errors show it.
      counts.failed++;
      thrown.push(error);
      deps.logger.error('Drill cleanup step failed; tried again on the next run', {
        ...errorFields(error),
        restoreJobId: found.restoreJobId,
      });
    }
  }
  counts.leftovers = leftovers.length;
  deps.logger.info('Drill cleanup run', {
    open: open.length,
    ...counts,
    ...(leftovers.length > 0 ? { leftovers } : {}),
  });
  if (thrown.length > 0) throw thrown[0];
  return counts;
}

/** Schedules, tags and (when due) cleans up one open drill, counting what became of it. */
async function cleanUpOne(
  deps: CleanupDeps,
  found: DrillRecord,
  now: Date,
  counts: CleanupCounts,
  leftovers: string[],
): Promise<void> {
  if (found.pendingLetter !== undefined) {
    // Ended by an earlier run whose dead letter did not go out: sent now, and nothing else done.
    const link = await findJobLink(deps.ddb, deps.config.restoreJobsTable, found.restoreJobId);
    if (link !== undefined) await sendPromisedLetter(deps, found, link, found.pendingLetter);
    else await letterSent(deps.ddb, deps.config.restoreJobsTable, found.restoreJobId);
    childLog(deps.logger, found).warn('Drill cleanup dead letter of an earlier run sent', {
      drillState: found.drillState,
    });
    return;
  }
  let record: DrillRecord | CleanupOutcome = found;
  if (record.dueAt === undefined && record.drillState !== 'terminating') {
    record = await scheduleMissing(deps, record, deps.logger);
    if (typeof record === 'string') {
      counts[record]++;
      return;
    }
    counts.scheduled++;
  }
  if (record.drillState === 'untagged') {
    record = await tagDrill(deps, record, deps.logger);
    if (typeof record === 'string') {
      counts[record]++;
      return;
    }
    counts.tagged++;
  }
  if (record.drillState !== 'terminating' && (record.dueAt ?? '') > now.toISOString()) return;
  counts[await cleanupDrill(deps, record, deps.logger, leftovers)]++;
}
