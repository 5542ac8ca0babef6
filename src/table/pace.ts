/**
 * The pacing budget, item `pace#budget` (keys.ts): a version and a state, replaced by one
 * conditional write per change (the version read must still be the version stored), read strongly
 * consistent. What the state means is the pacer's (src/pacing/).
 */

import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { conditionHolds } from '../aws/conditional.js';
import { getItem } from './items.js';
import { keyOf, PACE_KEY } from './keys.js';

/** How long the item is kept after its last write (TTL `expiresAt`): a day, far past any bound it holds. */
export const PACE_TTL_SECONDS = 86_400;

/** The budget as stored: a version and the pacer's state. */
export interface PaceSlot {
  readonly version: number;
  readonly state: string;
}

/** Each call is given up after `timeoutMs`. */
const within = (timeoutMs: number) => ({ abortSignal: AbortSignal.timeout(timeoutMs) });

/** The budget as stored now; undefined when there is none. */
export async function readPace(
  ddb: DynamoDBClient,
  table: string,
  timeoutMs: number,
): Promise<PaceSlot | undefined> {
  const item = await getItem(ddb, table, PACE_KEY, 'pacing budget', within(timeoutMs));
  if (item?.v?.N === undefined || item.s?.S === undefined) return undefined;
  return { version: Number(item.v.N), state: item.s.S };
}

/** Stores `next` if the item is still at `next.version - 1` (0: absent); false when it was not. */
export async function writePace(
  ddb: DynamoDBClient,
  table: string,
  next: PaceSlot,
  nowMs: number,
  timeoutMs: number,
): Promise<boolean> {
  return conditionHolds('PutItem (pacing budget)', () =>
    ddb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          ...keyOf(PACE_KEY),
          v: { N: String(next.version) },
          s: { S: next.state },
          expiresAt: { N: String(Math.floor(nowMs / 1000) + PACE_TTL_SECONDS) },
        },
        ...(next.version === 1
          ? { ConditionExpression: 'attribute_not_exists(restoreJobId)' }
          : {
              ConditionExpression: '#v = :v',
              ExpressionAttributeNames: { '#v': 'v' },
              ExpressionAttributeValues: { ':v': { N: String(next.version - 1) } },
            }),
      }),
      within(timeoutMs),
    ),
  );
}
