/**
 * What a local run sets up on the local endpoint before the functions use it: SDK client settings,
 * the job-link table, the validator's table and queues with their clients, and restore jobs
 * started and linked as the pipeline links them. Used by `npm start` and the tests.
 */

import { BackupClient, StartRestoreJobCommand, type StartRestoreJobInput } from '@aws-sdk/client-backup';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EFSClient } from '@aws-sdk/client-efs';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createLinkWriter, inputFingerprint, type JobLink } from '../src/table/links.js';
import { restoreJobsTable, type TableDeclaration } from './job-table.js';
import { LOCAL_STACK } from './settings.js';
import { sleep } from './time.js';

/** Settings for an SDK client of the local endpoint at `url` (the SDK needs credentials; any do). */
export function localClientConfig(url: string, region: string) {
  return { region, endpoint: url, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
}

/**
 * Creates the job table as serverless.yml declares it (local/job-table.ts): CreateTable, then, once
 * the table is ACTIVE (DynamoDB takes writes only then), its TimeToLive.
 */
export async function createRestoreJobsTable(
  ddb: DynamoDBClient,
  tableName: string,
  declaration: TableDeclaration = restoreJobsTable(),
): Promise<void> {
  await ddb.send(new CreateTableCommand({ ...declaration.create, TableName: tableName }));
  for (let waited = 0; ; waited += 10) {
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') break;
    if (waited >= 10_000) throw new Error(`Table ${tableName} is still ${Table?.TableStatus} after 10 s`);
    await sleep(10);
  }
  if (declaration.ttl !== undefined) {
    await ddb.send(
      new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: declaration.ttl }),
    );
  }
}

/** The validator's and the drill cleanup's side of a local endpoint: clients, table and queues. */
export interface ValidationSetup {
  readonly backup: BackupClient;
  readonly ddb: DynamoDBClient;
  readonly sqs: SQSClient;
  /** The clients of the services whose restored resources are checked and deleted. */
  readonly resources: { rds: RDSClient; ec2: EC2Client; efs: EFSClient; s3: S3Client };
  readonly table: string;
  readonly dlqUrl: string;
  readonly validationQueueUrl: string;
  /** Destroys the clients (the endpoint stays up). */
  destroy(): void;
}

/**
 * Builds the clients (one attempt each: a local failure shows at once) and creates the job-link
 * table `restore-jobs` and the queues `restore-dlq` and `restore-validation` on the endpoint at `url`.
 */
export async function setUpValidation(url: string, region: string): Promise<ValidationSetup> {
  const client = { ...localClientConfig(url, region), maxAttempts: 1 };
  const backup = new BackupClient(client);
  const ddb = new DynamoDBClient(client);
  const sqs = new SQSClient(client);
  const resources = {
    rds: new RDSClient(client),
    ec2: new EC2Client(client),
    efs: new EFSClient(client),
    s3: new S3Client(client),
  };
  const destroy = () => {
    for (const c of [backup, ddb, sqs, ...Object.values(resources)]) c.destroy();
  };
  try {
    const table = LOCAL_STACK.table;
    await createRestoreJobsTable(ddb, table);
    const queueUrl = async (name: string) =>
      (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl ?? '';
    const dlqUrl = await queueUrl('restore-dlq');
    const validationQueueUrl = await queueUrl('restore-validation');
    return { backup, ddb, sqs, resources, table, dlqUrl, validationQueueUrl, destroy };
  } catch (error) {
    destroy();
    throw error;
  }
}

/**
 * Starts a restore job of `input` and writes its job link as the pipeline does for the queue
 * request `request` (the message body, kept as the link's original). Returns the job id.
 */
export async function startLinkedRestore(
  setup: Pick<ValidationSetup, 'backup' | 'ddb' | 'table'>,
  request: { RecoveryPointArn: string; ResourceType: string },
  input: StartRestoreJobInput,
  trigger: JobLink['trigger'],
): Promise<string> {
  const { RestoreJobId } = await setup.backup.send(new StartRestoreJobCommand(input));
  const restoreJobId = RestoreJobId ?? '';
  await createLinkWriter(setup.ddb, setup.table, () => new Date()).write({
    restoreJobId,
    original: { trigger: 'sqs', body: JSON.stringify(request) },
    trigger,
    redriveCount: 0,
    recoveryPointArn: request.RecoveryPointArn,
    resourceType: request.ResourceType,
    startedAt: new Date().toISOString(),
    fingerprint: inputFingerprint(input),
  });
  return restoreJobId;
}
