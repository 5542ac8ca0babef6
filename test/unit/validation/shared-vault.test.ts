/**
 * A restore from a recovery point in another account's vault (a shared vault): the validator's reads
 * of the point and the scrubbing of its stored metadata name the vault's owner
 * (BackupVaultAccountId), as AWS finds such a point only with it. Mocked clients, no sockets.
 */

import {
  BackupClient,
  DescribeRecoveryPointCommand,
  DescribeRestoreJobCommand,
  GetRecoveryPointRestoreMetadataCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-backup';
import { DescribeTableCommand, DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { secretsOfStoredJob, storedVaultOf } from '../../../src/arrival/secrets';
import { loadValidationConfig } from '../../../src/checks/config';
import { createLogger } from '../../../src/logger';
import { linkItem } from '../../../src/table/links';
import { type ValidateDeps, validateRestore } from '../../../src/validation/validate';

const OWN = '123456789012';
const OWNER = '444455556666';
const VAULT_ARN = `arn:aws:backup:eu-west-1:${OWNER}:backup-vault:member-lag-vault`;
const POINT = `arn:aws:backup:eu-west-1:${OWNER}:recovery-point:2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e`;
const JOB = 'JOB-SHARED-1';
const TABLE = 'restore-jobs';

const backup = mockClient(BackupClient);
const ddb = mockClient(DynamoDBClient);
const ec2 = mockClient(EC2Client);
const sqs = mockClient(SQSClient);

/** AWS finds a shared vault's point only when the call names the vault's owner. */
function pointOnlyWithOwner(): void {
  const notFound = new ResourceNotFoundException({ message: 'not found', $metadata: {} });
  backup.on(GetRecoveryPointRestoreMetadataCommand).rejects(notFound);
  backup.on(DescribeRecoveryPointCommand).rejects(notFound);
  backup
    .on(GetRecoveryPointRestoreMetadataCommand, { BackupVaultAccountId: OWNER })
    .resolves({ RestoreMetadata: { volumeSize: '100', masterUserPassword: 'hunter2-stored' } });
  backup
    .on(DescribeRecoveryPointCommand, { BackupVaultAccountId: OWNER })
    .resolves({ BackupSizeInBytes: 4096 });
}

beforeEach(() => {
  backup.reset();
  ddb.reset();
  ec2.reset();
  sqs.reset();
  pointOnlyWithOwner();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'dl-1' });
});

afterAll(() => {
  backup.restore();
  ddb.restore();
  ec2.restore();
  sqs.restore();
});

describe('storedVaultOf', () => {
  it('names the owner only when it is another account', () => {
    expect(storedVaultOf(VAULT_ARN, OWN)).toStrictEqual({ name: 'member-lag-vault', accountId: OWNER });
    expect(storedVaultOf(`arn:aws:backup:eu-west-1:${OWN}:backup-vault:Default`, OWN)).toStrictEqual({
      name: 'Default',
    });
    expect(storedVaultOf('not-an-arn', OWN)).toBeUndefined();
  });
});

it("scrubs the stored metadata of a shared vault's point: it is read with the owner's account", async () => {
  const secrets = await secretsOfStoredJob(
    new BackupClient({ region: 'eu-west-1' }),
    { recoveryPointArn: POINT, backupVaultArn: VAULT_ARN },
    OWN,
  );
  expect(secrets).toContain('hunter2-stored');
});

function deps(): ValidateDeps {
  const backupClient = new BackupClient({ region: 'eu-west-1' });
  const ddbClient = new DynamoDBClient({ region: 'eu-west-1' });
  const ec2Client = new EC2Client({ region: 'eu-west-1' });
  const sqsClient = new SQSClient({ region: 'eu-west-1' });
  return {
    config: loadValidationConfig({
      AWS_REGION: 'eu-west-1',
      DEAD_LETTER_QUEUE_URL: `https://sqs.eu-west-1.amazonaws.com/${OWN}/restore-dlq`,
      VALIDATION_QUEUE_URL: `https://sqs.eu-west-1.amazonaws.com/${OWN}/restore-validation`,
      RESTORE_JOBS_TABLE: TABLE,
    }),
    backup: backupClient,
    ddb: ddbClient,
    sqs: async () => sqsClient,
    lambda: () => {
      throw new Error('no validator');
    },
    resources: {
      backup: backupClient,
      ddb: ddbClient,
      ec2: () => ec2Client,
      rds: () => {
        throw new Error('unused');
      },
      efs: () => {
        throw new Error('unused');
      },
      s3: () => {
        throw new Error('unused');
      },
    },
    logger: createLogger({ sink: () => undefined }),
    metricsSink: () => undefined,
    now: () => new Date('2026-11-26T10:30:00.000Z'),
  };
}

/** The job's link, no verdict yet, and AWS's description of a job restored from the shared vault. */
function job(resourceType: string, createdResourceArn: string): void {
  // The bare copy is judged here: make-ready (and the wait for it) is not under test.
  const body = JSON.stringify({
    RecoveryPointArn: POINT,
    ResourceType: resourceType,
    Metadata: {},
    Ready: false,
  });
  const link = linkItem(
    {
      restoreJobId: JOB,
      original: { trigger: 'sqs', body },
      trigger: { type: 'sqs', id: 'm-1', attempt: 1 },
      redriveCount: 0,
      recoveryPointArn: POINT,
      resourceType,
      startedAt: '2026-11-26T10:00:00.000Z',
      fingerprint: 'f',
    },
    new Date('2026-11-26T10:00:00.000Z'),
  );
  ddb.on(GetItemCommand).resolves({});
  ddb.on(GetItemCommand, { Key: { restoreJobId: { S: JOB } } }).resolves({ Item: link });
  backup.on(DescribeRestoreJobCommand).resolves({
    RestoreJobId: JOB,
    AccountId: OWN,
    Status: 'COMPLETED',
    ResourceType: resourceType,
    CreatedResourceArn: createdResourceArn,
    RecoveryPointArn: POINT,
    BackupVaultArn: VAULT_ARN,
  });
}

const message = (resourceType: string) => ({
  kind: 'restore-validation' as const,
  version: 1 as const,
  restoreJobId: JOB,
  resourceType,
  requestedAt: '2026-11-26T10:29:00.000Z',
  attempt: 1,
});

it("checks an EBS restore's size against the shared vault's point", async () => {
  job('EBS', `arn:aws:ec2:eu-west-1:${OWN}:volume/vol-0123456789abcdef0`);
  // The restored volume is smaller than the point says: only a read that found the point can tell.
  ec2.on(DescribeVolumesCommand).resolves({
    Volumes: [{ VolumeId: 'vol-0123456789abcdef0', State: 'available', Size: 8 }],
  });
  const outcome = await validateRestore(deps(), message('EBS'), createLogger({ sink: () => undefined }));
  expect(outcome).toBe('failed');
  expect(backup.commandCalls(GetRecoveryPointRestoreMetadataCommand)[0]?.args[0].input).toMatchObject({
    BackupVaultName: 'member-lag-vault',
    BackupVaultAccountId: OWNER,
  });
});

it("checks a DynamoDB restore against the shared vault's point (the source held data)", async () => {
  job('DynamoDB', `arn:aws:dynamodb:eu-west-1:${OWN}:table/payments-r1a2b3c4`);
  ddb.on(DescribeTableCommand).resolves({ Table: { TableName: 'payments-r1a2b3c4', TableStatus: 'ACTIVE' } });
  // The restored table is empty: a failure only when the point says the backup held data.
  ddb.on(ScanCommand).resolves({ Count: 0 });
  const outcome = await validateRestore(deps(), message('DynamoDB'), createLogger({ sink: () => undefined }));
  expect(outcome).toBe('failed');
  expect(backup.commandCalls(DescribeRecoveryPointCommand)[0]?.args[0].input).toMatchObject({
    BackupVaultAccountId: OWNER,
  });
});
