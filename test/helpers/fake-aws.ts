/**
 * In-process fakes of the job table and of AWS Backup, for unit tests with no sockets: the job
 * table is local/'s DynamoDB (its condition checks and updates) answering through a client-shaped
 * `send`, with faults (the table down, or a share of PutItem answers lost after the write); Backup
 * keeps restore jobs by idempotency token and lists them by resource.
 */

import type { BackupClient } from '@aws-sdk/client-backup';
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  InternalServerError,
} from '@aws-sdk/client-dynamodb';
import { LocalDynamoDb } from '../../local/dynamodb-service';

/** How the fake table misbehaves. */
export interface TableFaults {
  /** Every call fails (HTTP 500). */
  down?: boolean;
  /** Decides, per PutItem, whether its answer is lost after the write happened. */
  losePutAnswer?: () => boolean;
}

/** A job table in memory, behind a DynamoDBClient-shaped object. */
export function fakeJobTable(table: string, faults: TableFaults = {}) {
  const db = new LocalDynamoDb();
  db.CreateTable({ TableName: table, KeySchema: [{ AttributeName: 'restoreJobId', KeyType: 'HASH' }] });
  const serverError = () =>
    new InternalServerError({ message: 'injected', $metadata: { httpStatusCode: 500 } });
  const calls: string[] = [];
  const client = {
    faults,
    db,
    calls,
    async send(command: { constructor: { name: string }; input: unknown }) {
      // Every call yields, as a network call would: concurrent records interleave.
      await new Promise((resolve) => setImmediate(resolve));
      const op = command.constructor.name.replace(/Command$/, '');
      calls.push(op);
      if (faults.down) throw serverError();
      const run = (db as unknown as Record<string, (body: unknown) => unknown>)[op];
      if (run === undefined) throw new Error(`fake table: ${op} is not modelled`);
      let out: unknown;
      try {
        out = run.call(db, structuredClone(command.input));
      } catch (error) {
        if (String((error as { type?: string }).type ?? '').includes('ConditionalCheckFailed')) {
          throw new ConditionalCheckFailedException({
            message: 'The conditional request failed',
            $metadata: {},
          });
        }
        throw error;
      }
      if (op === 'PutItem' && faults.losePutAnswer?.()) throw serverError();
      return out;
    },
    destroy() {},
  };
  return client as typeof client & DynamoDBClient;
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
