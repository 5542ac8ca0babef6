/**
 * A local endpoint with what validation needs (the job-link table, the dead-letter and validation
 * queues), the validator's dependencies built on the real SDK clients pointed at it, and helpers
 * to start a restore, link it as the pipeline does, and deliver validation messages to the handler.
 */

import { type BackupClient, DescribeRestoreJobCommand } from '@aws-sdk/client-backup';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { createHandler, type MakeReadyDeps } from '../../../handlers/make-ready';
import type { BackupSeed } from '../../../local/backup-service';
import { type LocalAws, startLocalAws } from '../../../local/endpoint';
import { sqsRecordOf } from '../../../local/event-source';
import { defaultSeed, restoreJobEvent } from '../../../local/pipeline';
import type { ResourceTiming } from '../../../local/resources/index';
import { localRequestSettings } from '../../../local/settings';
import { localClientConfig, setUpValidation, startLinkedRestore } from '../../../local/setup';
import { sleep } from '../../../local/time';
import { loadConfig, loadValidationConfig } from '../../../src/checks/config';
import { createLogger } from '../../../src/logger';
import { createMetrics } from '../../../src/metrics';
import { type ValidateDeps, validateRestore } from '../../../src/validation/validate';

export const TABLE = 'restore-jobs';
export const ROLE = 'arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole';

/** A running local environment for validation tests. */
export interface ValidationEnv {
  readonly aws: LocalAws;
  readonly deps: ValidateDeps;
  readonly backup: BackupClient;
  readonly sqs: SQSClient;
  readonly deadLetterQueueUrl: string;
  readonly validationQueueUrl: string;
  /** Log lines and EMF metric lines written by the validator. */
  readonly lines: string[];
  readonly metricLines: string[];
  close(): Promise<void>;
}

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
  const setup = await setUpValidation(aws.url, 'eu-west-1');
  const { backup, ddb, sqs, validationQueueUrl } = setup;
  const lambda = new LambdaClient({ ...localClientConfig(aws.url, 'eu-west-1'), maxAttempts: 1 });
  const config = loadValidationConfig({
    AWS_REGION: 'eu-west-1',
    DEAD_LETTER_QUEUE_URL: setup.dlqUrl,
    VALIDATION_QUEUE_URL: validationQueueUrl,
    RESTORE_JOBS_TABLE: TABLE,
    ...options.env,
  });
  const lines: string[] = [];
  const metricLines: string[] = [];
  const clients = setup.resources;
  const deps: ValidateDeps = {
    config,
    backup,
    ddb,
    sqs: async () => sqs,
    lambda: () => lambda,
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
    deadLetterQueueUrl: setup.dlqUrl,
    validationQueueUrl,
    lines,
    metricLines,
    close: async () => {
      setup.destroy();
      lambda.destroy();
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
    Ready?: false;
  },
): Promise<{ restoreJobId: string; createdResourceArn: string }> {
  const { Validator: _validator, Ready: _ready, ...input } = request;
  const restoreJobId = await startLinkedRestore(
    { backup: env.backup, ddb: env.deps.ddb, table: TABLE },
    request,
    { ...input, IamRoleArn: ROLE },
    { type: 'sqs', id: 'm-1', attempt: 1 },
  );
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
    Records: (out.Messages ?? []).map((m) =>
      sqsRecordOf(m, 'arn:aws:sqs:eu-west-1:123456789012:restore-validation', 'eu-west-1'),
    ),
  };
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

/** makeReady's dependencies on `env`, its clients the validator's unless given (as the deployed function builds them). */
export function makeReadyDepsOn(
  env: ValidationEnv,
  clients: Partial<Pick<MakeReadyDeps, 'rds' | 'ec2' | 'efs'>> = {},
): MakeReadyDeps {
  const validate = env.deps;
  return {
    config: loadConfig({
      ...localRequestSettings(),
      AWS_REGION: 'eu-west-1',
      DEAD_LETTER_QUEUE_URL: env.deadLetterQueueUrl,
      VALIDATION_QUEUE_URL: env.validationQueueUrl,
      RESTORE_JOBS_TABLE: TABLE,
    }),
    backup: env.backup,
    sqs: async () => env.sqs,
    ddb: validate.ddb,
    rds: validate.resources.rds,
    ec2: validate.resources.ec2,
    efs: validate.resources.efs,
    ...clients,
    logger: createLogger({ sink: () => undefined }),
    metrics: createMetrics(() => undefined),
    now: () => new Date(),
    pollMs: 10,
  };
}

/** One validation of `job`'s copy of `resourceType` (attempt `attempt`), as the validator's queue would ask. */
export const validateOnce = (
  env: ValidationEnv,
  job: { restoreJobId: string; createdResourceArn: string },
  resourceType: string,
  attempt: number,
) =>
  validateRestore(
    env.deps,
    {
      kind: 'restore-validation',
      version: 1,
      restoreJobId: job.restoreJobId,
      resourceType,
      createdResourceArn: job.createdResourceArn,
      requestedAt: new Date().toISOString(),
      attempt,
    },
    createLogger({ sink: () => undefined }),
  );

/** Runs the makeReady handler on the COMPLETED event of local job `restoreJobId`. */
export async function makeReadyOn(env: ValidationEnv, restoreJobId: string, deps: MakeReadyDeps) {
  const local = env.aws.backup.jobs.find((j) => j.RestoreJobId === restoreJobId);
  if (local === undefined) throw new Error('no local job');
  return createHandler(deps)(restoreJobEvent(local, false) as never, undefined as never);
}
