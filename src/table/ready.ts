/**
 * The make-ready record of a job: a `<jobId>#ready` item in the restore jobs table, with the state
 * (completed -> ready, or not-ready / skipped), when the job completed and when it became ready,
 * each step's result and the diff of the copy against its source. A ready record is never
 * overwritten: a repeated event that runs the steps again keeps the first time to ready.
 */

import { type AttributeValue, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { conditionHolds } from '../aws/conditional.js';
import type { DiffEntry, StepResult } from '../resources/ready-steps.js';
import { getItem } from './items.js';
import { expiresAt, jobOfReadyKey, keyOf, readyAskedKey, readyKey } from './keys.js';

/** Kept as long as a job link (30 days). */
const TTL_DAYS = 30;

export type ReadyState = 'ready' | 'not-ready' | 'skipped' | 'no-steps';

export interface ReadyRecord {
  readonly restoreJobId: string;
  readonly state: ReadyState;
  readonly resourceType: string;
  readonly restoredArn: string;
  readonly sourceArn?: string;
  readonly completedAt: string;
  /** When the copy became ready (state `ready`). */
  readonly readyAt?: string;
  /** Seconds from completed to ready. */
  readonly readySeconds?: number;
  readonly sourceRead?: boolean;
  readonly steps: readonly StepResult[];
  readonly diff: readonly DiffEntry[];
}

/** The item for a record (pure). */
export function readyItem(r: ReadyRecord, now: Date): Record<string, AttributeValue> {
  const s = (v: string | undefined) => (v === undefined ? {} : { S: v });
  return {
    ...keyOf(readyKey(r.restoreJobId)),
    state: { S: r.state },
    resourceType: { S: r.resourceType },
    restoredArn: { S: r.restoredArn },
    ...(r.sourceArn === undefined ? {} : { sourceArn: s(r.sourceArn) as AttributeValue }),
    completedAt: { S: r.completedAt },
    ...(r.readyAt === undefined ? {} : { readyAt: { S: r.readyAt } }),
    ...(r.readySeconds === undefined ? {} : { readySeconds: { N: String(r.readySeconds) } }),
    ...(r.sourceRead === undefined ? {} : { sourceRead: { BOOL: r.sourceRead } }),
    steps: { S: JSON.stringify(r.steps) },
    diff: { S: JSON.stringify(r.diff) },
    recordedAt: { S: now.toISOString() },
    expiresAt: expiresAt(now, TTL_DAYS),
  };
}

/** The record from its item (pure); undefined for an item that is not one. */
export function readyFromItem(item: Record<string, AttributeValue> | undefined): ReadyRecord | undefined {
  const restoreJobId = jobOfReadyKey(item?.restoreJobId?.S ?? '');
  if (item === undefined || restoreJobId === undefined) return undefined;
  const text = (name: string) => item[name]?.S;
  const parsed = <T>(name: string): T[] => {
    try {
      return JSON.parse(text(name) ?? '[]') as T[];
    } catch {
      return [];
    }
  };
  const seconds = Number(item.readySeconds?.N);
  return {
    restoreJobId,
    state: (text('state') ?? 'not-ready') as ReadyState,
    resourceType: text('resourceType') ?? '',
    restoredArn: text('restoredArn') ?? '',
    ...(text('sourceArn') === undefined ? {} : { sourceArn: text('sourceArn') as string }),
    completedAt: text('completedAt') ?? '',
    ...(text('readyAt') === undefined ? {} : { readyAt: text('readyAt') as string }),
    ...(Number.isFinite(seconds) ? { readySeconds: seconds } : {}),
    ...(item.sourceRead?.BOOL === undefined ? {} : { sourceRead: item.sourceRead.BOOL }),
    steps: parsed<StepResult>('steps'),
    diff: parsed<DiffEntry>('diff'),
  };
}

/** Writes the record; false when a ready record is there already (kept, with its first time to ready). */
export async function writeReadyRecord(
  ddb: DynamoDBClient,
  table: string,
  r: ReadyRecord,
  now: Date,
): Promise<boolean> {
  return conditionHolds('PutItem (make-ready record)', () =>
    ddb.send(
      new PutItemCommand({
        TableName: table,
        Item: readyItem(r, now),
        ConditionExpression: 'attribute_not_exists(restoreJobId) OR #state <> :ready',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':ready': { S: 'ready' } },
      }),
    ),
  );
}

/** The record of a job, or undefined when it has none. */
export async function readReadyRecord(
  ddb: DynamoDBClient,
  table: string,
  restoreJobId: string,
): Promise<ReadyRecord | undefined> {
  return readyFromItem(await getItem(ddb, table, readyKey(restoreJobId), 'make-ready record'));
}

/** When the reconciler asked makeReady for the job (src/ready/lost.ts); undefined when it has not. */
export async function readyAskedAt(
  ddb: DynamoDBClient,
  table: string,
  restoreJobId: string,
): Promise<string | undefined> {
  return askedAtOf(await getItem(ddb, table, readyAskedKey(restoreJobId), 'make-ready ask'));
}

/** The time an ask item records (pure); undefined for no item. */
export const askedAtOf = (item: Record<string, AttributeValue> | undefined): string | undefined =>
  item === undefined ? undefined : (item.askedAt?.S ?? 'an unknown time');

/** Records that the reconciler asked makeReady for the job; false when it was recorded already. */
export async function markReadyAsked(
  ddb: DynamoDBClient,
  table: string,
  restoreJobId: string,
  now: Date,
): Promise<boolean> {
  return conditionHolds('PutItem (make-ready ask)', () =>
    ddb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          ...keyOf(readyAskedKey(restoreJobId)),
          askedAt: { S: now.toISOString() },
          expiresAt: expiresAt(now, TTL_DAYS),
        },
        ConditionExpression: 'attribute_not_exists(restoreJobId)',
      }),
    ),
  );
}
