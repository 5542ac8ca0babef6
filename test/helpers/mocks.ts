/** Mocked SDK clients for handler tests: dead letters and job links succeed unless a test says otherwise. */

import { BackupClient } from '@aws-sdk/client-backup';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { DeadLetter } from '../../src/outcome/dead-letters';
import type { Deps } from '../../src/types';
import { REGION, testDeps } from './fixtures';

/** Mocks Backup, SQS and DynamoDB, and builds handler dependencies that use them. */
export function mockAws(overrides: Partial<Deps> = {}) {
  const backup = mockClient(BackupClient);
  const sqs = mockClient(SQSClient);
  sqs.on(SendMessageCommand).resolves({ MessageId: 'dlq-1' });
  const ddb = mockClient(DynamoDBClient);
  ddb.on(PutItemCommand).resolves({});
  const deps = testDeps({
    backup: new BackupClient({ region: REGION }),
    sqs: async () => new SQSClient({ region: REGION }),
    ddb: new DynamoDBClient({ region: REGION }),
    ...overrides,
  });
  /** The dead letters sent, parsed. */
  const deadLetters = () =>
    sqs
      .commandCalls(SendMessageCommand)
      .map((call) => JSON.parse(call.args[0].input.MessageBody ?? '') as DeadLetter);
  return { backup, sqs, ddb, deps, deadLetters };
}

/** Undoes mockAws. */
export function restoreAws(): void {
  mockClient(BackupClient).restore();
  mockClient(SQSClient).restore();
  mockClient(DynamoDBClient).restore();
}
