/**
 * A drill's record, as the drills decide it (the item itself is the table's: src/table/drills.ts):
 * written at COMPLETED with its due time (DynamoDB only, so the tracker bundles none of the
 * resource clients), and brought forward by the verdict of a 0-hour drill.
 */

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { bringDrillForward, putDrillRecord } from '../table/drills.js';
import { type DrillSpec, drillDueAt, VERDICT_WAIT_HOURS } from './drill.js';

/** A completed drill, as the tracker hands it to the cleanup. */
export interface CompletedDrill {
  readonly restoreJobId: string;
  readonly resourceType: string;
  readonly createdResourceArn: string;
  readonly completedAt: string;
  readonly spec: DrillSpec;
}

/**
 * At COMPLETED: writes the drill record, `untagged`, with the resource AWS reported and when it is
 * due (always: a 0-hour drill after VERDICT_WAIT_HOURS, brought forward by its verdict). Once: a
 * repeated event (or the reconciler) finds the record and leaves it as it is. The resource is
 * tagged by the cleanup's next run (src/drills/cleanup.ts), not here.
 */
export async function recordCompletedDrill(
  ddb: DynamoDBClient,
  table: string,
  job: CompletedDrill,
  now: Date,
): Promise<boolean> {
  return putDrillRecord(
    ddb,
    table,
    {
      restoreJobId: job.restoreJobId,
      resourceType: job.resourceType,
      createdResourceArn: job.createdResourceArn,
      completedAt: job.completedAt,
      deleteAfterHours: job.spec.deleteAfterHours,
      dueAt: drillDueAt(job.spec, job.completedAt),
    },
    now,
  );
}

/**
 * At the final verdict of a 0-hour drill: due at the verdict (pass or unchecked), or
 * VERDICT_WAIT_HOURS after it when the validation failed (left for inspection), unless the due time
 * written at completion comes first. A drill with hours, or none, is left as it is. Idempotent: a
 * verdict delivered again sets nothing new.
 */
export async function drillValidated(
  ddb: DynamoDBClient,
  table: string,
  restoreJobId: string,
  verdict: 'pass' | 'fail' | 'unchecked',
  validatedAt: string,
): Promise<boolean> {
  const t = Date.parse(validatedAt);
  if (!Number.isFinite(t)) return false;
  const due = new Date(verdict === 'fail' ? t + VERDICT_WAIT_HOURS * 3_600_000 : t).toISOString();
  return bringDrillForward(ddb, table, restoreJobId, due);
}
