/** The one read of the table: one item by its key, strongly consistent, errors sorted. */

import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { sortedCall } from '../aws/conditional.js';
import { type Item, keyOf } from './keys.js';

/** The item at `key`, or undefined; `what` names the item in a sorted error. */
export async function getItem(
  ddb: DynamoDBClient,
  table: string,
  key: string,
  what: string,
  options?: { readonly abortSignal?: AbortSignal },
): Promise<Item | undefined> {
  const out = await sortedCall(`GetItem (${what})`, () =>
    ddb.send(new GetItemCommand({ TableName: table, Key: keyOf(key), ConsistentRead: true }), options),
  );
  return out?.Item;
}
