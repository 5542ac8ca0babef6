/**
 * One local pipeline's functions never reach another's endpoint. An invocation still running when
 * its pipeline closes (Lambda would have ended it at its timeout; the local stand-in cannot stop a
 * promise) keeps calling the port it knew. When a later pipeline, in the same test process or
 * another Jest worker, got that port, those calls wrote into its job table: a foreign pacer's
 * `pace#budget` writes there stalled the campaign that owned it. Each pipeline now signs with its
 * own access key, and its endpoint refuses any key it does not know, as AWS refuses an unknown
 * one (InvalidClientTokenId, 403).
 */

import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type LocalPipeline, startLocalPipeline } from '../../../local/pipeline';
import { localClientConfig } from '../../../local/setup';

const REGION = 'eu-west-1';
const open: LocalPipeline[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
});

/** A client signed as `p`'s functions sign, sent to `url`. */
const asFunctionsOf = (p: LocalPipeline, url: string) => ({
  region: REGION,
  endpoint: url,
  maxAttempts: 1,
  credentials: {
    accessKeyId: p.env.AWS_ACCESS_KEY_ID ?? '',
    secretAccessKey: p.env.AWS_SECRET_ACCESS_KEY ?? '',
  },
});

it("refuses a closed pipeline's functions on the port a new pipeline took, and writes nothing of theirs", async () => {
  const first = await startLocalPipeline();
  const port = first.aws.port;
  const firstKey = first.env.AWS_ACCESS_KEY_ID;
  await first.close();
  const second = await startLocalPipeline({ port });
  open.push(second);
  expect(second.env.AWS_ACCESS_KEY_ID).not.toBe(firstKey);
  const table = second.env.RESTORE_JOBS_TABLE ?? '';
  // The first pipeline's budget write, still on its way when it closed.
  const zombie = new DynamoDBClient(asFunctionsOf(first, second.aws.url));
  const write = new PutItemCommand({
    TableName: table,
    Item: { restoreJobId: { S: 'pace#budget' }, v: { N: '1' } },
  });
  await expect(zombie.send(write)).rejects.toMatchObject({
    name: 'InvalidClientTokenId',
    $metadata: { httpStatusCode: 403 },
  });
  const sqs = new SQSClient(asFunctionsOf(first, second.aws.url));
  await expect(
    sqs.send(new SendMessageCommand({ QueueUrl: second.deadLetterQueueUrl, MessageBody: '{}' })),
  ).rejects.toMatchObject({ name: 'InvalidClientTokenId' });
  expect(second.aws.refused.unknownKey).toBe(2);
  const budget = await second.deps.ddb.send(
    new GetItemCommand({
      TableName: table,
      Key: { restoreJobId: { S: 'pace#budget' } },
      ConsistentRead: true,
    }),
  );
  expect(budget.Item).toBeUndefined();
  // Its own functions, and clients signed with the documented local key, are answered.
  const own = new DynamoDBClient(asFunctionsOf(second, second.aws.url));
  await own.send(write);
  const local = new DynamoDBClient(localClientConfig(second.aws.url, REGION));
  expect(
    (await local.send(new GetItemCommand({ TableName: table, Key: { restoreJobId: { S: 'pace#budget' } } })))
      .Item,
  ).toBeDefined();
  for (const c of [zombie, sqs, own, local]) c.destroy();
});
