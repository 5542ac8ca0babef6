/**
 * The link from a restore job to the request it came from (item `<restoreJobId>`, keys.ts), kept
 * with a TTL, so that a FAILED or ABORTED event minutes later can be turned back into the original
 * request. Written once with a condition, so a link never overwrites another
 * (docs/aws-behaviour.md#ddb-batch-no-condition: BatchWriteItem cannot be conditional, so links
 * are written one by one, and one record's failure stays that record's). A link is read with its
 * job's end (`<restoreJobId>#outcome`, outcomes.ts).
 */

import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { StartRestoreJobInput } from '@aws-sdk/client-backup';
import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { gunzipBounded, type OriginalRequest, type TriggerInfo } from '../arrival/original.js';
import { conditionHolds, sortedCall } from '../aws/conditional.js';
import { classifyAwsError, InvalidRequestError } from '../errors.js';
import { getItem } from './items.js';
import { expiresAt, type Item, keyOf, linkKey, outcomeKey, unlinkedDrillKey } from './keys.js';

/**
 * Lambda's waits between the three attempts of an asynchronous invocation (EventBridge to an alarm
 * or a job event): one minute, then two (docs/aws-behaviour.md#l-async-retry).
 */
export const ASYNC_RETRY_SPAN_MS = (1 + 2) * 60 * 1000;
/**
 * How long after a job starts its link may still be on its way (written right after StartRestoreJob,
 * or the drill's unlinked record, in the same invocation). No longer than the asynchronous retries:
 * an alarm that waits for a link decides by its last attempt, never runs out of them while waiting.
 */
export const LINK_GRACE_MS = ASYNC_RETRY_SPAN_MS;
/** How long a link is kept: restores of large resources can run for days. */
export const LINK_TTL_DAYS = 30;
/** Originals above this size are stored gzip-compressed. */
const COMPRESS_ABOVE = 64 * 1024;
/** DynamoDB's item limit is 400 KB (docs/aws-behaviour.md#ddb-item-size); keep a margin for the other attributes. */
export const LINK_MAX_BYTES = 380 * 1024;

/** What is kept about a started job. */
export interface JobLink {
  readonly restoreJobId: string;
  readonly original: OriginalRequest;
  readonly trigger: TriggerInfo;
  readonly redriveCount: number;
  readonly recoveryPointArn: string;
  readonly resourceType?: string;
  readonly startedAt: string;
  /** What was asked of AWS (a hash of the StartRestoreJob input without the token). */
  readonly fingerprint: string;
  /** Set once the job's end has been acted on (dead-lettered or reported). */
  readonly outcome?: string;
  /**
   * When the need arose (read, not written: the SQS SentTimestamp kept on the trigger, or the
   * event's time or the alarm's state change in the original).
   */
  readonly neededAt?: string;
  /** When the job was accepted (read, not written: startedAt, taken just before StartRestoreJob answered). */
  readonly acceptedAt?: string;
  /** When the job COMPLETED, as the tracker recorded it on the outcome. */
  readonly completedAt?: string;
}

/** What a link write found. */
export type LinkWriteResult =
  /** The link is new. */
  | { readonly kind: 'written' }
  /** The same restore was linked before (a retry, a duplicate delivery, a lost answer). */
  | { readonly kind: 'same'; readonly existing: JobLink }
  /** Another request with other parameters owns this job: its idempotency token was reused. */
  | { readonly kind: 'conflict'; readonly existing: JobLink };

/** Writes one link; never overwrites a link that exists. */
export interface LinkWriter {
  write(link: JobLink): Promise<LinkWriteResult>;
}

/** When the need arose, from what arrived (pure): an alarm's state change, an SQS sent time, an event's time. */
export function neededAtOf(
  arrival:
    | { readonly trigger: 'sqs'; readonly sentTimestamp?: string }
    | { readonly trigger: 'eventbridge'; readonly event: unknown },
): string | undefined {
  if (arrival.trigger === 'sqs') {
    // SQS attributes.SentTimestamp: epoch milliseconds as a string.
    const t = Number(arrival.sentTimestamp);
    return Number.isFinite(t) && t > 0 ? new Date(t).toISOString() : undefined;
  }
  const e = arrival.event as {
    time?: unknown;
    source?: unknown;
    detail?: { state?: { timestamp?: unknown } };
  } | null;
  if (e === null || typeof e !== 'object') return undefined;
  const alarmTime = e.source === 'aws.cloudwatch' ? e.detail?.state?.timestamp : undefined;
  const candidate =
    typeof alarmTime === 'string' ? alarmTime : typeof e.time === 'string' ? e.time : undefined;
  return candidate !== undefined && Number.isFinite(Date.parse(candidate))
    ? new Date(candidate).toISOString()
    : undefined;
}

/**
 * A hash of what a StartRestoreJob input asks for, without its idempotency token, and of the drill
 * the request asked for (pure): a drill and a recovery of the same point never read as the same
 * request. Without a drill the hash is what it always was, so links written before still match.
 */
export function inputFingerprint(
  input: StartRestoreJobInput,
  drill?: { readonly DeleteAfterHours: number },
): string {
  const metadata = input.Metadata ?? {};
  const canonical = JSON.stringify([
    input.RecoveryPointArn ?? '',
    input.ResourceType ?? '',
    input.IamRoleArn ?? '',
    input.CopySourceTagsToRestoredResource ?? null,
    Object.keys(metadata)
      .sort()
      .map((k) => [k, metadata[k]]),
    ...(drill === undefined ? [] : [{ drill: drill.DeleteAfterHours }]),
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** The size DynamoDB counts for an item: names plus values, in UTF-8 bytes (an upper bound for numbers). */
export function itemBytes(item: Item): number {
  let total = 0;
  for (const [name, value] of Object.entries(item)) {
    total += Buffer.byteLength(name);
    if (value.S !== undefined) total += Buffer.byteLength(value.S);
    else if (value.N !== undefined) total += value.N.length;
    else if (value.B !== undefined) total += value.B.byteLength;
    else total += Buffer.byteLength(JSON.stringify(value));
  }
  return total;
}

/**
 * The DynamoDB item of a link (pure). Throws InvalidRequestError when the request cannot be kept
 * (too large, or not serialisable): the caller builds it before starting the job, so such a request
 * is refused before anything is restored.
 */
export function linkItem(link: JobLink, now: Date): Item {
  let original: string;
  try {
    original = JSON.stringify(link.original);
  } catch (error) {
    throw new InvalidRequestError(
      `The request cannot be recorded (${error instanceof Error ? error.name : 'Error'}): it is nested too deeply or not JSON`,
    );
  }
  const item: Item = {
    ...keyOf(linkKey(link.restoreJobId)),
    ...(original.length > COMPRESS_ABOVE
      ? { originalGzip: { B: gzipSync(original) } }
      : { original: { S: original } }),
    trigger: { S: JSON.stringify(link.trigger) },
    triggerId: { S: link.trigger.id || 'unknown' },
    redriveCount: { N: String(link.redriveCount) },
    recoveryPointArn: { S: link.recoveryPointArn },
    fingerprint: { S: link.fingerprint },
    ...(link.resourceType === undefined ? {} : { resourceType: { S: link.resourceType } }),
    startedAt: { S: link.startedAt },
    expiresAt: expiresAt(now, LINK_TTL_DAYS),
  };
  const size = itemBytes(item);
  if (size > LINK_MAX_BYTES) {
    throw new InvalidRequestError(
      `The request is too large to follow (${size} bytes compressed; at most ${LINK_MAX_BYTES}): keep Metadata to what the restore needs`,
    );
  }
  return item;
}

/** The link kept in an item (pure); throws on an item that is not a link. */
export function linkFromItem(item: Item): JobLink {
  const original =
    item.originalGzip?.B !== undefined ? gunzipBounded(item.originalGzip.B) : (item.original?.S ?? 'null');
  const parsed = JSON.parse(original) as OriginalRequest;
  const trigger = JSON.parse(item.trigger?.S ?? '{}') as TriggerInfo;
  const neededAt = trigger.neededAt ?? (parsed?.trigger === 'eventbridge' ? neededAtOf(parsed) : undefined);
  return {
    restoreJobId: item.restoreJobId?.S ?? '',
    original: parsed,
    trigger,
    ...(neededAt === undefined ? {} : { neededAt }),
    ...(item.startedAt?.S === undefined ? {} : { acceptedAt: item.startedAt.S }),
    redriveCount: Number(item.redriveCount?.N ?? 0),
    recoveryPointArn: item.recoveryPointArn?.S ?? '',
    ...(item.resourceType?.S === undefined ? {} : { resourceType: item.resourceType.S }),
    startedAt: item.startedAt?.S ?? '',
    fingerprint: item.fingerprint?.S ?? '',
  };
}

/**
 * Writes a prepared link item unless a link of that job exists, and says whose it is. A lost answer
 * on the put reads back as `same`, so retrying is always safe.
 */
export async function writeLinkItem(
  ddb: DynamoDBClient,
  table: string,
  item: Item,
  fingerprint: string,
): Promise<LinkWriteResult> {
  const restoreJobId = item.restoreJobId?.S ?? '';
  const written = await conditionHolds('PutItem (restore job link)', () =>
    ddb.send(
      new PutItemCommand({
        TableName: table,
        Item: item,
        ConditionExpression: 'attribute_not_exists(restoreJobId)',
      }),
    ),
  );
  if (written) return { kind: 'written' };
  const existingItem = await getItem(ddb, table, linkKey(restoreJobId), 'restore job link');
  if (existingItem === undefined) {
    // Deleted between the two calls (only TTL deletes links): the put can be tried again.
    throw classifyAwsError(
      'PutItem (restore job link)',
      Object.assign(new Error('the link vanished while it was being written'), { name: 'InternalFailure' }),
    );
  }
  const existing = linkFromItem(existingItem);
  return existing.fingerprint === fingerprint || existing.fingerprint === ''
    ? { kind: 'same', existing }
    : { kind: 'conflict', existing };
}

/** A LinkWriter that writes each link with its own conditional put. */
export function createLinkWriter(ddb: DynamoDBClient, table: string, now: () => Date): LinkWriter {
  return { write: (link) => writeLinkItem(ddb, table, linkItem(link, now()), link.fingerprint) };
}

/** The link of a job, or undefined for a job this pipeline did not start (or whose link expired). */
export async function findJobLink(
  ddb: DynamoDBClient,
  table: string,
  restoreJobId: string,
): Promise<JobLink | undefined> {
  const [item, outcome] = await Promise.all([
    getItem(ddb, table, linkKey(restoreJobId), 'restore job link'),
    getItem(ddb, table, outcomeKey(restoreJobId), 'restore job link'),
  ]);
  if (item === undefined) return undefined;
  const link = linkFromItem(item);
  const state = outcome?.state?.S;
  // An outcome claimed but never finished sending (a crash) does not count as handled.
  const completedAt = outcome?.completedAt?.S;
  const timed = completedAt === undefined ? link : { ...link, completedAt };
  return outcome?.outcome?.S === undefined || state === 'sending'
    ? timed
    : { ...timed, outcome: outcome.outcome.S };
}

/** Records that a started job whose link could not be written is a drill (a recovery pre-empts it). */
export async function markUnlinkedDrill(
  ddb: DynamoDBClient,
  table: string,
  restoreJobId: string,
  now: Date,
): Promise<void> {
  await sortedCall('PutItem (unlinked drill)', () =>
    ddb.send(
      new PutItemCommand({
        TableName: table,
        Item: { ...keyOf(unlinkedDrillKey(restoreJobId)), expiresAt: expiresAt(now, LINK_TTL_DAYS) },
      }),
    ),
  );
}

/** Whether a job with no link was recorded as a drill (markUnlinkedDrill). */
export async function isUnlinkedDrill(
  ddb: DynamoDBClient,
  table: string,
  restoreJobId: string,
): Promise<boolean> {
  return (await getItem(ddb, table, unlinkedDrillKey(restoreJobId), 'unlinked drill')) !== undefined;
}
