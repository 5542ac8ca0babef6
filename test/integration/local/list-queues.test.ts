/** The local SQS lists and finds its queues as AWS documents (SQS-LIST-QUEUES). */

import { CreateQueueCommand, GetQueueUrlCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type LocalAws, startLocalAws } from '../../../local/endpoint';
import { defaultSeed } from '../../../local/pipeline';
import { localClientConfig } from '../../../local/setup';

let aws: LocalAws;
let sqs: SQSClient;

beforeAll(async () => {
  aws = await startLocalAws({ seed: defaultSeed() });
  sqs = new SQSClient({ ...localClientConfig(aws.url, 'eu-west-1'), maxAttempts: 1 });
  for (const name of ['restore-requests', 'restore-dead-letters', 'other'])
    await sqs.send(new CreateQueueCommand({ QueueName: name }));
});

afterAll(async () => {
  sqs.destroy();
  await aws.close();
});

describe('ListQueues', () => {
  it('lists every queue, or those whose name begins with the prefix (case-sensitive)', async () => {
    const url = (name: string) => `${aws.url}/123456789012/${name}`;
    expect((await sqs.send(new ListQueuesCommand({}))).QueueUrls).toStrictEqual(
      ['other', 'restore-dead-letters', 'restore-requests'].map(url),
    );
    expect((await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'restore-' }))).QueueUrls).toHaveLength(
      2,
    );
    expect(
      (await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'Restore-' }))).QueueUrls,
    ).toBeUndefined();
  });

  it('pages with MaxResults and NextToken, and refuses a MaxResults outside 1 to 1000', async () => {
    const first = await sqs.send(new ListQueuesCommand({ MaxResults: 2 }));
    expect(first.QueueUrls).toHaveLength(2);
    expect(first.NextToken).toBeDefined();
    const rest = await sqs.send(new ListQueuesCommand({ MaxResults: 2, NextToken: first.NextToken }));
    expect(rest.QueueUrls).toHaveLength(1);
    expect(rest.NextToken).toBeUndefined();
    // Without MaxResults there is no NextToken.
    expect((await sqs.send(new ListQueuesCommand({}))).NextToken).toBeUndefined();
    await expect(sqs.send(new ListQueuesCommand({ MaxResults: 0 }))).rejects.toThrow(/MaxResults/);
  });

  it('finds a queue by name with GetQueueUrl, and raises QueueDoesNotExist for another', async () => {
    const out = await sqs.send(new GetQueueUrlCommand({ QueueName: 'restore-requests' }));
    expect(out.QueueUrl).toBe(`${aws.url}/123456789012/restore-requests`);
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: 'nope' }))).rejects.toMatchObject({
      name: 'QueueDoesNotExist',
    });
  });
});
