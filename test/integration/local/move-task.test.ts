/**
 * The local SQS message move task (StartMessageMoveTask, ListMessageMoveTasks,
 * CancelMessageMoveTask) through the real SDK client, and the redrive of this pipeline's own dead
 * letters with the request queue as DestinationArn: what should be restored is
 * restored once.
 */

import {
  CancelMessageMoveTaskCommand,
  CreateQueueCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { ACCOUNT, type LocalPipeline, REGION } from '../../../local/pipeline';
import { sleep } from '../../../local/time';
import { deadLetters } from '../../helpers/dead-letters';
import { localPipelines } from '../../helpers/pipeline';

const EBS = {
  RecoveryPointArn: 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718',
  ResourceType: 'EBS',
  Metadata: { availabilityZone: 'eu-west-1a' },
};
const FAILS_LATER = { ...EBS, Metadata: { availabilityZone: 'eu-west-1z' } };
const ROGUE_ROLE = { ...EBS, IamRoleArn: `arn:aws:iam::${ACCOUNT}:role/Admin` };
const arn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const DLQ = arn('restore-dead-letters');
const REQUESTS = arn('restore-requests');

const start = localPipelines(() => ({
  visibilityTimeoutS: 2,
  maxReceiveCount: 3,
  asyncRetryDelaysMs: [20, 40],
  jobEvents: { lossRate: 0, duplicateRate: 0, maxDelayMs: 0 },
}));

async function finished(p: LocalPipeline, sourceArn = DLQ): Promise<ListMessageMoveTasksResultEntry> {
  for (let i = 0; i < 200; i++) {
    const out = await p.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn }));
    const task = out.Results?.[0];
    if (task !== undefined && task.Status !== 'RUNNING' && task.Status !== 'CANCELLING') return task;
    await sleep(25);
  }
  throw new Error('the move task did not finish');
}

describe('StartMessageMoveTask as AWS documents it', () => {
  it("redrives the pipeline's own dead letters to the request queue: the failed job is restored once, the refused request comes back refused", async () => {
    const p = await start();
    await p.submit(FAILS_LATER);
    await p.submit(ROGUE_ROLE);
    await p.runUntilIdle();
    expect(
      deadLetters(p)
        .map((l) => l.failure)
        .sort(),
    ).toStrictEqual(['rejected', 'restore-job-failed']);
    // A lost answer on the dead-letter send leaves the same letter twice: the redrive moves both.
    const failed = p.deadLetters().find((m) => m.body.includes('"restore-job-failed"'));
    await p.sqs.send(new SendMessageCommand({ QueueUrl: p.deadLetterQueueUrl, MessageBody: failed?.body }));
    p.aws.backup.clearFailureRules();

    const { TaskHandle } = await p.sqs.send(
      new StartMessageMoveTaskCommand({ SourceArn: DLQ, DestinationArn: REQUESTS }),
    );
    expect(TaskHandle).toEqual(expect.any(String));
    const task = await finished(p);
    expect(task).toMatchObject({
      TaskHandle,
      Status: 'COMPLETED',
      SourceArn: DLQ,
      DestinationArn: REQUESTS,
      ApproximateNumberOfMessagesMoved: 3,
      ApproximateNumberOfMessagesToMove: 3,
    });
    expect(task.FailureReason).toBeUndefined();
    await p.runUntilIdle();

    // One new job for the failed one (two copies of its letter, one restore), none for the refused.
    expect(p.aws.backup.jobs.map((j) => [j.Status, j.Metadata.availabilityZone])).toStrictEqual([
      ['FAILED', 'eu-west-1z'],
      ['COMPLETED', 'eu-west-1z'],
    ]);
    // The second copy was recognised by its dead-letter id and ignored; the refused one is back.
    expect(deadLetters(p).map((l) => [l.failure, l.redriveCount, /IamRoleArn/.test(l.reason)])).toStrictEqual(
      [['rejected', 1, true]],
    );
  });

  it('without DestinationArn fails on a message sent to the dead-letter queue directly (CouldNotDetermineMessageSource)', async () => {
    const p = await start();
    await p.submit(ROGUE_ROLE);
    await p.runUntilIdle();
    await p.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: DLQ }));
    const task = await finished(p);
    expect(task).toMatchObject({
      Status: 'FAILED',
      FailureReason: 'CouldNotDetermineMessageSource',
      ApproximateNumberOfMessagesMoved: 0,
    });
    expect(task.DestinationArn).toBeUndefined();
    expect(p.deadLetters()).toHaveLength(1);
  });

  it('without DestinationArn moves a message the redrive policy moved back to its source queue', async () => {
    const p = await start();
    await p.source.stop();
    await p.submit(EBS);
    // Received past maxReceiveCount without being deleted: SQS's redrive policy moves it.
    for (let i = 0; i < 4; i++) {
      p.aws.sqs.ReceiveMessage({ QueueUrl: p.requestQueueUrl, VisibilityTimeout: 0 });
      await sleep(5);
    }
    expect(p.deadLetters()).toMatchObject([{ movedFrom: 'restore-requests' }]);
    await p.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: DLQ, MaxNumberOfMessagesPerSecond: 1 }));
    expect(await finished(p)).toMatchObject({
      Status: 'COMPLETED',
      MaxNumberOfMessagesPerSecond: 1,
      ApproximateNumberOfMessagesMoved: 1,
    });
    expect(p.deadLetters()).toStrictEqual([]);
    expect(p.aws.sqs.queues.get('restore-requests')?.messages.map((m) => m.ReceiveCount)).toStrictEqual([0]);
  });

  it('refuses a source that is no dead-letter queue, a second active task, and a rate above 500; cancels a running one', async () => {
    const p = await start();
    await p.sqs.send(new CreateQueueCommand({ QueueName: 'plain' }));
    await expect(
      p.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: REQUESTS, DestinationArn: arn('plain') })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(
      p.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arn('no-such-queue') })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(
      p.sqs.send(
        new StartMessageMoveTaskCommand({
          SourceArn: DLQ,
          DestinationArn: REQUESTS,
          MaxNumberOfMessagesPerSecond: 501,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });

    await p.source.stop();
    for (let i = 0; i < 5; i++)
      await p.sqs.send(
        new SendMessageCommand({ QueueUrl: p.deadLetterQueueUrl, MessageBody: `letter ${i}` }),
      );
    const { TaskHandle } = await p.sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: DLQ,
        DestinationArn: arn('plain'),
        MaxNumberOfMessagesPerSecond: 2,
      }),
    );
    await expect(
      p.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: DLQ, DestinationArn: arn('plain') })),
    ).rejects.toThrow(/Only one active task/);
    const cancelled = await p.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle }));
    expect(cancelled.ApproximateNumberOfMessagesMoved).toBeLessThan(5);
    const task = await finished(p);
    expect(task.Status).toBe('CANCELLED');
    // What moved stays moved; the rest stays in the dead-letter queue.
    const moved = p.aws.sqs.queues.get('plain')?.messages.length ?? 0;
    expect(moved).toBe(task.ApproximateNumberOfMessagesMoved);
    expect(p.deadLetters()).toHaveLength(5 - moved);
    await expect(p.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle }))).rejects.toMatchObject({
      name: 'UnsupportedOperation',
    });
    const history = await p.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: DLQ, MaxResults: 10 }));
    expect(history.Results?.map((t) => t.Status)).toStrictEqual(['CANCELLED']);
  });
});

describe('the move task in the query protocol (older CLIs and SDKs)', () => {
  it('starts and lists a task with form parameters and XML answers', async () => {
    const p = await start();
    await p.submit(ROGUE_ROLE);
    await p.runUntilIdle();
    const call = async (params: Record<string, string>) => {
      const res = await fetch(`${p.aws.url}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ Version: '2012-11-05', ...params }).toString(),
      });
      return { status: res.status, text: await res.text() };
    };
    const started = await call({
      Action: 'StartMessageMoveTask',
      SourceArn: DLQ,
      DestinationArn: REQUESTS,
      MaxNumberOfMessagesPerSecond: '50',
    });
    expect(started.status).toBe(200);
    expect(started.text).toMatch(
      /<StartMessageMoveTaskResult><TaskHandle>[^<]+<\/TaskHandle><\/StartMessageMoveTaskResult>/,
    );
    await finished(p);
    const listed = await call({ Action: 'ListMessageMoveTasks', SourceArn: DLQ, MaxResults: '10' });
    expect(listed.text).toMatch(
      /<ListMessageMoveTasksResult><ListMessageMoveTasksResultEntry><TaskHandle>[^<]+<\/TaskHandle><Status>COMPLETED<\/Status>/,
    );
    expect(listed.text).toContain('<MaxNumberOfMessagesPerSecond>50</MaxNumberOfMessagesPerSecond>');
    const refused = await call({ Action: 'StartMessageMoveTask', SourceArn: REQUESTS });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('<Code>InvalidParameterValue</Code>');
  });
});
