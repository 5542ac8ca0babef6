/** The budget item's store builds its DynamoDB client on the first call, never at cold start. */

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoBudgetStore } from '../../src/pacing/store';

it('builds the client given as a function on the first read or write, once', async () => {
  const sent: string[] = [];
  const client = {
    send: async (command: { constructor: { name: string } }) => {
      sent.push(command.constructor.name);
      return {};
    },
  } as unknown as DynamoDBClient;
  const build = jest.fn(() => client);
  const store = dynamoBudgetStore(build, 'jobs');
  expect(build).not.toHaveBeenCalled();
  await expect(store.read()).resolves.toBeUndefined();
  await expect(store.write({ version: 1, state: '{"r":[]}' })).resolves.toBe(true);
  expect(build).toHaveBeenCalledTimes(1);
  expect(sent).toStrictEqual(['GetItemCommand', 'PutItemCommand']);
});
