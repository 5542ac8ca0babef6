/**
 * claimJobOutcome (one function, SDK mock): a claim whose answer was lost is recognised as the
 * caller's own. The chaos campaign found the tracker ignoring its own claim as "in progress" after
 * a lost PutItem answer, so a failed job was reported only once the claim lapsed (90 s, then the
 * reconciler's next run).
 */

import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { claimJobOutcome } from '../../src/outcome/job-link';

const ddb = mockClient(DynamoDBClient);
afterEach(() => ddb.reset());
afterAll(() => ddb.restore());

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const claimItem = (claimant: string) => ({
  Item: {
    restoreJobId: { S: 'job-1#outcome' },
    state: { S: 'sending' },
    claimedAt: { N: String(Date.now()) },
    claimant: { S: claimant },
  },
});

it('writes the claimant with the claim', async () => {
  ddb.on(PutItemCommand).resolves({});
  const client = new DynamoDBClient({ region: 'eu-west-1' });
  await expect(claimJobOutcome(client, 't', 'job-1', 'FAILED', new Date(), 'me')).resolves.toBe('claimed');
  expect(ddb.commandCalls(PutItemCommand)[0]?.args[0].input.Item?.claimant).toStrictEqual({ S: 'me' });
});

it("takes its own claim back when the put's answer was lost (the retry fails the condition)", async () => {
  ddb.on(PutItemCommand).rejects(conditionFailed());
  ddb.on(GetItemCommand).resolves(claimItem('me'));
  const client = new DynamoDBClient({ region: 'eu-west-1' });
  await expect(claimJobOutcome(client, 't', 'job-1', 'FAILED', new Date(), 'me')).resolves.toBe('claimed');
});

it("leaves another caller's fresh claim alone, and a finished outcome handled", async () => {
  ddb.on(PutItemCommand).rejects(conditionFailed());
  ddb
    .on(GetItemCommand)
    .resolvesOnce(claimItem('someone-else'))
    .resolves({ Item: { state: { S: 'sent' } } });
  const client = new DynamoDBClient({ region: 'eu-west-1' });
  await expect(claimJobOutcome(client, 't', 'job-1', 'FAILED', new Date(), 'me')).resolves.toBe(
    'in-progress',
  );
  await expect(claimJobOutcome(client, 't', 'job-1', 'FAILED', new Date(), 'me')).resolves.toBe('handled');
});
