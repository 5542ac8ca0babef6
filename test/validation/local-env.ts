/**
 * A local endpoint with what validation needs (the job-link table, the dead-letter and validation
 * queues), the validator's dependencies built on the real SDK clients pointed at it, and helpers
 * to start a restore, link it as the pipeline does, and deliver validation messages to the handler.
 */

import { BackupClient, DescribeRestoreJobCommand, StartRestoreJobCommand } from '@aws-sdk/client-backup';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EFSClient } from '@aws-sdk/client-efs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import type { BackupSeed } from '../../local/backup-service';
import { type LocalAws, startLocalAws } from '../../local/endpoint';
import { defaultSeed } from '../../local/pipeline';
import type { ResourceTiming } from '../../local/resources/index';
import { createLogger } from '../../src/logger';
import type { DeadLetter } from '../../src/outcome/dead-letters';
import { createLinkWriter, inputFingerprint } from '../../src/outcome/job-link';
import { loadValidationConfig } from '../../src/validation/config';
import type { ValidateDeps } from '../../src/validation/validate';

export const TABLE = 'restore-jobs';
export const ROLE = 'arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole';

/** A running local environment for validation tests. */
export interface ValidationEnv {
  readonly aws: LocalAws;
  readonly deps: ValidateDeps;
  readonly backup: BackupClient;
  readonly sqs: SQSClient;
  readonly dlqUrl: string;
  readonly validationQueueUrl: string;
  /** Log lines and EMF metric lines written by the validator. */
  readonly lines: string[];
  readonly metricLines: string[];
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the environment. */
export async function startValidationEnv(
  options: {
    timing?: ResourceTiming;
    env?: Record<string, string>;
    seed?: (s: BackupSeed) => BackupSeed;
  } = {},
): Promise<ValidationEnv> {
  const base = defaultSeed();
  const seed = (options.seed ?? ((s) => s))({ ...base, timing: { runningAfterMs: 10, doneAfterMs: 30 } });
  const aws = await startLocalAws({
    seed,
    ...(options.timing === undefined ? {} : { resourceTiming: options.timing }),
  });
  const client = {
    region: 'eu-west-1',
    endpoint: aws.url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  };
  const backup = new BackupClient(client);
  const ddb = new DynamoDBClient(client);
  const sqs = new SQSClient(client);
  await ddb.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [{ AttributeName: 'restoreJobId', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'restoreJobId', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'restore-dlq' }))).QueueUrl ?? '';
  const validationQueueUrl =
    (await sqs.send(new CreateQueueCommand({ QueueName: 'restore-validation' }))).QueueUrl ?? '';
  const config = loadValidationConfig({
    AWS_REGION: 'eu-west-1',
    DEAD_LETTER_QUEUE_URL: dlqUrl,
    VALIDATION_QUEUE_URL: validationQueueUrl,
    RESTORE_JOBS_TABLE: TABLE,
    ...options.env,
  });
  const lines: string[] = [];
  const metricLines: string[] = [];
  const clients = {
    rds: new RDSClient(client),
    ec2: new EC2Client(client),
    efs: new EFSClient(client),
    s3: new S3Client(client),
    lambda: new LambdaClient(client),
  };
  const deps: ValidateDeps = {
    config,
    backup,
    ddb,
    sqs: async () => sqs,
    lambda: () => clients.lambda,
    resources: {
      backup,
      ddb,
      rds: () => clients.rds,
      ec2: () => clients.ec2,
      efs: () => clients.efs,
      s3: () => clients.s3,
    },
    logger: createLogger({ sink: (l) => lines.push(l), level: 'debug' }),
    metricsSink: (l) => metricLines.push(l),
    now: () => new Date(),
  };
  return {
    aws,
    deps,
    backup,
    sqs,
    dlqUrl,
    validationQueueUrl,
    lines,
    metricLines,
    close: async () => {
      for (const c of [backup, ddb, sqs, ...Object.values(clients)]) c.destroy();
      await aws.close();
    },
  };
}

/**
 * Starts a restore of `request` (a queue request body), links the job as the pipeline does, and
 * waits for it to COMPLETE. Returns the job id and its created resource.
 */
export async function restoreAndLink(
  env: ValidationEnv,
  request: {
    RecoveryPointArn: string;
    ResourceType: string;
    Metadata: Record<string, string>;
    Validator?: string;
  },
): Promise<{ restoreJobId: string; createdResourceArn: string }> {
  const { Validator: _validator, ...input } = request;
  const { RestoreJobId } = await env.backup.send(new StartRestoreJobCommand({ ...input, IamRoleArn: ROLE }));
  const restoreJobId = RestoreJobId ?? '';
  // The link the pipeline writes for a started job (src/outcome/job-link.ts), through the real client.
  await createLinkWriter(env.deps.ddb, TABLE, () => new Date()).write({
    restoreJobId,
    original: { trigger: 'sqs', body: JSON.stringify(request) },
    trigger: { type: 'sqs', id: 'm-1', attempt: 1 },
    redriveCount: 0,
    recoveryPointArn: request.RecoveryPointArn,
    resourceType: request.ResourceType,
    startedAt: new Date().toISOString(),
    fingerprint: inputFingerprint({ ...input, IamRoleArn: ROLE }),
  });
  for (let i = 0; i < 200; i++) {
    const job = await env.backup.send(new DescribeRestoreJobCommand({ RestoreJobId: restoreJobId }));
    if (job.Status === 'COMPLETED') return { restoreJobId, createdResourceArn: job.CreatedResourceArn ?? '' };
    if (job.Status === 'FAILED' || job.Status === 'ABORTED') throw new Error(`job ${job.Status}`);
    await sleep(10);
  }
  throw new Error('the restore job did not complete');
}

/** Receives what is visible on a queue now (up to 10 messages), as an SQS event, and deletes nothing. */
export async function receive(env: ValidationEnv, queueUrl: string): Promise<SQSEvent> {
  const out = await env.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['All'],
    }),
  );
  return {
    Records: (out.Messages ?? []).map((m) => ({
      messageId: m.MessageId ?? '',
      receiptHandle: m.ReceiptHandle ?? '',
      body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: m.Attributes?.SentTimestamp ?? '0',
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? '0',
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:restore-validation',
      awsRegion: 'eu-west-1',
    })),
  };
}

/** The dead letters on the dead-letter queue (read from the local queue's state, not received). */
export function deadLetters(env: ValidationEnv): DeadLetter[] {
  const q = [...env.aws.sqs.queues.values()].find((x) => x.name === 'restore-dlq');
  return (q?.messages ?? []).map((m) => JSON.parse(m.Body) as DeadLetter);
}

/** The validation queue's messages with the time each becomes visible. */
export function validationMessages(
  env: ValidationEnv,
): { body: Record<string, unknown>; visibleInMs: number }[] {
  const q = [...env.aws.sqs.queues.values()].find((x) => x.name === 'restore-validation');
  return (q?.messages ?? []).map((m) => ({
    body: JSON.parse(m.Body) as Record<string, unknown>,
    visibleInMs: m.visibleAt - Date.now(),
  }));
}

export const context = {
  awsRequestId: 'req-1',
  functionName: 'validateRestore',
  getRemainingTimeInMillis: () => 30_000,
} as never;
