/**
 * Where the budget item lives: the restore jobs table, key `pace#budget`. One conditional write
 * per change (the version read must still be the version stored), strongly consistent reads.
 */

import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { conditionHolds, sortedCall } from '../aws/conditional.js';
import type { StoredBudget } from './budget.js';

/** The key of the budget item in the restore jobs table. */
export const BUDGET_KEY = 'pace#budget';
/** How long the item is kept after its last write (TTL `expiresAt`): a day, far past any bound it holds. */
export const BUDGET_TTL_SECONDS = 86_400;

/**
 * How long one read or write of the budget may take before it is given up (and tried again): the
 * pacer serves every caller of its instance through one call at a time, so a call that hangs
 * must not hold them all until the invocation's deadline. DynamoDB answers in milliseconds.
 */
export const BUDGET_CALL_TIMEOUT_MS = 1_000;

/** The budget item's reads and conditional writes. */
export interface BudgetStore {
  /** The item as stored now; undefined when there is none. */
  read(): Promise<StoredBudget | undefined>;
  /** Stores `next` if the item is still at `next.version - 1` (0: absent); false when it was not. */
  write(next: StoredBudget): Promise<boolean>;
}

/**
 * The budget item in a DynamoDB table (hash key `restoreJobId`). `client` may be a function that
 * builds the client: it is then built on the first call (a function that never starts a restore
 * never builds it; none is built at cold start).
 */
export function dynamoBudgetStore(
  client: DynamoDBClient | (() => DynamoDBClient),
  table: string,
  now: () => number = Date.now,
): BudgetStore {
  const key = { restoreJobId: { S: BUDGET_KEY } };
  let built: DynamoDBClient | undefined;
  const ddb = () => {
    built ??= typeof client === 'function' ? client() : client;
    return built;
  };
  return {
    read: async () => {
      const out = await sortedCall('GetItem (pacing budget)', () =>
        ddb().send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }), {
          abortSignal: AbortSignal.timeout(BUDGET_CALL_TIMEOUT_MS),
        }),
      );
      const item = out.Item;
      if (item?.v?.N === undefined || item.s?.S === undefined) return undefined;
      return { version: Number(item.v.N), state: item.s.S };
    },
    write: (next) =>
      conditionHolds('PutItem (pacing budget)', () =>
        ddb().send(
          new PutItemCommand({
            TableName: table,
            Item: {
              ...key,
              v: { N: String(next.version) },
              s: { S: next.state },
              expiresAt: { N: String(Math.floor(now() / 1000) + BUDGET_TTL_SECONDS) },
            },
            ...(next.version === 1
              ? { ConditionExpression: 'attribute_not_exists(restoreJobId)' }
              : {
                  ConditionExpression: '#v = :v',
                  ExpressionAttributeNames: { '#v': 'v' },
                  ExpressionAttributeValues: { ':v': { N: String(next.version - 1) } },
                }),
          }),
          { abortSignal: AbortSignal.timeout(BUDGET_CALL_TIMEOUT_MS) },
        ),
      ),
  };
}
