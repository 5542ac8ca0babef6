/**
 * Fakes of the job table and of AWS Backup for handler tests: the job table is dynalite (the local
 * endpoint's DynamoDB, so its condition checks and updates are DynamoDB's) answering through a
 * client-shaped `send`, with faults (the table down, or a share of PutItem answers lost after the
 * write); Backup keeps restore jobs by idempotency token and lists them by resource, in memory.
 */

import type { BackupClient } from '@aws-sdk/client-backup';
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  DynamoDBServiceException,
  InternalServerError,
} from '@aws-sdk/client-dynamodb';
import { LocalDynamoDb } from '../../local/dynamodb';
import { createRestoreJobsTable } from '../../local/setup';

/** How the fake table misbehaves. */
export interface TableFaults {
  /** Every call fails (HTTP 500). */
  down?: boolean;
  /** Decides, per PutItem, whether its answer is lost after the write happened. */
  losePutAnswer?: () => boolean;
}

/** DynamoDB's error answer as the SDK raises it (the class the SDK picks for a conditional failure). */
function errorOf(body: string, status: number): Error {
  const parsed = JSON.parse(body || '{}') as { __type?: string; message?: string; Message?: string };
  const name =
    String(parsed.__type ?? 'UnknownError')
      .split('#')
      .pop() ?? 'UnknownError';
  const message = parsed.message ?? parsed.Message ?? name;
  const $metadata = { httpStatusCode: status };
  if (name === 'ConditionalCheckFailedException')
    return new ConditionalCheckFailedException({ message, $metadata });
  return new DynamoDBServiceException({
    name,
    message,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata,
  });
}

/** A job table (as serverless.yml declares it) in dynalite, behind a DynamoDBClient-shaped object; `destroy` stops it. */
export async function fakeJobTable(table: string, faults: TableFaults = {}) {
  const db = await LocalDynamoDb.start('eu-west-1', '123456789012');
  const serverError = () =>
    new InternalServerError({ message: 'injected', $metadata: { httpStatusCode: 500 } });
  const calls: string[] = [];
  let made = false; // the faults apply once the table is made
  const client = {
    faults,
    db,
    calls,
    async send(command: { constructor: { name: string }; input: unknown }) {
      const op = command.constructor.name.replace(/Command$/, '');
      calls.push(op);
      if (made && faults.down) throw serverError();
      const reply = await db.invoke(op, command.input as Record<string, unknown>);
      if (reply.status !== 200) throw errorOf(reply.body, reply.status);
      if (made && op === 'PutItem' && faults.losePutAnswer?.()) throw serverError();
      return JSON.parse(reply.body) as unknown;
    },
    destroy() {
      void db.close();
    },
  };
  const ddb = client as typeof client & DynamoDBClient;
  await createRestoreJobsTable(ddb, table);
  made = true;
  calls.length = 0;
  return ddb;
}

/** A restore job the fake Backup started. */
export interface FakeJob {
  readonly RestoreJobId: string;
  readonly token: string;
  readonly resourceArn: string;
  Status: 'PENDING' | 'RUNNING' | 'COMPLETED';
}

/**
 * AWS Backup in memory: one recovery point per resource in vault Default, StartRestoreJob
 * idempotent by token, jobs listed by resource while PENDING or RUNNING.
 */
export function fakeBackup(resourceType: string, metadata: Record<string, string>) {
  const jobs: FakeJob[] = [];
  const pointOf = (resourceArn: string) =>
    `arn:aws:backup:eu-west-1:123456789012:recovery-point:${resourceArn.slice(-8)}`;
  const resourceOf = (pointArn: string) => points.get(pointArn) ?? '';
  const points = new Map<string, string>();
  const client = {
    jobs,
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      await new Promise((resolve) => setImmediate(resolve));
      const input = command.input;
      switch (command.constructor.name) {
        case 'ListRecoveryPointsByBackupVaultCommand': {
          const resourceArn = String(input.ByResourceArn);
          points.set(pointOf(resourceArn), resourceArn);
          return {
            RecoveryPoints: [
              {
                RecoveryPointArn: pointOf(resourceArn),
                BackupVaultName: String(input.BackupVaultName),
                ResourceArn: resourceArn,
                ResourceType: resourceType,
                Status: 'COMPLETED',
                CreationDate: new Date('2026-11-26T09:00:00Z'),
              },
            ],
          };
        }
        case 'GetRecoveryPointRestoreMetadataCommand':
          return { ResourceType: resourceType, RestoreMetadata: { ...metadata } };
        case 'ListRestoreJobsByProtectedResourceCommand':
          return {
            RestoreJobs: jobs
              .filter((j) => j.resourceArn === input.ResourceArn && j.Status === input.ByStatus)
              .map((j) => ({ RestoreJobId: j.RestoreJobId, Status: j.Status })),
          };
        case 'StartRestoreJobCommand': {
          const token = String(input.IdempotencyToken);
          const known = jobs.find((j) => j.token === token);
          if (known !== undefined) return { RestoreJobId: known.RestoreJobId };
          const job: FakeJob = {
            RestoreJobId: `job-${jobs.length + 1}`,
            token,
            resourceArn: resourceOf(String(input.RecoveryPointArn)),
            Status: 'RUNNING',
          };
          jobs.push(job);
          return { RestoreJobId: job.RestoreJobId };
        }
        case 'DescribeRestoreJobCommand': {
          const job = jobs.find((j) => j.RestoreJobId === input.RestoreJobId);
          return job === undefined ? {} : { RestoreJobId: job.RestoreJobId, Status: job.Status };
        }
        default:
          throw new Error(`fake Backup: ${command.constructor.name} is not modelled`);
      }
    },
    destroy() {},
  };
  return client as typeof client & BackupClient;
}
