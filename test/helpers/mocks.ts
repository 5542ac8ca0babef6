/**
 * Mocked SDK clients for handler tests (aws-sdk-client-mock): Backup, SQS, DynamoDB and SNS, with
 * dead letters, job-link writes and alerts succeeding unless a test says otherwise.
 */

import { BackupClient } from '@aws-sdk/client-backup';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { Deps } from '../../src/types';
import { deadLetters } from './dead-letters';
import { REGION, testDeps } from './fixtures';

/** Mocks Backup, SQS, DynamoDB and SNS, and builds handler dependencies that use them. */
export function mockAws(overrides: Partial<Deps> = {}) {
  const backup = mockClient(BackupClient);
  const sqs = mockClient(SQSClient);
  sqs.on(SendMessageCommand).resolves({ MessageId: 'dlq-1' });
  const ddb = mockClient(DynamoDBClient);
  ddb.on(PutItemCommand).resolves({});
  const sns = mockClient(SNSClient);
  sns.on(PublishCommand).resolves({ MessageId: 'alert-1' });
  const deps = testDeps({
    backup: new BackupClient({ region: REGION }),
    sqs: async () => new SQSClient({ region: REGION }),
    ddb: new DynamoDBClient({ region: REGION }),
    ...overrides,
  });
  return {
    backup,
    sqs,
    ddb,
    sns,
    deps,
    /** The dead letters sent, parsed. */ deadLetters: () => deadLetters(sqs),
  };
}

/** Undoes mockAws. */
export function restoreAws(): void {
  mockClient(BackupClient).restore();
  mockClient(SQSClient).restore();
  mockClient(DynamoDBClient).restore();
  mockClient(SNSClient).restore();
}
