/**
 * The CPU baseline of a started restore: a bare Lambda handler that makes, per record, the calls a
 * correct pipeline cannot do without, with the raw SDK clients: one pacing write (a conditional
 * PutItem), StartRestoreJob, and the job link (a conditional PutItem). No middleware, no
 * validation, no dead letters. Bundled with the same esbuild settings as the deployed functions.
 */

import { BackupClient, StartRestoreJobCommand, type StartRestoreJobInput } from '@aws-sdk/client-backup';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

const backup = new BackupClient({});
const ddb = new DynamoDBClient({});
const table = process.env.RESTORE_JOBS_TABLE ?? '';

const put = (key: string) =>
  ddb.send(
    new PutItemCommand({
      TableName: table,
      Item: { restoreJobId: { S: key } },
      ConditionExpression: 'attribute_not_exists(restoreJobId)',
    }),
  );

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const batchItemFailures: { itemIdentifier: string }[] = [];
  await Promise.all(
    event.Records.map(async (record) => {
      try {
        await put(`pace-baseline#${record.messageId}`);
        const input = {
          IamRoleArn: process.env.RESTORE_ROLE_ARN,
          ...(JSON.parse(record.body) as StartRestoreJobInput),
        };
        const { RestoreJobId } = await backup.send(new StartRestoreJobCommand(input));
        await put(`${RestoreJobId}`);
      } catch {
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }),
  );
  return { batchItemFailures };
};
