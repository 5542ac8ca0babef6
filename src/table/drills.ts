/**
 * The drill record, `<jobId>#drill` (keys.ts) in the restore jobs table: what the tracker writes at
 * COMPLETED (src/drills/record.ts decides its due time) and what the cleanup reads and moves on. States: `untagged` (written at COMPLETED) -> `waiting` (the cleanup put the drill
 * tag on the resource) -> `deleted`, `refused`, `failed` or `gone`; `untagged` -> `tag-failed`
 * (the resource could not be tagged: never deleted), `refused` or `gone`; an EC2 drill goes
 * `waiting` -> `terminating` (the instance is terminated, the volumes it left are deleted by the
 * next runs) -> `deleted`. Volumes that could not be deleted are listed in `leftovers`.
 */

import {
  type DynamoDBClient,
  PutItemCommand,
  ScanCommand,
  type ScanCommandOutput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { conditionHolds, sortedCall } from '../aws/conditional.js';
import { classifyAwsError } from '../errors.js';
import { getItem } from './items.js';
import { drillKey, expiresAt, type Item, keyOf } from './keys.js';

const TTL_DAYS = 30;

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
  /** Runs that found the resource not ready (NotReadyError), counted apart from the attempts. */
  readonly notReadyRuns?: number;
  readonly cleanupReason?: string;
  readonly taggedAt?: string;
  /** EC2: the volumes attached to the instance when it was tagged (tagged too, deleted with it). */
  readonly volumeIds?: readonly string[];
  /** The resource's creation time (its service's word) when it was tagged: deletion requires the same. */
  readonly resourceCreatedAt?: string;
  /** What the cleanup could not delete, each with its reason. */
  readonly leftovers?: readonly string[];
  /** The reason of a dead letter the record's last move promised and that is not known sent yet. */
  readonly pendingLetter?: string;
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
    ...(item.notReadyRuns?.N === undefined ? {} : { notReadyRuns: Number(item.notReadyRuns.N) }),
    ...(item.cleanupReason?.S === undefined ? {} : { cleanupReason: item.cleanupReason.S }),
    ...(item.taggedAt?.S === undefined ? {} : { taggedAt: item.taggedAt.S }),
    ...(item.volumeIds?.L === undefined ? {} : { volumeIds: item.volumeIds.L.map((v) => v.S ?? '') }),
    ...(item.resourceCreatedAt?.S === undefined ? {} : { resourceCreatedAt: item.resourceCreatedAt.S }),
    ...(item.leftovers?.L === undefined ? {} : { leftovers: item.leftovers.L.map((v) => v.S ?? '') }),
    ...(item.pendingLetter?.S === undefined ? {} : { pendingLetter: item.pendingLetter.S }),
  };
}

/** A completed drill, as the tracker hands it to the cleanup, with when it is due. */
export interface NewDrillRecord {
  readonly restoreJobId: string;
  readonly resourceType: string;
  readonly createdResourceArn: string;
  readonly completedAt: string;
  readonly deleteAfterHours: number;
  readonly dueAt: string | undefined;
}

/**
 * Writes a drill record, `untagged`, once: a repeated event (or the reconciler) finds the record
 * and leaves it as it is (false).
 */
export async function putDrillRecord(
  ddb: DynamoDBClient,
  table: string,
  job: NewDrillRecord,
  now: Date,
): Promise<boolean> {
  return conditionHolds('PutItem (drill record)', () =>
    ddb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          ...keyOf(drillKey(job.restoreJobId)),
          jobId: { S: job.restoreJobId },
          resourceType: { S: job.resourceType },
          createdResourceArn: { S: job.createdResourceArn },
          deleteAfterHours: { N: String(job.deleteAfterHours) },
          completedAt: { S: job.completedAt },
          ...(job.dueAt === undefined ? {} : { dueAt: { S: job.dueAt } }),
          drillState: { S: 'untagged' },
          attempts: { N: '0' },
          expiresAt: expiresAt(now, TTL_DAYS),
        },
        ConditionExpression: 'attribute_not_exists(restoreJobId)',
      }),
    ),
  );
}

/**
 * Brings a 0-hour drill's due time forward to `due`, unless the one it has comes first; a drill
 * with hours, or no record, is left as it is (false). Idempotent.
 */
export async function bringDrillForward(
  ddb: DynamoDBClient,
  table: string,
  restoreJobId: string,
  due: string,
): Promise<boolean> {
  return conditionHolds('UpdateItem (drill record)', () =>
    ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: keyOf(drillKey(restoreJobId)),
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
  const item = await getItem(ddb, table, drillKey(restoreJobId), 'drill record');
  return item === undefined ? undefined : recordFromItem(item);
}

/**
 * Moves a record on from `from` to `state`, with the reason (another run that moved it first wins:
 * false). With `letter`, the move promises a dead letter with that reason (`pendingLetter`, until
 * letterSent): the letter goes out after the move, so a move that fails sends none.
 */
export async function moveDrillRecord(
  ddb: DynamoDBClient,
  table: string,
  record: Pick<DrillRecord, 'restoreJobId'>,
  move: {
    from: DrillState;
    state: DrillState;
    reason: string;
    now: Date;
    leftovers?: readonly string[];
    letter?: string;
  },
): Promise<boolean> {
  const leftovers = move.leftovers ?? [];
  const sets = [
    'drillState = :state',
    'cleanupReason = :reason',
    'cleanedAt = :now',
    ...(leftovers.length > 0 ? ['leftovers = :leftovers'] : []),
    // A record moving to `terminating` starts its attempts afresh: they count the waits for its volumes.
    ...(move.state === 'terminating' ? ['attempts = :zero'] : []),
    ...(move.letter === undefined ? [] : ['pendingLetter = :letter']),
  ];
  return conditionHolds('UpdateItem (drill record)', () =>
    ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: keyOf(drillKey(record.restoreJobId)),
        UpdateExpression: `SET ${sets.join(', ')}`,
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
          ...(move.letter === undefined ? {} : { ':letter': { S: move.letter.slice(0, 2000) } }),
        },
      }),
    ),
  );
}

/** The dead letter a move promised is sent: the record no longer holds it (no-op without a record). */
export async function letterSent(ddb: DynamoDBClient, table: string, restoreJobId: string): Promise<void> {
  await conditionHolds('UpdateItem (drill record)', () =>
    ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: keyOf(drillKey(restoreJobId)),
        UpdateExpression: 'REMOVE pendingLetter',
        ConditionExpression: 'attribute_exists(restoreJobId)',
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
        Key: keyOf(drillKey(record.restoreJobId)),
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
  counter: 'attempts' | 'notReadyRuns' = 'attempts',
): Promise<void> {
  await sortedCall('UpdateItem (drill record)', () =>
    ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: keyOf(drillKey(record.restoreJobId)),
        UpdateExpression: `SET ${counter} = :n`,
        ExpressionAttributeValues: { ':n': { N: String((record[counter] ?? 0) + 1) } },
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
        Key: keyOf(drillKey(record.restoreJobId)),
        UpdateExpression: 'SET dueAt = :due',
        ConditionExpression: 'attribute_exists(restoreJobId) AND attribute_not_exists(dueAt)',
        ExpressionAttributeValues: { ':due': { S: dueAt } },
      }),
    ),
  );
}

/**
 * Every open drill record at `now`: untagged ones (whether due or not), EC2 drills terminating,
 * waiting ones that are due, waiting ones with no due time, and ended ones whose dead letter is not
 * known sent (one Scan, every page followed).
 */
export async function openDrills(ddb: DynamoDBClient, table: string, now: Date): Promise<DrillRecord[]> {
  const open: DrillRecord[] = [];
  let start: Item | undefined;
  do {
    let out: ScanCommandOutput;
    try {
      out = await ddb.send(
        new ScanCommand({
          TableName: table,
          FilterExpression:
            'drillState = :untagged OR drillState = :terminating OR (drillState = :waiting AND (attribute_not_exists(dueAt) OR dueAt <= :now)) OR attribute_exists(pendingLetter)',
          ExpressionAttributeValues: {
            ':untagged': { S: 'untagged' },
            ':terminating': { S: 'terminating' },
            ':waiting': { S: 'waiting' },
            ':now': { S: now.toISOString() },
          },
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
    } catch (error) {
      throw classifyAwsError('Scan (open drills)', error);
    }
    for (const item of out.Items ?? []) open.push(recordFromItem(item));
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return open;
}
