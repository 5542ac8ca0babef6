/**
 * The link from a restore job to the request it came from, kept in a DynamoDB table with a TTL,
 * so that a FAILED or ABORTED event minutes later can be turned back into the original request.
 * Also marks a job's outcome once, so duplicate events produce one dead letter.
 */

import { gunzipSync, gzipSync } from 'node:zlib';
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { OriginalRequest, TriggerInfo } from './dead-letter.js';
import { classifyAwsError } from './errors.js';

/** How long a link is kept: restores of large resources can run for days. */
export const LINK_TTL_DAYS = 30;

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

/** Records that `link.restoreJobId` was started for a request; keeps the first record of a job. */
export async function recordJobLink(
  ddb: DynamoDBClient,
  table: string,
  link: JobLink,
  now: Date,
): Promise<void> {
  try {
    await ddb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          restoreJobId: { S: link.restoreJobId },
          original: { B: gzipSync(JSON.stringify(link.original)) },
          trigger: { S: JSON.stringify(link.trigger) },
          redriveCount: { N: String(link.redriveCount) },
          recoveryPointArn: { S: link.recoveryPointArn },
          ...(link.resourceType === undefined ? {} : { resourceType: { S: link.resourceType } }),
          startedAt: { S: link.startedAt },
          expiresAt: { N: String(Math.floor(now.getTime() / 1000) + LINK_TTL_DAYS * 86_400) },
        },
        // A retry or redrive that got the same job back (same idempotency token) keeps the first link.
        ConditionExpression: 'attribute_not_exists(restoreJobId)',
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return;
    throw classifyAwsError('PutItem (restore job link)', error);
  }
}

/** The link of a job, or undefined for a job this pipeline did not start (or whose link expired). */
export async function findJobLink(
  ddb: DynamoDBClient,
  table: string,
  restoreJobId: string,
): Promise<JobLink | undefined> {
  let item: Record<string, { S?: string; N?: string; B?: Uint8Array }> | undefined;
  try {
    ({ Item: item } = await ddb.send(
      new GetItemCommand({
        TableName: table,
        Key: { restoreJobId: { S: restoreJobId } },
        ConsistentRead: true,
      }),
    ));
  } catch (error) {
    throw classifyAwsError('GetItem (restore job link)', error);
  }
  if (item === undefined) return undefined;
  return {
    restoreJobId,
    original: JSON.parse(gunzipSync(item.original?.B ?? new Uint8Array()).toString()) as OriginalRequest,
    trigger: JSON.parse(item.trigger?.S ?? '{}') as TriggerInfo,
    redriveCount: Number(item.redriveCount?.N ?? 0),
    recoveryPointArn: item.recoveryPointArn?.S ?? '',
    ...(item.resourceType?.S === undefined ? {} : { resourceType: item.resourceType.S }),
    startedAt: item.startedAt?.S ?? '',
    ...(item.outcome?.S === undefined ? {} : { outcome: item.outcome.S }),
  };
}

/** Marks the job's outcome; false when it was already marked (a duplicate event). */
export async function markJobOutcome(
  ddb: DynamoDBClient,
  table: string,
  restoreJobId: string,
  outcome: string,
): Promise<boolean> {
  try {
    await ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { restoreJobId: { S: restoreJobId } },
        UpdateExpression: 'SET outcome = :outcome',
        ConditionExpression: 'attribute_exists(restoreJobId) AND attribute_not_exists(outcome)',
        ExpressionAttributeValues: { ':outcome': { S: outcome } },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw classifyAwsError('UpdateItem (restore job outcome)', error);
  }
}
