/**
 * The drill record, `<jobId>#drill` in the job-link table: what the tracker writes at COMPLETED
 * (DynamoDB only, so the tracker bundles none of the resource clients) and what the cleanup reads
 * and moves on. States: `untagged` (written at COMPLETED) -> `waiting` (the cleanup put the drill
 * tag on the resource) -> `deleted`, `refused`, `failed` or `gone`; `untagged` -> `tag-failed`
 * (the resource could not be tagged: never deleted), `refused` or `gone`.
 */

import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { conditionHolds } from '../aws/conditional.js';
import { classifyAwsError } from '../errors.js';
import { type DrillSpec, drillDueAt } from './drill.js';

type Item = Record<string, AttributeValue>;

/** A failed validation leaves a 0-hour drill's resource this long for inspection. */
export const INSPECT_AFTER_FAILURE_HOURS = 24;
const TTL_DAYS = 30;

/** The drill record's key in the job-link table. */
export const drillKey = (restoreJobId: string) => `${restoreJobId}#drill`;

/** Where a drill is. */
export type DrillState = 'untagged' | 'waiting' | 'deleted' | 'refused' | 'failed' | 'gone' | 'tag-failed';

/** What the drill record says. */
export interface DrillRecord {
  readonly restoreJobId: string;
  readonly resourceType: string;
  readonly createdResourceArn: string;
  readonly deleteAfterHours: number;
  readonly completedAt: string;
  readonly dueAt?: string;
  readonly drillState: DrillState;
  readonly attempts: number;
  readonly cleanupReason?: string;
  readonly taggedAt?: string;
}

/** A drill record from its item (a record without a state predates `untagged`: it was tagged). */
export function recordFromItem(item: Item): DrillRecord {
  return {
    restoreJobId: item.jobId?.S ?? '',
    resourceType: item.resourceType?.S ?? 'Unknown',
    createdResourceArn: item.createdResourceArn?.S ?? '',
    deleteAfterHours: Number(item.deleteAfterHours?.N ?? 0),
    completedAt: item.completedAt?.S ?? '',
    ...(item.dueAt?.S === undefined ? {} : { dueAt: item.dueAt.S }),
    drillState: (item.drillState?.S ?? 'waiting') as DrillState,
    attempts: Number(item.attempts?.N ?? 0),
    ...(item.cleanupReason?.S === undefined ? {} : { cleanupReason: item.cleanupReason.S }),
    ...(item.taggedAt?.S === undefined ? {} : { taggedAt: item.taggedAt.S }),
  };
}

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
 * due. Once: a repeated event (or the reconciler) finds the record and leaves it as it is. The
 * resource is tagged by the cleanup's next run (src/drills/cleanup.ts), not here.
 */
export async function recordCompletedDrill(
  ddb: DynamoDBClient,
  table: string,
  job: CompletedDrill,
  now: Date,
): Promise<boolean> {
  const dueAt = drillDueAt(job.spec, job.completedAt);
  return conditionHolds('PutItem (drill record)', () =>
    ddb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          restoreJobId: { S: drillKey(job.restoreJobId) },
          jobId: { S: job.restoreJobId },
          resourceType: { S: job.resourceType },
          createdResourceArn: { S: job.createdResourceArn },
          deleteAfterHours: { N: String(job.spec.deleteAfterHours) },
          completedAt: { S: job.completedAt },
          ...(dueAt === undefined ? {} : { dueAt: { S: dueAt } }),
          drillState: { S: 'untagged' },
          attempts: { N: '0' },
          expiresAt: { N: String(Math.floor(now.getTime() / 1000) + TTL_DAYS * 86_400) },
        },
        ConditionExpression: 'attribute_not_exists(restoreJobId)',
      }),
    ),
  );
}

/**
 * At the final verdict of a 0-hour drill: due now (pass or unchecked), or after
 * INSPECT_AFTER_FAILURE_HOURS when the validation failed. A drill with hours, or none, is left as it is.
 */
export async function drillValidated(
  ddb: DynamoDBClient,
  table: string,
  restoreJobId: string,
  verdict: 'pass' | 'fail' | 'unchecked',
  validatedAt: string,
): Promise<boolean> {
  const t = Date.parse(validatedAt);
  const due = new Date(verdict === 'fail' ? t + INSPECT_AFTER_FAILURE_HOURS * 3_600_000 : t).toISOString();
  return conditionHolds('UpdateItem (drill record)', () =>
    ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { restoreJobId: { S: drillKey(restoreJobId) } },
        UpdateExpression: 'SET dueAt = :due',
        ConditionExpression:
          'attribute_exists(restoreJobId) AND deleteAfterHours = :zero AND attribute_not_exists(dueAt)',
        ExpressionAttributeValues: { ':due': { S: due }, ':zero': { N: '0' } },
      }),
    ),
  );
}

/** The drill record of a job, for the report and tests. */
export async function findDrillRecord(
  ddb: DynamoDBClient,
  table: string,
  restoreJobId: string,
): Promise<DrillRecord | undefined> {
  try {
    const out = await ddb.send(
      new GetItemCommand({
        TableName: table,
        Key: { restoreJobId: { S: drillKey(restoreJobId) } },
        ConsistentRead: true,
      }),
    );
    return out.Item === undefined ? undefined : recordFromItem(out.Item);
  } catch (error) {
    throw classifyAwsError('GetItem (drill record)', error);
  }
}
