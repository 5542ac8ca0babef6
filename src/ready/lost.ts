/**
 * A COMPLETED job whose make-ready never ran. makeReady learns of a job only from AWS Backup's
 * COMPLETED event, and those events are best effort (docs/aws-behaviour.md#b-events-best-effort):
 * without this, a lost event leaves the copy bare, and a copy whose validation waits for its
 * make-ready record never judged. The reconciler (src/runner/reconcile.ts) finds such a job, one
 * of ours that completed more than READY_GRACE_MS ago with no make-ready record, and asks
 * makeReady once, asynchronously, with an event of the shape its rule delivers: makeReady takes
 * nothing from it but the job id (it describes the job to AWS Backup and reads the job's link).
 *
 * Asked once: the `#ready-asked` item is written after the ask, so a crash in between asks again
 * (makeReady keeps one record per job), while a run that ends in makeReady's on-failure destination
 * is not asked again every 15 minutes (its event is in the dead-letter queue, for an operator).
 */

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { markReadyAsked, readReadyRecord, readyAskedAt } from '../table/ready.js';

/**
 * How long after a job's completion its make-ready may still be running on its own event: Lambda's
 * first attempt and two retries, 15 minutes each at makeReady's timeout, one and two minutes
 * apart (docs/aws-behaviour.md#l-async-retry), with room to spare.
 */
export const READY_GRACE_MS = 60 * 60 * 1000;

/** The job fields the ask carries (makeReady reads the rest from AWS Backup). */
export interface LostJob {
  readonly restoreJobId: string;
  readonly completionDate?: string;
  readonly resourceType?: string;
  readonly createdResourceArn?: string;
}

/** The event makeReady is asked with: its rule's shape, from this pipeline's reconciler. */
export interface ReadyAskEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': 'Restore Job State Change';
  readonly source: 'restore-pipeline.reconciler';
  readonly time: string;
  readonly resources: readonly string[];
  readonly detail: LostJob & { readonly status: 'COMPLETED' };
}

/** Sends `event` to makeReady asynchronously; throws when Lambda does not accept it. */
export type ReadyAsker = (event: ReadyAskEvent) => Promise<void>;

export interface LostReadyDeps {
  readonly ddb: DynamoDBClient;
  readonly table: string;
  readonly ask: ReadyAsker;
  readonly now: () => Date;
}

/** What became of one COMPLETED job of ours. */
export type LostReadyOutcome = 'ready-recorded' | 'ready-too-recent' | 'ready-asked-before' | 'ready-asked';

/** The event for a job (pure). */
export function readyAskEvent(job: LostJob, now: Date): ReadyAskEvent {
  return {
    version: '0',
    id: `reconciler-ready-${job.restoreJobId}`,
    'detail-type': 'Restore Job State Change',
    source: 'restore-pipeline.reconciler',
    time: now.toISOString(),
    resources: [],
    detail: { ...job, status: 'COMPLETED' },
  };
}

/**
 * Asks makeReady for a COMPLETED job of ours whose make-ready has no record `graceMs` after its
 * completion, unless asked before. Errors (a read, the ask, the mark) are thrown: the next run
 * tries again.
 */
export async function askIfReadyLost(
  deps: LostReadyDeps,
  job: LostJob,
  graceMs: number = READY_GRACE_MS,
): Promise<LostReadyOutcome> {
  const now = deps.now();
  const completed = Date.parse(job.completionDate ?? '');
  if (!Number.isFinite(completed) || now.getTime() - completed < graceMs) return 'ready-too-recent';
  if ((await readReadyRecord(deps.ddb, deps.table, job.restoreJobId)) !== undefined) return 'ready-recorded';
  if ((await readyAskedAt(deps.ddb, deps.table, job.restoreJobId)) !== undefined) return 'ready-asked-before';
  await deps.ask(readyAskEvent(job, now));
  await markReadyAsked(deps.ddb, deps.table, job.restoreJobId, now);
  return 'ready-asked';
}
