/**
 * The drill record, `<jobId>#drill` in the job-link table: what the tracker writes at COMPLETED
 * (DynamoDB only, so the tracker bundles none of the resource clients) and what the cleanup reads
 * and moves on. States: `untagged` (written at COMPLETED) -> `waiting` (the cleanup put the drill
 * tag on the resource) -> `deleted`, `refused`, `failed` or `gone`; `untagged` -> `tag-failed`
 * (the resource could not be tagged: never deleted), `refused` or `gone`; an EC2 drill goes
 * `waiting` -> `terminating` (the instance is terminated, the volumes it left are deleted by the
 * next runs) -> `deleted`. Volumes that could not be deleted are listed in `leftovers`.
 */

import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { conditionHolds, sortedCall } from '../aws/conditional.js';
import { type DrillSpec, drillDueAt, VERDICT_WAIT_HOURS } from './drill.js';

type Item = Record<string, AttributeValue>;

const TTL_DAYS = 30;

/** The drill record's key in the job-link table. */
export const drillKey = (restoreJobId: string) => `${restoreJobId}#drill`;

/** Where a drill is. */
export type DrillState =
  | 'untagged'
  | 'waiting'
  | 'terminating'
  | 'deleted'
  | 'refused'
  | 'failed'
  | 'gone'
  | 'tag-failed';

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
  /** EC2: the volumes attached to the instance when it was tagged (tagged too, deleted with it). */
  readonly volumeIds?: readonly string[];
  /** The resource's creation time (its service's word) when it was tagged: deletion requires the same. */
  readonly resourceCreatedAt?: string;
  /** What the cleanup could not delete, each with its reason. */
  readonly leftovers?: readonly string[];
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
    ...(item.volumeIds?.L === undefined ? {} : { volumeIds: item.volumeIds.L.map((v) => v.S ?? '') }),
    ...(item.resourceCreatedAt?.S === undefined ? {} : { resourceCreatedAt: item.resourceCreatedAt.S }),
    ...(item.leftovers?.L === undefined ? {} : { leftovers: item.leftovers.L.map((v) => v.S ?? '') }),
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
 * due (always: a 0-hour drill after VERDICT_WAIT_HOURS, brought forward by its verdict). Once: a repeated event (or the reconciler) finds the record and leaves it as it is. The
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
  return conditionHolds('UpdateItem (drill record)', () =>
    ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { restoreJobId: { S: drillKey(restoreJobId) } },
        UpdateExpression: 'SET dueAt = :due',
        ConditionExpression:
          'attribute_exists(restoreJobId) AND deleteAfterHours = :zero AND (attribute_not_exists(dueAt) OR dueAt > :due)',
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
  const out = await sortedCall('GetItem (drill record)', () =>
    ddb.send(
      new GetItemCommand({
        TableName: table,
        Key: { restoreJobId: { S: drillKey(restoreJobId) } },
        ConsistentRead: true,
      }),
    ),
  );
  return out.Item === undefined ? undefined : recordFromItem(out.Item);
}

/** Moves a record on from `from` to `state`, with the reason (another run that moved it first wins: false). */
export async function moveDrillRecord(
  ddb: DynamoDBClient,
  table: string,
  record: Pick<DrillRecord, 'restoreJobId'>,
  move: { from: DrillState; state: DrillState; reason: string; now: Date; leftovers?: readonly string[] },
): Promise<boolean> {
  const leftovers = move.leftovers ?? [];
  return conditionHolds('UpdateItem (drill record)', () =>
    ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { restoreJobId: { S: drillKey(record.restoreJobId) } },
        // A record moving to `terminating` starts its attempts afresh: they count the waits for its volumes.
        UpdateExpression: `SET drillState = :state, cleanupReason = :reason, cleanedAt = :now${leftovers.length > 0 ? ', leftovers = :leftovers' : ''}${move.state === 'terminating' ? ', attempts = :zero' : ''}`,
        ConditionExpression: 'drillState = :from',
        ExpressionAttributeValues: {
          ':state': { S: move.state },
          ':reason': { S: move.reason.slice(0, 2000) },
          ':now': { S: move.now.toISOString() },
          ':from': { S: move.from },
          ...(leftovers.length > 0
            ? { ':leftovers': { L: leftovers.map((l) => ({ S: l.slice(0, 500) })) } }
            : {}),
          ...(move.state === 'terminating' ? { ':zero': { N: '0' } } : {}),
        },
      }),
    ),
  );
}

/** The resource carries the drill tag now (EC2: with the volumes recorded): the record waits, attempts from 0. */
export async function markDrillTagged(
  ddb: DynamoDBClient,
  table: string,
  record: DrillRecord,
  now: Date,
  volumeIds: readonly string[] | undefined,
  resourceCreatedAt?: Date,
): Promise<DrillRecord> {
  const taggedAt = now.toISOString();
  const volumes = volumeIds ?? [];
  const created = resourceCreatedAt?.toISOString();
  await conditionHolds('UpdateItem (drill record)', () =>
    ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { restoreJobId: { S: drillKey(record.restoreJobId) } },
        UpdateExpression: `SET drillState = :waiting, taggedAt = :now, attempts = :zero${volumes.length > 0 ? ', volumeIds = :volumes' : ''}${created === undefined ? '' : ', resourceCreatedAt = :created'}`,
        ConditionExpression: 'drillState = :untagged',
        ExpressionAttributeValues: {
          ':waiting': { S: 'waiting' },
          ':untagged': { S: 'untagged' },
          ':now': { S: taggedAt },
          ':zero': { N: '0' },
          ...(volumes.length > 0 ? { ':volumes': { L: volumes.map((v) => ({ S: v })) } } : {}),
          ...(created === undefined ? {} : { ':created': { S: created } }),
        },
      }),
    ),
  );
  return {
    ...record,
    drillState: 'waiting',
    attempts: 0,
    taggedAt,
    ...(volumes.length > 0 ? { volumeIds: volumes } : {}),
    ...(created === undefined ? {} : { resourceCreatedAt: created }),
  };
}

/** One more run that could not finish the drill's step. */
export async function countDrillAttempt(
  ddb: DynamoDBClient,
  table: string,
  record: DrillRecord,
): Promise<void> {
  await sortedCall('UpdateItem (drill record)', () =>
    ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { restoreJobId: { S: drillKey(record.restoreJobId) } },
        UpdateExpression: 'SET attempts = :n',
        ExpressionAttributeValues: { ':n': { N: String(record.attempts + 1) } },
      }),
    ),
  );
}

/**
 * Sets the due time of a record that has none (written before every record had one, or by a
 * writer that lost it): from its completion. False when another writer set one first.
 */
export async function scheduleDrill(
  ddb: DynamoDBClient,
  table: string,
  record: DrillRecord,
  dueAt: string,
): Promise<boolean> {
  return conditionHolds('UpdateItem (drill record)', () =>
    ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { restoreJobId: { S: drillKey(record.restoreJobId) } },
        UpdateExpression: 'SET dueAt = :due',
        ConditionExpression: 'attribute_exists(restoreJobId) AND attribute_not_exists(dueAt)',
        ExpressionAttributeValues: { ':due': { S: dueAt } },
      }),
    ),
  );
}
