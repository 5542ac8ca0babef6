/**
 * The link from a restore job to the request it came from, kept in a DynamoDB table with a TTL,
 * so that a FAILED or ABORTED event minutes later can be turned back into the original request.
 * A job's outcome is a second item (`<jobId>#outcome`), written once, so duplicate events produce
 * one dead letter, and a link written again by a retry never erases it.
 *
 * Links are written in batches (BatchWriteItem): the records of an SQS batch that start together
 * share one call instead of one call each.
 */

import { gunzipSync, gzipSync } from 'node:zlib';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import type { OriginalRequest, TriggerInfo } from './dead-letter.js';
import { classifyAwsError, RestorePipelineError } from './errors.js';

/** How long a link is kept: restores of large resources can run for days. */
export const LINK_TTL_DAYS = 30;
/** Originals above this size are stored gzip-compressed (an item holds 400 KB at most). */
const COMPRESS_ABOVE = 64 * 1024;
const BATCH_LIMIT = 25;

/** What is kept about a started job. */
export interface JobLink {
  readonly restoreJobId: string;
  readonly original: OriginalRequest;
  readonly trigger: TriggerInfo;
  readonly redriveCount: number;
  readonly recoveryPointArn: string;
  readonly resourceType?: string;
  readonly startedAt: string;
  /** Set once the job's end has been acted on (dead-lettered or reported). */
  readonly outcome?: string;
}

const outcomeKey = (restoreJobId: string) => `${restoreJobId}#outcome`;
const expiresAt = (now: Date) => ({ N: String(Math.floor(now.getTime() / 1000) + LINK_TTL_DAYS * 86_400) });

/** The DynamoDB item of a link (pure). */
export function linkItem(link: JobLink, now: Date): Record<string, AttributeValue> {
  const original = JSON.stringify(link.original);
  return {
    restoreJobId: { S: link.restoreJobId },
    ...(original.length > COMPRESS_ABOVE
      ? { originalGzip: { B: gzipSync(original) } }
      : { original: { S: original } }),
    trigger: { S: JSON.stringify(link.trigger) },
    redriveCount: { N: String(link.redriveCount) },
    recoveryPointArn: { S: link.recoveryPointArn },
    ...(link.resourceType === undefined ? {} : { resourceType: { S: link.resourceType } }),
    startedAt: { S: link.startedAt },
    expiresAt: expiresAt(now),
  };
}

/** Writes links, following up unprocessed items; throws a retryable error if some stay unwritten. */
export async function recordJobLinks(
  ddb: DynamoDBClient,
  table: string,
  links: readonly JobLink[],
  now: Date,
): Promise<void> {
  for (let start = 0; start < links.length; start += BATCH_LIMIT) {
    let requests: WriteRequest[] = links
      .slice(start, start + BATCH_LIMIT)
      .map((link) => ({ PutRequest: { Item: linkItem(link, now) } }));
    for (let round = 0; requests.length > 0; round++) {
      if (round >= 5) {
        throw new RestorePipelineError(`BatchWriteItem left ${requests.length} restore job links unwritten`, {
          retryable: true,
        });
      }
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** round));
      try {
        const out = await ddb.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
        requests = out.UnprocessedItems?.[table] ?? [];
      } catch (error) {
        throw classifyAwsError('BatchWriteItem (restore job links)', error);
      }
    }
  }
}

/** Collects the links written at about the same time and writes them in one call. */
export interface LinkWriter {
  write(link: JobLink): Promise<void>;
}

/** A LinkWriter that flushes `windowMs` after its first pending link, or at 25 links. */
export function createLinkWriter(
  ddb: DynamoDBClient,
  table: string,
  now: () => Date,
  windowMs = 2,
): LinkWriter {
  let pending: { link: JobLink; resolve: () => void; reject: (error: unknown) => void }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = [];
    recordJobLinks(
      ddb,
      table,
      batch.map((p) => p.link),
      now(),
    ).then(
      () => {
        for (const p of batch) p.resolve();
      },
      (error: unknown) => {
        for (const p of batch) p.reject(error);
      },
    );
  };
  return {
    write: (link) =>
      new Promise<void>((resolve, reject) => {
        pending.push({ link, resolve, reject });
        if (pending.length >= BATCH_LIMIT) flush();
        else timer ??= setTimeout(flush, windowMs);
      }),
  };
}

type Item = Record<string, AttributeValue>;

async function getItem(ddb: DynamoDBClient, table: string, key: string): Promise<Item | undefined> {
  try {
    const out = await ddb.send(
      new GetItemCommand({ TableName: table, Key: { restoreJobId: { S: key } }, ConsistentRead: true }),
    );
    return out.Item;
  } catch (error) {
    throw classifyAwsError('GetItem (restore job link)', error);
  }
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
  const original =
    item.originalGzip?.B !== undefined
      ? gunzipSync(item.originalGzip.B).toString()
      : (item.original?.S ?? 'null');
  return {
    restoreJobId,
    original: JSON.parse(original) as OriginalRequest,
    trigger: JSON.parse(item.trigger?.S ?? '{}') as TriggerInfo,
    redriveCount: Number(item.redriveCount?.N ?? 0),
    recoveryPointArn: item.recoveryPointArn?.S ?? '',
    ...(item.resourceType?.S === undefined ? {} : { resourceType: item.resourceType.S }),
    startedAt: item.startedAt?.S ?? '',
    ...(outcome?.outcome?.S === undefined ? {} : { outcome: outcome.outcome.S }),
  };
}

/** Marks the job's outcome; false when it was already marked (a duplicate event). */
export async function markJobOutcome(
  ddb: DynamoDBClient,
  table: string,
  restoreJobId: string,
  outcome: string,
  now: Date = new Date(),
): Promise<boolean> {
  try {
    await ddb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          restoreJobId: { S: outcomeKey(restoreJobId) },
          outcome: { S: outcome },
          expiresAt: expiresAt(now),
        },
        ConditionExpression: 'attribute_not_exists(restoreJobId)',
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw classifyAwsError('PutItem (restore job outcome)', error);
  }
}
