/**
 * The link from a restore job to the request it came from, kept in a DynamoDB table with a TTL,
 * so that a FAILED or ABORTED event minutes later can be turned back into the original request.
 *
 * One table holds four kinds of item, told apart by their key:
 * - `<jobId>`: the link, written once with a condition, so a link never overwrites another
 *   (docs/aws-behaviour.md#ddb-batch-no-condition: BatchWriteItem cannot be conditional, so links
 *   are written one by one, and one record's failure stays that record's);
 * - `<jobId>#outcome`: the job's end, claimed before its dead letter is sent (one dead letter per job);
 * - `redrive#<deadLetterId>`: a dead letter taken back from the request queue (one redrive per letter);
 * - `<jobId>#unlinked-drill`: a drill's job whose link could not be written is still a drill;
 * - `active#<resourceArn>`: not here, see resource-claim.ts.
 */

import { createHash, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { StartRestoreJobInput } from '@aws-sdk/client-backup';
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { gunzipBounded, type OriginalRequest, type TriggerInfo } from '../arrival/original.js';
import { conditionHolds, sortedCall } from '../aws/conditional.js';
import { classifyAwsError, InvalidRequestError } from '../errors.js';
import { neededAtOf } from '../validation/timing.js';

/** How long after a job starts its link may still be on its way (written right after StartRestoreJob). */
export const LINK_GRACE_MS = 15 * 60 * 1000;
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
  /**
   * A drill's job only: the recovery of the same resource that pre-empted it (its restore job id).
   * The drill's evidence (validation, timing) is never the recovery's.
   */
  readonly supersededBy?: string;
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

type Item = Record<string, AttributeValue>;

const outcomeKey = (restoreJobId: string) => `${restoreJobId}#outcome`;
const expiresAt = (now: Date, days = LINK_TTL_DAYS) => ({
  N: String(Math.floor(now.getTime() / 1000) + days * 86_400),
});

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
    restoreJobId: { S: link.restoreJobId },
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
    expiresAt: expiresAt(now),
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
    ...(item.supersededBy?.S === undefined ? {} : { supersededBy: item.supersededBy.S }),
  };
}

/**
 * Records on a drill's link that a recovery of the same resource pre-empted it (the recovery's
 * job id, and when). A link that does not exist is left alone (false): only TTL deletes links.
 */
export async function markSuperseded(
  ddb: DynamoDBClient,
  table: string,
  drillJobId: string,
  recoveryJobId: string,
  now: Date,
): Promise<boolean> {
  return conditionHolds('UpdateItem (restore job link)', () =>
    ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { restoreJobId: { S: drillJobId } },
        UpdateExpression: 'SET supersededBy = :by, supersededAt = :at',
        ConditionExpression: 'attribute_exists(restoreJobId)',
        ExpressionAttributeValues: { ':by': { S: recoveryJobId }, ':at': { S: now.toISOString() } },
      }),
    ),
  );
}

const unlinkedDrillKey = (restoreJobId: string) => `${restoreJobId}#unlinked-drill`;

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
        Item: { restoreJobId: { S: unlinkedDrillKey(restoreJobId) }, expiresAt: expiresAt(now) },
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
  return (await getItem(ddb, table, unlinkedDrillKey(restoreJobId))) !== undefined;
}

async function getItem(ddb: DynamoDBClient, table: string, key: string): Promise<Item | undefined> {
  const out = await sortedCall('GetItem (restore job link)', () =>
    ddb.send(
      new GetItemCommand({ TableName: table, Key: { restoreJobId: { S: key } }, ConsistentRead: true }),
    ),
  );
  return out?.Item;
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
  const existingItem = await getItem(ddb, table, restoreJobId);
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
    getItem(ddb, table, restoreJobId),
    getItem(ddb, table, outcomeKey(restoreJobId)),
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

/** What a claim on a job's outcome found. */
export type OutcomeClaim = 'claimed' | 'handled' | 'in-progress';

/** How long a claim to send a job's dead letter holds before another attempt may take it over. */
export const OUTCOME_CLAIM_MS = 90_000;

/**
 * Claims the right to act on a job's end. `claimed`: this caller sends the dead letter (or records the
 * completion) and then calls finishJobOutcome. `handled`: done before. `in-progress`: another caller
 * claimed it moments ago; if it dies, the claim lapses after OUTCOME_CLAIM_MS and a retry takes over.
 * `claimant` names the caller: a claim whose answer was lost (written, then retried into a failed
 * condition) is recognised as its own, instead of blocking its own dead letter until it lapses.
 */
export async function claimJobOutcome(
  ddb: DynamoDBClient,
  table: string,
  restoreJobId: string,
  outcome: string,
  now: Date,
  claimant: string = randomUUID(),
): Promise<OutcomeClaim> {
  const claimed = await conditionHolds('PutItem (restore job outcome)', () =>
    ddb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          restoreJobId: { S: outcomeKey(restoreJobId) },
          outcome: { S: outcome },
          state: { S: 'sending' },
          claimedAt: { N: String(now.getTime()) },
          claimant: { S: claimant },
          expiresAt: expiresAt(now),
        },
        ConditionExpression:
          'attribute_not_exists(restoreJobId) OR (#state = :sending AND claimedAt < :stale)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':sending': { S: 'sending' },
          ':stale': { N: String(now.getTime() - OUTCOME_CLAIM_MS) },
        },
      }),
    ),
  );
  if (claimed) return 'claimed';
  const existing = await getItem(ddb, table, outcomeKey(restoreJobId));
  if (existing?.state?.S !== 'sending') return 'handled';
  return existing.claimant?.S === claimant ? 'claimed' : 'in-progress';
}

/** Gives a claim up at once (its dead letter could not be sent), so a retry can take it. */
export async function releaseJobOutcome(
  ddb: DynamoDBClient,
  table: string,
  restoreJobId: string,
): Promise<void> {
  // Not 'sending' any more (sent, or taken over): nothing to give up.
  await conditionHolds('UpdateItem (restore job outcome)', () =>
    ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { restoreJobId: { S: outcomeKey(restoreJobId) } },
        UpdateExpression: 'SET claimedAt = :never',
        ConditionExpression: '#state = :sending',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':never': { N: '0' }, ':sending': { S: 'sending' } },
      }),
    ),
  );
}

/** Marks a claimed outcome as done (its dead letter sent, or its completion recorded). */
export async function finishJobOutcome(
  ddb: DynamoDBClient,
  table: string,
  restoreJobId: string,
  fields: Readonly<Record<string, string>> = {},
): Promise<void> {
  const names: Record<string, string> = { '#state': 'state' };
  const values: Record<string, AttributeValue> = { ':done': { S: 'done' } };
  const sets = ['#state = :done'];
  Object.entries(fields).forEach(([name, value], i) => {
    names[`#f${i}`] = name;
    values[`:f${i}`] = { S: value };
    sets.push(`#f${i} = :f${i}`);
  });
  await sortedCall('UpdateItem (restore job outcome)', () =>
    ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { restoreJobId: { S: outcomeKey(restoreJobId) } },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    ),
  );
}

/** Marks the job's outcome in one step; false when it was already marked (a duplicate event). */
export async function markJobOutcome(
  ddb: DynamoDBClient,
  table: string,
  restoreJobId: string,
  outcome: string,
  now: Date = new Date(),
  /** Extra string fields kept on the outcome (the tracker's `completedAt`). */
  fields: Readonly<Record<string, string>> = {},
): Promise<boolean> {
  const extra: Item = {};
  for (const [name, value] of Object.entries(fields)) extra[name] = { S: value };
  return conditionHolds('PutItem (restore job outcome)', () =>
    ddb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          ...extra,
          restoreJobId: { S: outcomeKey(restoreJobId) },
          outcome: { S: outcome },
          state: { S: 'done' },
          expiresAt: expiresAt(now),
        },
        ConditionExpression: 'attribute_not_exists(restoreJobId)',
      }),
    ),
  );
}

/** What a claim on a redriven dead letter found. */
export type RedriveClaim =
  | { readonly kind: 'claimed' }
  /** This letter was redriven before (a duplicate letter, or the same letter moved twice). */
  | { readonly kind: 'duplicate'; readonly firstMessageId: string };

/** How long a redrive claim is kept: as long as the dead-letter queue keeps messages (14 days). */
const REDRIVE_TTL_DAYS = 14;

/**
 * Claims a redriven dead letter for one SQS message: the same message may claim again (its own
 * retries), and so may another message carrying the same dead letter id while the claim is not
 * settled (no job and no letter came of it yet: its idempotency token guards against a double
 * start); once settled, another message is a duplicate.
 */
export async function claimRedrive(
  ddb: DynamoDBClient,
  table: string,
  deadLetterId: string,
  messageId: string,
  now: Date,
): Promise<RedriveClaim> {
  const claimed = await conditionHolds('PutItem (redrive claim)', () =>
    ddb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          restoreJobId: { S: `redrive#${deadLetterId}` },
          messageId: { S: messageId },
          claimedAt: { S: now.toISOString() },
          expiresAt: expiresAt(now, REDRIVE_TTL_DAYS),
        },
        ConditionExpression: 'attribute_not_exists(settledAt) OR messageId = :me',
        ExpressionAttributeValues: { ':me': { S: messageId } },
      }),
    ),
  );
  if (claimed) return { kind: 'claimed' };
  const existing = await getItem(ddb, table, `redrive#${deadLetterId}`);
  return { kind: 'duplicate', firstMessageId: existing?.messageId?.S ?? 'unknown' };
}

/** Marks a redrive claim settled: a job or a letter came of it, so another copy is a duplicate. */
export async function settleRedriveClaim(
  ddb: DynamoDBClient,
  table: string,
  deadLetterId: string,
  now: Date,
): Promise<void> {
  await conditionHolds('UpdateItem (redrive settled)', () =>
    ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { restoreJobId: { S: `redrive#${deadLetterId}` } },
        UpdateExpression: 'SET settledAt = :now',
        ConditionExpression: 'attribute_exists(restoreJobId)',
        ExpressionAttributeValues: { ':now': { S: now.toISOString() } },
      }),
    ),
  );
}
