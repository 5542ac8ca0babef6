/**
 * Every function's dependencies come from one builder (src/wiring/), and every SDK client it
 * builds works to the invocation's deadline: a call with too little time left is refused before
 * anything is sent (no socket is opened here).
 */

import { DescribeRestoreJobCommand } from '@aws-sdk/client-backup';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeFileSystemsCommand } from '@aws-sdk/client-efs';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ListTagsForResourceCommand } from '@aws-sdk/client-s3-control';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { ScheduledEvent } from 'aws-lambda';
import { createHandler } from '../../handlers/cleanup-drills';
import { DeadlineExceededError } from '../../src/errors';
import { runInvocation } from '../../src/invocation';
import { DeadlineHttpHandler } from '../../src/runner/deadline';
import { cleanupDepsFromEnv } from '../../src/wiring/cleanup';
import { depsFromEnv, withDrillBucketCheck } from '../../src/wiring/restore';
import { trackDepsFromEnv } from '../../src/wiring/track';
import { validateDepsFromEnv } from '../../src/wiring/validate';
import { DLQ_URL, ROLE } from '../helpers/fixtures';

const ENV = {
  AWS_REGION: 'eu-west-1',
  RESTORE_JOBS_TABLE: 'jobs',
  DEAD_LETTER_QUEUE_URL: DLQ_URL,
  VALIDATION_QUEUE_URL: DLQ_URL,
  RESTORE_ROLE_ARN: ROLE,
  ALERT_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:alerts',
};

/** 200 ms left: less than an attempt needs, for the work and for the dead letter alike. */
const ENDING = { getRemainingTimeInMillis: () => 200 };

const saved = { ...process.env };
beforeAll(() => {
  // Credentials from the environment: nothing is looked up on the network before the refusal.
  process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY = 'secret';
  delete process.env.AWS_PROFILE;
});
afterAll(() => {
  process.env = saved;
});

type Sendable = { send(command: unknown): Promise<unknown>; config: { requestHandler: unknown } };

describe('the drill cleanup', () => {
  it('gives up every call of every client at the deadline, its resource clients included', async () => {
    const deps = cleanupDepsFromEnv(ENV);
    const calls: [string, Sendable, unknown][] = [
      ['dynamodb', deps.ddb, new QueryCommand({ TableName: 'jobs' })],
      ['backup', deps.backup, new DescribeRestoreJobCommand({ RestoreJobId: 'job-1' })],
      ['sqs', await deps.sqs(), new SendMessageCommand({ QueueUrl: DLQ_URL, MessageBody: '{}' })],
      ['rds', deps.clients.rds(), new DescribeDBInstancesCommand({})],
      ['ec2', deps.clients.ec2(), new DescribeInstancesCommand({})],
      ['efs', deps.clients.efs(), new DescribeFileSystemsCommand({})],
      ['s3', deps.clients.s3(), new ListObjectsV2Command({ Bucket: 'drill-bucket' })],
      [
        's3control',
        deps.clients.s3control(),
        new ListTagsForResourceCommand({
          AccountId: '123456789012',
          ResourceArn: 'arn:aws:s3:::drill-bucket',
        }),
      ],
    ];
    const outcomes = await runInvocation(ENDING, [], () =>
      Promise.all(
        calls.map(([name, client, command]) =>
          client.send(command).then(
            () => [name, 'answered'],
            (error: unknown) => [name, error instanceof DeadlineExceededError ? 'gave up' : String(error)],
          ),
        ),
      ),
    );
    expect(outcomes).toStrictEqual(calls.map(([name]) => [name, 'gave up']));
  });

  it('runs in the invocation scope: a run started with too little time gives up at its first call', async () => {
    const handler = createHandler(cleanupDepsFromEnv(ENV));
    await expect(handler({ id: 'run-1' } as ScheduledEvent, ENDING as never)).rejects.toThrow(
      expect.objectContaining({ name: 'DeadlineExceededError' }),
    );
  });
});

describe('every function', () => {
  it('gets SDK clients under the deadline from its builder', async () => {
    const restore = depsFromEnv(ENV, () => undefined);
    const track = trackDepsFromEnv(ENV, () => undefined);
    const validate = validateDepsFromEnv(ENV);
    const clients: unknown[] = [
      restore.backup,
      restore.ddb,
      await restore.sqs(),
      track.backup,
      validate.backup,
      validate.ddb,
      await validate.sqs(),
      validate.lambda(),
      validate.resources.rds(),
      validate.resources.ec2(),
      validate.resources.efs(),
      validate.resources.s3(),
    ];
    expect(
      clients.map((c) => (c as Sendable).config.requestHandler instanceof DeadlineHttpHandler),
    ).toStrictEqual(clients.map(() => true));
    expect(track.alerts).toBeDefined();
  });
});

describe("the restore functions' check before a drill of a bucket", () => {
  it('loads its module and S3 client on first use, under the deadline like every other client', async () => {
    const deps = withDrillBucketCheck(depsFromEnv(ENV, () => undefined));
    const check = deps.drillBucketProblem;
    if (check === undefined) throw new Error('the restore functions check a bucket drill');
    const outcome = await runInvocation(ENDING, [], () =>
      check('invoices-d1a2b3c4', '123456789012').then(
        (problem) => `answered ${String(problem)}`,
        (error: unknown) => (error as { cause?: unknown }).cause ?? error,
      ),
    );
    expect(outcome).toBeInstanceOf(DeadlineExceededError);
  });
});
