/**
 * A job's end, item `<restoreJobId>#outcome` (keys.ts): claimed before its dead letter is sent (one
 * dead letter per job, whichever path gets there first), then marked done; or marked at once, as
 * a completion is.
 */

import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { conditionHolds, sortedCall, writtenOrReadBack } from '../aws/conditional.js';
import { getItem } from './items.js';
import { expiresAt, type Item, keyOf, outcomeKey } from './keys.js';
import { LINK_TTL_DAYS } from './links.js';

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
          ...keyOf(outcomeKey(restoreJobId)),
          outcome: { S: outcome },
          state: { S: 'sending' },
          claimedAt: { N: String(now.getTime()) },
          claimant: { S: claimant },
          expiresAt: expiresAt(now, LINK_TTL_DAYS),
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
  const existing = await getItem(ddb, table, outcomeKey(restoreJobId), 'restore job link');
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
        Key: keyOf(outcomeKey(restoreJobId)),
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
        Key: keyOf(outcomeKey(restoreJobId)),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    ),
  );
}

/** The put of a job's outcome, done at once; its condition fails when the job has an outcome. */
function putOutcome(
  ddb: DynamoDBClient,
  table: string,
  restoreJobId: string,
  outcome: string,
  now: Date,
  fields: Readonly<Record<string, string>>,
) {
  const extra: Item = {};
  for (const [name, value] of Object.entries(fields)) extra[name] = { S: value };
  return ddb.send(
    new PutItemCommand({
      TableName: table,
      Item: {
        ...extra,
        ...keyOf(outcomeKey(restoreJobId)),
        outcome: { S: outcome },
        state: { S: 'done' },
        expiresAt: expiresAt(now, LINK_TTL_DAYS),
      },
      ConditionExpression: 'attribute_not_exists(restoreJobId)',
    }),
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
  return conditionHolds('PutItem (restore job outcome)', () =>
    putOutcome(ddb, table, restoreJobId, outcome, now, fields),
  );
}

/**
 * Marks the job COMPLETED; true when this writer's mark is the one stored. The mark carries the
 * writer's token: when its condition fails, or its answer is lost, the item is read back, and a
 * mark with this token is this writer's own (an earlier attempt whose answer was lost), not another
 * delivery's. The caller keeps one token for every attempt of one completion.
 */
export async function markJobCompleted(
  ddb: DynamoDBClient,
  table: string,
  restoreJobId: string,
  completedAt: string,
  writer: string,
  now: Date,
): Promise<boolean> {
  return writtenOrReadBack(
    'PutItem (restore job outcome)',
    () => putOutcome(ddb, table, restoreJobId, 'COMPLETED', now, { completedAt, writer }),
    async () => {
      const item = await getItem(ddb, table, outcomeKey(restoreJobId), 'restore job outcome');
      if (item === undefined) return 'none';
      return (item.writer?.S ?? '') === writer ? 'this' : 'another';
    },
  );
}
