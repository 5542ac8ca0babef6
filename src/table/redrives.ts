/** A dead letter taken back from the request queue, item `redrive#<deadLetterId>` (keys.ts): one redrive per letter. */

import { type DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { conditionHolds } from '../aws/conditional.js';
import { getItem } from './items.js';
import { expiresAt, keyOf, redriveKey } from './keys.js';

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
          ...keyOf(redriveKey(deadLetterId)),
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
  const existing = await getItem(ddb, table, redriveKey(deadLetterId), 'restore job link');
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
        Key: keyOf(redriveKey(deadLetterId)),
        UpdateExpression: 'SET settledAt = :now',
        ConditionExpression: 'attribute_exists(restoreJobId)',
        ExpressionAttributeValues: { ':now': { S: now.toISOString() } },
      }),
    ),
  );
}
