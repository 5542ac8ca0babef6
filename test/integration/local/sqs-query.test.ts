/** SQS on the local endpoint in both protocols: the query protocol's shapes, and what SQS refuses in either. */

import { InvalidMessageContents, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type LocalAws, startLocalAws } from '../../../local/endpoint';
import { defaultSeed } from '../../../local/pipeline';
import { localClientConfig } from '../../../local/setup';
import { sqsQueryInput, sqsQueryResponse } from '../../../local/sqs-service';

let aws: LocalAws;
let sqs: SQSClient;
let queueUrl: string;

beforeEach(async () => {
  aws = await startLocalAws({ seed: defaultSeed() });
  sqs = new SQSClient(localClientConfig(aws.url, 'eu-west-1'));
  queueUrl = aws.sqs.CreateQueue({ QueueName: 'q' }).QueueUrl;
});

afterEach(async () => {
  sqs.destroy();
  await aws.close();
});

const query = async (params: Record<string, string>) => {
  const res = await fetch(`${aws.url}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: new URLSearchParams({ Version: '2012-11-05', ...params }).toString(),
  });
  return { status: res.status, xml: await res.text() };
};

describe('the query protocol', () => {
  it('reads flattened lists and maps as botocore writes them', () => {
    const form = new URLSearchParams({
      Action: 'SendMessageBatch',
      QueueUrl: 'http://x/123456789012/q',
      'SendMessageBatchRequestEntry.2.Id': 'b',
      'SendMessageBatchRequestEntry.2.MessageBody': 'two',
      'SendMessageBatchRequestEntry.1.Id': 'a',
      'SendMessageBatchRequestEntry.1.MessageBody': 'one',
      'SendMessageBatchRequestEntry.1.MessageAttribute.1.Name': 'origin',
      'SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType': 'String',
      'SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue': 'cli',
      'AttributeName.1': 'All',
      'Attribute.1.Name': 'VisibilityTimeout',
      'Attribute.1.Value': '10',
    });
    expect(sqsQueryInput(form, '/')).toStrictEqual({
      QueueUrl: 'http://x/123456789012/q',
      AttributeNames: ['All'],
      Attributes: { VisibilityTimeout: '10' },
      Entries: [
        {
          Id: 'a',
          MessageBody: 'one',
          MessageAttributes: { origin: { StringValue: 'cli', DataType: 'String' } },
        },
        { Id: 'b', MessageBody: 'two' },
      ],
    });
    // Older SDKs post to the queue's URL and leave QueueUrl out.
    expect(sqsQueryInput(new URLSearchParams({ Action: 'PurgeQueue' }), '/123456789012/q')).toStrictEqual({
      QueueUrl: '/123456789012/q',
    });
  });

  it('writes results as <ActionResponse><ActionResult>, flattened, escaped', () => {
    const xml = sqsQueryResponse('GetQueueAttributes', { Attributes: { Policy: '{"a":"<b>&"}' } });
    expect(xml).toMatch(
      /^<\?xml version="1.0"\?><GetQueueAttributesResponse xmlns="http:\/\/queue.amazonaws.com\/doc\/2012-11-05\/"><GetQueueAttributesResult><Attribute><Name>Policy<\/Name><Value>\{&quot;a&quot;:&quot;&lt;b&gt;&amp;&quot;\}<\/Value><\/Attribute><\/GetQueueAttributesResult><ResponseMetadata><RequestId>/,
    );
    expect(sqsQueryResponse('DeleteMessage', {})).toMatch(
      /^<\?xml version="1.0"\?><DeleteMessageResponse [^>]*><ResponseMetadata>/,
    );
  });

  it('sends, receives and deletes on the wire, with the message attributes', async () => {
    const sent = await query({
      Action: 'SendMessage',
      QueueUrl: queueUrl,
      MessageBody: 'hello <world>',
      'MessageAttribute.1.Name': 'origin',
      'MessageAttribute.1.Value.DataType': 'String',
      'MessageAttribute.1.Value.StringValue': 'cli',
    });
    expect(sent.status).toBe(200);
    expect(sent.xml).toContain('<MD5OfMessageAttributes>');
    const got = await query({
      Action: 'ReceiveMessage',
      QueueUrl: queueUrl,
      'MessageAttributeName.1': 'All',
    });
    expect(got.xml).toContain('<Body>hello &lt;world&gt;</Body>');
    const attribute = got.xml.match(
      /<MessageAttribute><Name>origin<\/Name><Value>(.*?)<\/Value><\/MessageAttribute>/,
    )?.[1];
    expect(attribute).toContain('<StringValue>cli</StringValue>');
    expect(attribute).toContain('<DataType>String</DataType>');
    const handle = got.xml.match(/<ReceiptHandle>([^<]+)</)?.[1] ?? '';
    const deleted = await query({ Action: 'DeleteMessage', QueueUrl: queueUrl, ReceiptHandle: handle });
    expect(deleted.status).toBe(200);
    expect(aws.sqs.queues.get('q')?.messages).toHaveLength(0);
  });
});

describe('what SQS refuses, in either protocol', () => {
  it('refuses a body with characters outside the allowed set', async () => {
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'nul \u0000 here' })),
    ).rejects.toBeInstanceOf(InvalidMessageContents);
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'lone \ud800 surrogate' })),
    ).rejects.toBeInstanceOf(InvalidMessageContents);
    const out = await query({ Action: 'SendMessage', QueueUrl: queueUrl, MessageBody: 'bell \u0007' });
    expect(out.status).toBe(400);
    expect(out.xml).toContain('<Code>InvalidMessageContents</Code>');
    // Tabs, newlines, and characters beyond the BMP are fine.
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'tab\tline\r\n😀' }));
    expect(aws.sqs.queues.get('q')?.messages).toHaveLength(1);
  });
});
