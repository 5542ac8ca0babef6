/**
 * Where the budget lives: the restore jobs table's pacing item (src/table/pace.ts owns its key and
 * its conditional writes).
 */

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readPace, writePace } from '../table/pace.js';
import type { StoredBudget } from './budget.js';

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
  let built: DynamoDBClient | undefined;
  const ddb = () => {
    built ??= typeof client === 'function' ? client() : client;
    return built;
  };
  return {
    read: () => readPace(ddb(), table, BUDGET_CALL_TIMEOUT_MS),
    write: (next) => writePace(ddb(), table, next, now(), BUDGET_CALL_TIMEOUT_MS),
  };
}
