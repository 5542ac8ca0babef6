/**
 * The benchmark's baseline: a bare Lambda handler that parses each body and calls StartRestoreJob
 * with the raw SDK client. No middleware, no validation, no dead letters, no links. Bundled with the
 * same esbuild settings as the deployed functions.
 */

import { BackupClient, StartRestoreJobCommand, type StartRestoreJobInput } from '@aws-sdk/client-backup';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

const client = new BackupClient({});

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const batchItemFailures: { itemIdentifier: string }[] = [];
  await Promise.all(
    event.Records.map(async (record) => {
      try {
        await client.send(new StartRestoreJobCommand(JSON.parse(record.body) as StartRestoreJobInput));
      } catch {
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }),
  );
  return { batchItemFailures };
};
