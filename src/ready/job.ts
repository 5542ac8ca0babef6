/**
 * One COMPLETED restore job made ready: only jobs this pipeline started, once (its record is
 * kept: a repeated event sends no second letter), skipped when the request says `"Ready": false`.
 * A copy that is not ready is dead-lettered (`make-ready-failed`: the letter names each failed
 * step, the resource and what to do) before its record is written, so a failure to send is retried
 * with the whole run and never leaves a record without a letter. A ready copy is then handed to
 * validation (src/validation/queue.ts), so the validator judges the ready copy. An operator runs it again by
 * deleting the not-ready record and invoking the function with the letter's event.
 */

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RestorePipelineError } from '../errors.js';
import { scrubText } from '../invocation.js';
import type { Logger } from '../logger.js';
import type { ReadyClients } from '../resources/ready-steps.js';
import { readySteps } from '../resources/steps.js';
import { type ReadyRecord, readReadyRecord, writeReadyRecord } from '../table/ready.js';
import { readyOptionsOf, validatedAfterReady } from './request.js';
import { makeReady, type ReadyResult, type RunDeps } from './run.js';

/** The fields of a `Restore Job State Change` COMPLETED event used here. */
export interface CompletedJob {
  readonly restoreJobId: string;
  readonly resourceType?: string;
  readonly createdResourceArn?: string;
  readonly completionDate?: string;
  readonly recoveryPointArn?: string;
  readonly backupVaultArn?: string;
  readonly sourceResourceArn?: string;
}

/** A job as AWS Backup describes it (DescribeRestoreJob), in the event's field names. */
export type DescribedJob = CompletedJob & { readonly status?: string; readonly creationDate?: string };

/** What the job's link says of the job it was written for. */
export interface LinkedRequest {
  readonly request: unknown;
  readonly recoveryPointArn: string;
  readonly startedAt: string;
}

export interface ReadyJobDeps {
  readonly ddb: DynamoDBClient;
  readonly table: string;
  readonly clients: ReadyClients;
  readonly log: Logger;
  readonly now: () => Date;
  readonly run: Omit<RunDeps, 'log'>;
  /** The request the job came from, or undefined for a job this pipeline did not start. */
  readonly requestOf: (restoreJobId: string) => Promise<LinkedRequest | undefined>;
  /** The job as AWS Backup describes it, or undefined for a job AWS does not know. */
  readonly describe: (restoreJobId: string) => Promise<DescribedJob | undefined>;
  /** The recovery point's ResourceArn (the source) and stored restore metadata. */
  readonly pointOf: (job: CompletedJob) => Promise<{ sourceArn?: string; metadata: Record<string, string> }>;
  /** Asks for the job's validation (src/validation/queue.ts), once its copy is ready. */
  readonly requestValidation: (job: CompletedJob) => Promise<void>;
  /** Sends the dead letter of a job whose copy is not ready, with `reason`. */
  readonly deadLetter: (job: CompletedJob, reason: string) => Promise<void>;
}

export type ReadyOutcome = 'not-ours' | 'duplicate' | 'invalid' | ReadyRecord['state'];

/**
 * Why AWS's record of a job does not confirm its link (pure): AWS does not know it, or its recovery
 * point is not the one the link asked for; undefined when it does. (Its creation time is not held
 * to the link's: a request retried or redriven with the same token is given the job AWS started
 * for its first attempt, any time before.)
 */
export function unconfirmed(linked: LinkedRequest, job: DescribedJob | undefined): string | undefined {
  if (job === undefined) return 'AWS Backup does not know the job';
  if (job.recoveryPointArn !== linked.recoveryPointArn)
    return "the job's recovery point is not the one its link asked for";
  return undefined;
}

/** The dead letter's reason: each failed step, on which resource, and what to do. */
export function notReadyReason(job: CompletedJob, result: Pick<ReadyResult, 'steps'>): string {
  const failed = result.steps
    .filter((s) => s.status === 'failed')
    .map(
      (s) =>
        `${s.step} (${s.error === undefined ? 'the source does not tell the value' : `${s.error.name}: ${s.error.message}`}); to do by hand: ${s.manual ?? ''}`,
    );
  return `Restore job ${job.restoreJobId} completed, but ${job.createdResourceArn ?? 'its restored resource'} is not ready: ${failed.join('; ')}. The restore itself succeeded: redriving this letter restores nothing (it carries the job's COMPLETED event). Do the steps by hand, or fix the cause and make it ready again: delete item "${job.restoreJobId}#ready" of the restore jobs table, then invoke the makeReady function asynchronously with this letter's original.event`;
}

/** Makes the copy of one COMPLETED job ready and records it; see the module comment. */
export async function readyCompletedJob(deps: ReadyJobDeps, event: CompletedJob): Promise<ReadyOutcome> {
  const linked = await deps.requestOf(event.restoreJobId);
  if (linked === undefined) return 'not-ours';
  const before = await readReadyRecord(deps.ddb, deps.table, event.restoreJobId);
  if (before !== undefined) return 'duplicate';
  // AWS Backup's record of the job names the copy, never the event's own fields.
  const job = await deps.describe(event.restoreJobId);
  const refused = unconfirmed(linked, job);
  if (refused !== undefined || job === undefined) {
    deps.log.error('Ignored a COMPLETED event its job does not confirm', { reason: refused });
    return 'invalid';
  }
  if (job.status !== 'COMPLETED')
    throw new RestorePipelineError(`Restore job ${job.restoreJobId} is not COMPLETED yet; retrying`, {
      retryable: true,
    });
  const completedAt = job.completionDate ?? deps.now().toISOString();
  const base = {
    restoreJobId: job.restoreJobId,
    resourceType: job.resourceType ?? '',
    restoredArn: job.createdResourceArn ?? '',
    completedAt,
    steps: [],
    diff: [],
  };
  const options = readyOptionsOf(linked.request);
  const type = readySteps(job.resourceType ?? '');
  // The tracker asked for the validation too, and the validator waits for this run's record: ask
  // again as it ends, so a ready copy is judged at once rather than at the next look.
  const validateAfter = validatedAfterReady(job.resourceType ?? '', linked.request);
  if (options === undefined || type === undefined || job.createdResourceArn === undefined) {
    const state = options === undefined ? 'skipped' : 'no-steps';
    if (validateAfter) await deps.requestValidation(job);
    await writeReadyRecord(deps.ddb, deps.table, { ...base, state }, deps.now());
    return state;
  }
  const point = await deps.pointOf(job);
  const result = await makeReady({ ...deps.run, log: deps.log }, type, {
    restoreJobId: job.restoreJobId,
    resourceType: type.resourceType,
    restoredArn: job.createdResourceArn,
    ...(point.sourceArn === undefined ? {} : { sourceArn: point.sourceArn }),
    pointMetadata: point.metadata,
    options,
    clients: deps.clients,
  });
  const now = deps.now();
  // Before the record, as the letter: a crash in between asks again (one verdict is kept), never not.
  if (!result.ready) await deps.deadLetter(job, notReadyReason(job, result));
  else if (validateAfter) await deps.requestValidation(job);
  const seconds = Math.max(0, (now.getTime() - Date.parse(completedAt)) / 1000);
  await writeReadyRecord(
    deps.ddb,
    deps.table,
    {
      ...base,
      state: result.ready ? 'ready' : 'not-ready',
      ...(point.sourceArn === undefined ? {} : { sourceArn: point.sourceArn }),
      ...(result.ready
        ? { readyAt: now.toISOString(), ...(Number.isFinite(seconds) ? { readySeconds: seconds } : {}) }
        : {}),
      sourceRead: result.sourceRead,
      steps: result.steps,
      diff: result.diff,
    },
    now,
  );
  deps.log.info(result.ready ? 'Restored copy made ready' : 'Restored copy not ready; dead-lettered', {
    // The copy's name may be a Metadata value of the request (a field the logger does not scrub).
    restoredArn: scrubText(job.createdResourceArn),
    readySeconds: result.ready ? seconds : undefined,
    differences: result.diff.length,
  });
  return result.ready ? 'ready' : 'not-ready';
}
