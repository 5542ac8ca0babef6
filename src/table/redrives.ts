/** A dead letter taken back from the request queue, item `redrive#<claim id>` (keys.ts): one redrive per letter. */

import { createHash } from 'node:crypto';
import { type DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { conditionHolds } from '../aws/conditional.js';
import { getItem } from './items.js';
import { expiresAt, keyOf, redriveKey } from './keys.js';

/** What a claim on a redriven dead letter found. */
export type RedriveClaim =
  | { readonly kind: 'claimed' }
  /** This letter was redriven before (a duplicate letter, or the same letter moved twice). */
  | { readonly kind: 'duplicate'; readonly firstMessageId: string };

/** The dead letter a redrive claim is for: its id and what it carries. */
export interface RedrivenLetter {
  readonly deadLetterId: string;
  readonly original: unknown;
}

/**
 * The key of a letter's redrive claim: an id made of the letter's id and what it carries, so a
 * forged letter that borrows a real letter's id cannot use up that letter's redrive, unless it
 * carries the very same request.
 */
function claimKeyOf(letter: RedrivenLetter): string {
  const id = createHash('sha256')
    .update(`${letter.deadLetterId}\n${JSON.stringify(letter.original)}`)
    .digest('hex')
    .slice(0, 32);
  return redriveKey(id);
}

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
  letter: RedrivenLetter,
  messageId: string,
  now: Date,
): Promise<RedriveClaim> {
  const key = claimKeyOf(letter);
  const claimed = await conditionHolds('PutItem (redrive claim)', () =>
    ddb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          ...keyOf(key),
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
  const existing = await getItem(ddb, table, key, 'redrive claim');
  return { kind: 'duplicate', firstMessageId: existing?.messageId?.S ?? 'unknown' };
}

/** Marks a redrive claim settled: a job or a letter came of it, so another copy is a duplicate. */
export async function settleRedriveClaim(
  ddb: DynamoDBClient,
  table: string,
  letter: RedrivenLetter,
  now: Date,
): Promise<void> {
  await conditionHolds('UpdateItem (redrive settled)', () =>
    ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: keyOf(claimKeyOf(letter)),
        UpdateExpression: 'SET settledAt = :now',
        ConditionExpression: 'attribute_exists(restoreJobId)',
        ExpressionAttributeValues: { ':now': { S: now.toISOString() } },
      }),
    ),
  );
}
