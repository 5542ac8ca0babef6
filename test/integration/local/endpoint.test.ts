/** The local endpoint's fidelity: each behaviour the pipeline relies on, through the real SDK clients. */

import { createHash } from 'node:crypto';
import {
  BackupClient,
  DescribeRecoveryPointCommand,
  DescribeRestoreJobCommand,
  GetRecoveryPointRestoreMetadataCommand,
  InvalidParameterValueException,
  ListRecoveryPointsByResourceCommand,
  ListRestoreJobsCommand,
  MissingParameterValueException,
  ResourceNotFoundException,
  ServiceUnavailableException,
  StartRestoreJobCommand,
} from '@aws-sdk/client-backup';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { type LocalAws, startLocalAws } from '../../../local/endpoint';
import { defaultSeed } from '../../../local/pipeline';
import { localClientConfig } from '../../../local/setup';
import { sleep } from '../../../local/time';

const EBS_POINT = 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718';
const VOLUME = 'arn:aws:ec2:eu-west-1:123456789012:volume/vol-0a1b2c3d4e5f60718';

let aws: LocalAws;
let backup: BackupClient;
let sqs: SQSClient;

function clients(maxAttempts = 3) {
  const config = { ...localClientConfig(aws.url, 'eu-west-1'), maxAttempts };
  return { backup: new BackupClient(config), sqs: new SQSClient(config) };
}

beforeEach(async () => {
  const seed = defaultSeed();
  aws = await startLocalAws({ seed: { ...seed, timing: { runningAfterMs: 150, doneAfterMs: 400 } } });
  ({ backup, sqs } = clients());
});

afterEach(async () => {
  backup.destroy();
  sqs.destroy();
  await aws.close();
});

/** The job once it has ended, polled (a fixed sleep is a race on a loaded machine). */
async function jobEnd(RestoreJobId: string) {
  for (;;) {
    const job = await backup.send(new DescribeRestoreJobCommand({ RestoreJobId }));
    if (job.Status === 'COMPLETED' || job.Status === 'FAILED' || job.Status === 'ABORTED') return job;
    await sleep(10);
  }
}

async function rejectionOf(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { attempts?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('local AWS Backup', () => {
  it('starts a job, keeps it, and moves it through PENDING, RUNNING and COMPLETED', async () => {
    // Slower jobs for this test, so a loaded machine still sees each state.
    aws.backup.reseed({ ...defaultSeed(), timing: { runningAfterMs: 400, doneAfterMs: 1_000 } });
    const { RestoreJobId } = await backup.send(
      new StartRestoreJobCommand({
        RecoveryPointArn: EBS_POINT,
        Metadata: { availabilityZone: 'eu-west-1a' },
        ResourceType: 'EBS',
      }),
    );
    expect(RestoreJobId).toMatch(/^[0-9A-F-]{36}$/);
    const first = await backup.send(new DescribeRestoreJobCommand({ RestoreJobId }));
    expect(first).toMatchObject({
      Status: 'PENDING',
      RecoveryPointArn: EBS_POINT,
      SourceResourceArn: VOLUME,
      ResourceType: 'EBS',
    });
    expect(first.CreationDate).toBeInstanceOf(Date);
    // Polled rather than slept: on a loaded machine a fixed sleep can skip RUNNING entirely.
    const seen = ['PENDING'];
    let done = first;
    while (done.Status !== 'COMPLETED' && done.Status !== 'FAILED') {
      await sleep(5);
      done = await backup.send(new DescribeRestoreJobCommand({ RestoreJobId }));
      if (seen.at(-1) !== done.Status) seen.push(done.Status ?? '');
    }
    expect(seen).toStrictEqual(['PENDING', 'RUNNING', 'COMPLETED']);
    expect(done).toMatchObject({ Status: 'COMPLETED', PercentDone: '100.00%' });
    expect(done.CreatedResourceArn).toMatch(/^arn:aws:ec2:eu-west-1:123456789012:volume\//);
    expect(aws.backup.jobs).toHaveLength(1);
  });

  it('ends a job FAILED with the configured message when a failure rule matches', async () => {
    const { RestoreJobId } = await backup.send(
      new StartRestoreJobCommand({
        RecoveryPointArn: EBS_POINT,
        Metadata: { availabilityZone: 'eu-west-1z' },
      }),
    );
    expect(await jobEnd(RestoreJobId ?? '')).toMatchObject({
      Status: 'FAILED',
      StatusMessage: expect.stringContaining('Invalid availability zone'),
    });
  });

  it('answers the same job id for the same IdempotencyToken and starts nothing new', async () => {
    const input = {
      RecoveryPointArn: EBS_POINT,
      Metadata: { availabilityZone: 'eu-west-1a' },
      IdempotencyToken: 'tok',
    };
    const a = await backup.send(new StartRestoreJobCommand(input));
    const b = await backup.send(new StartRestoreJobCommand(input));
    expect(b.RestoreJobId).toBe(a.RestoreJobId);
    expect(aws.backup.jobs).toHaveLength(1);
  });

  it('raises the modelled exceptions: unknown recovery point, missing Metadata, unknown type', async () => {
    const notFound = await rejectionOf(
      backup.send(new StartRestoreJobCommand({ RecoveryPointArn: `${EBS_POINT}0`, Metadata: {} })),
    );
    expect(notFound).toBeInstanceOf(ResourceNotFoundException);
    expect(notFound.$metadata?.attempts).toBe(1);
    const missing = await rejectionOf(
      backup.send(new StartRestoreJobCommand({ RecoveryPointArn: EBS_POINT } as never)),
    );
    expect(missing).toBeInstanceOf(MissingParameterValueException);
    const badType = await rejectionOf(
      backup.send(
        new StartRestoreJobCommand({ RecoveryPointArn: EBS_POINT, Metadata: {}, ResourceType: 'Floppy' }),
      ),
    );
    expect(badType).toBeInstanceOf(InvalidParameterValueException);
    expect(aws.backup.jobs).toHaveLength(0);
  });

  it('lists recovery points by resource in pages, and describes them and their restore metadata', async () => {
    const page1 = await backup.send(
      new ListRecoveryPointsByResourceCommand({ ResourceArn: VOLUME, MaxResults: 1 }),
    );
    expect(page1.RecoveryPoints).toHaveLength(1);
    expect(page1.NextToken).toBeDefined();
    const page2 = await backup.send(
      new ListRecoveryPointsByResourceCommand({
        ResourceArn: VOLUME,
        MaxResults: 1,
        NextToken: page1.NextToken,
      }),
    );
    expect(page2.NextToken).toBeUndefined();
    expect(page2.RecoveryPoints?.[0]?.CreationDate).toBeInstanceOf(Date);
    const described = await backup.send(
      new DescribeRecoveryPointCommand({ BackupVaultName: 'Default', RecoveryPointArn: EBS_POINT }),
    );
    expect(described).toMatchObject({ ResourceArn: VOLUME, ResourceType: 'EBS', Status: 'COMPLETED' });
    const metadata = await backup.send(
      new GetRecoveryPointRestoreMetadataCommand({ BackupVaultName: 'Default', RecoveryPointArn: EBS_POINT }),
    );
    expect(metadata.RestoreMetadata).toMatchObject({ availabilityZone: 'eu-west-1a' });
    expect(
      await rejectionOf(
        backup.send(
          new DescribeRecoveryPointCommand({ BackupVaultName: 'Other', RecoveryPointArn: EBS_POINT }),
        ),
      ),
    ).toBeInstanceOf(ResourceNotFoundException);
  });

  it('lists restore jobs by status', async () => {
    await backup.send(
      new StartRestoreJobCommand({
        RecoveryPointArn: EBS_POINT,
        Metadata: { availabilityZone: 'eu-west-1a' },
      }),
    );
    expect((await backup.send(new ListRestoreJobsCommand({ ByStatus: 'PENDING' }))).RestoreJobs).toHaveLength(
      1,
    );
    expect(
      (await backup.send(new ListRestoreJobsCommand({ ByStatus: 'COMPLETED' }))).RestoreJobs,
    ).toHaveLength(0);
  });
});

describe('local SQS', () => {
  async function queue(name: string, attributes: Record<string, string> = {}) {
    return (
      (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl ?? ''
    );
  }

  it('sends with correct MD5 digests (the SDK checks them), receives, and deletes', async () => {
    const url = await queue('q');
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: 'q' }))).QueueUrl).toBe(url);
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'héllo ✓',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'x' } },
      }),
    );
    expect(sent.MD5OfMessageBody).toBe(createHash('md5').update('héllo ✓').digest('hex'));
    expect(sent.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    const batch = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'a', MessageBody: 'one' },
          { Id: 'b', MessageBody: 'two' },
        ],
      }),
    );
    expect(batch.Successful?.map((s) => s.Id)).toStrictEqual(['a', 'b']);
    const got = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    expect(got.Messages?.map((m) => m.Body)).toStrictEqual(['héllo ✓', 'one', 'two']);
    expect(got.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
    for (const m of got.Messages ?? [])
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    expect(attrs.Attributes?.ApproximateNumberOfMessages).toBe('0');
    expect(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible).toBe('0');
  });

  it('hides a received message for the visibility timeout and counts receives', async () => {
    const url = await queue('v', { VisibilityTimeout: '0.1' });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'm' }));
    const first = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['All'] }),
    );
    expect(first.Messages).toHaveLength(1);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages ?? []).toHaveLength(0);
    await sleep(120);
    const second = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['All'] }),
    );
    expect(second.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: second.Messages?.[0]?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toHaveLength(1);
  });

  it('moves a message to the dead-letter queue after maxReceiveCount receives', async () => {
    const dlq = await queue('dlq');
    const url = await queue('src', {
      VisibilityTimeout: '0',
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: 'arn:aws:sqs:eu-west-1:123456789012:dlq',
        maxReceiveCount: 2,
      }),
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toHaveLength(1);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toHaveLength(1);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages ?? []).toHaveLength(0);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq }))).Messages?.[0]?.Body).toBe('poison');
  });

  it('refuses a message over the queue maximum size, and raises QueueDoesNotExist', async () => {
    const url = await queue('small', { MaximumMessageSize: '1024' });
    const tooBig = await rejectionOf(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(1025) })),
    );
    expect(tooBig.name).toBe('InvalidParameterValue');
    const missing = await rejectionOf(
      sqs.send(new SendMessageCommand({ QueueUrl: `${url}-nope`, MessageBody: 'x' })),
    );
    expect(missing).toBeInstanceOf(QueueDoesNotExist);
  });
});

describe('fault injection', () => {
  it('answers ServiceUnavailableException, which the SDK retries 3 times before raising it', async () => {
    aws.faults.set({ StartRestoreJob: { errorRates: { ServiceUnavailable: 1 } } });
    const error = await rejectionOf(
      backup.send(new StartRestoreJobCommand({ RecoveryPointArn: EBS_POINT, Metadata: {} })),
    );
    expect(error).toBeInstanceOf(ServiceUnavailableException);
    expect(error.$metadata?.attempts).toBe(3);
    expect(aws.faults.counts.StartRestoreJob).toMatchObject({ calls: 3, ServiceUnavailable: 3 });
  });

  it('answers ThrottlingException, retried by the SDK as throttling', async () => {
    aws.faults.set({ StartRestoreJob: { errorRates: { Throttling: 1 } } });
    const error = await rejectionOf(
      backup.send(new StartRestoreJobCommand({ RecoveryPointArn: EBS_POINT, Metadata: {} })),
    );
    expect(error.name).toBe('ThrottlingException');
    expect(error.$metadata?.attempts).toBe(3);
  });

  it('resets connections and drops hung calls; the SDK retries both as network errors', async () => {
    aws.faults.set({
      StartRestoreJob: { errorRates: { ConnectionReset: 1 } },
      DescribeRestoreJob: { errorRates: { Timeout: 1 }, timeoutMs: 30 },
    });
    const reset = await rejectionOf(
      backup.send(new StartRestoreJobCommand({ RecoveryPointArn: EBS_POINT, Metadata: {} })),
    );
    expect(reset.message).toMatch(/socket hang up|ECONNRESET/);
    expect(aws.faults.counts.StartRestoreJob?.ConnectionReset).toBe(3);
    await rejectionOf(backup.send(new DescribeRestoreJobCommand({ RestoreJobId: 'x' })));
    expect(aws.faults.counts.DescribeRestoreJob?.Timeout).toBe(3);
  });

  it('throttles above the rate limit and adds latency', async () => {
    const single = clients(1).backup;
    aws.faults.set({ StartRestoreJob: { rateLimitPerSecond: 5, latencyMs: 20 } });
    const started = Date.now();
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        single.send(
          new StartRestoreJobCommand({
            RecoveryPointArn: EBS_POINT,
            Metadata: { availabilityZone: 'eu-west-1a' },
            IdempotencyToken: `t${i}`,
          }),
        ),
      ),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(20);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(
      results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.name),
    ).toStrictEqual(Array(3).fill('ThrottlingException'));
    single.destroy();
  });

  it('injects faults on one queue only', async () => {
    const a = await sqs.send(new CreateQueueCommand({ QueueName: 'a' }));
    const b = await sqs.send(new CreateQueueCommand({ QueueName: 'b' }));
    aws.faults.set({ 'SendMessage:b': { errorRates: { ServiceUnavailable: 1 } } });
    await sqs.send(new SendMessageCommand({ QueueUrl: a.QueueUrl, MessageBody: 'ok' }));
    const error = await rejectionOf(
      sqs.send(new SendMessageCommand({ QueueUrl: b.QueueUrl, MessageBody: 'x' })),
    );
    expect(error.name).toBe('ServiceUnavailable');
  });

  it('carries out a call whose answer it then loses: the SDK retries, and the token prevents a second job', async () => {
    aws.faults.set({ StartRestoreJob: { errorRates: { LostResponse: 1 } } });
    const lost = await rejectionOf(
      backup.send(
        new StartRestoreJobCommand({
          RecoveryPointArn: EBS_POINT,
          Metadata: { availabilityZone: 'eu-west-1a' },
          IdempotencyToken: 'once',
        }),
      ),
    );
    expect(lost.message).toMatch(/socket hang up|ECONNRESET/);
    expect(aws.backup.jobs).toHaveLength(1);
    aws.faults.set({});
    const again = await backup.send(
      new StartRestoreJobCommand({
        RecoveryPointArn: EBS_POINT,
        Metadata: { availabilityZone: 'eu-west-1a' },
        IdempotencyToken: 'once',
      }),
    );
    expect(again.RestoreJobId).toBe(aws.backup.jobs[0]?.RestoreJobId);
    expect(aws.backup.jobs).toHaveLength(1);
  });
});
