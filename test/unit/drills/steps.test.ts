/**
 * The drill steps that wait on AWS or weigh evidence, with mocked clients and no real waits: a
 * DynamoDB table is deleted only once ACTIVE again after UpdateTable, the volumes of a drill's
 * instance are checked one by one, a bucket gets ABAC before its tag and is emptied of every version
 * and delete marker, and a repeated validation writes a 0-hour drill's due time again.
 */

import {
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ResourceInUseException,
  UpdateItemCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetBucketAbacCommand,
  GetBucketVersioningCommand,
  ListObjectVersionsCommand,
  PutBucketAbacCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { S3ControlClient, TagResourceCommand } from '@aws-sdk/client-s3-control';
import { mockClient } from 'aws-sdk-client-mock';
import { NotReadyError } from '../../../src/drills/calls';
import { deleteTable } from '../../../src/drills/dynamodb';
import { volumeRefusals } from '../../../src/drills/ec2';
import { deleteBucket, tagBucket } from '../../../src/drills/s3';
import { createLogger } from '../../../src/logger';
import { loadValidationConfig } from '../../../src/validation/config';
import { validateRestore } from '../../../src/validation/validate';

const ddb = mockClient(DynamoDBClient);
afterEach(() => ddb.reset());
afterAll(() => ddb.restore());

describe('deleteTable', () => {
  const client = new DynamoDBClient({ region: 'eu-west-1' });
  const context = (deadlineInMs: number) => ({
    restoreJobId: 'job-1',
    jobCreatedAt: undefined,
    accountId: undefined,
    deadline: Date.now() + deadlineInMs,
    sleep: async () => undefined,
  });

  it('turns deletion protection off, waits while the table is UPDATING, then deletes it', async () => {
    ddb
      .on(DescribeTableCommand)
      .resolvesOnce({ Table: { TableStatus: 'ACTIVE', DeletionProtectionEnabled: true } })
      .resolvesOnce({ Table: { TableStatus: 'UPDATING', DeletionProtectionEnabled: false } })
      .resolvesOnce({ Table: { TableStatus: 'UPDATING', DeletionProtectionEnabled: false } })
      .resolves({ Table: { TableStatus: 'ACTIVE', DeletionProtectionEnabled: false } });
    ddb.on(UpdateTableCommand).resolves({});
    ddb.on(DeleteTableCommand).resolves({});
    await expect(deleteTable(client, 'orders-r1a2b3c4', context(60_000))).resolves.toStrictEqual([
      'deletion protection turned off',
      'DeleteTable',
    ]);
    expect(ddb.commandCalls(DescribeTableCommand)).toHaveLength(4);
    expect(ddb.commandCalls(DeleteTableCommand)).toHaveLength(1);
  });

  it('a table still UPDATING at the deadline is not ready (tried on the next run), and DeleteTable is not called', async () => {
    ddb
      .on(DescribeTableCommand)
      .resolves({ Table: { TableStatus: 'UPDATING', DeletionProtectionEnabled: false } });
    await expect(deleteTable(client, 'orders-r1a2b3c4', context(0))).rejects.toBeInstanceOf(NotReadyError);
    expect(ddb.commandCalls(DeleteTableCommand)).toHaveLength(0);
  });

  it('ResourceInUseException from DeleteTable is not ready either, never a permanent failure', async () => {
    ddb.on(DescribeTableCommand).resolves({ Table: { TableStatus: 'ACTIVE' } });
    ddb.on(DeleteTableCommand).rejects(new ResourceInUseException({ message: 'in use', $metadata: {} }));
    await expect(deleteTable(client, 'orders-r1a2b3c4', context(60_000))).rejects.toMatchObject({
      name: 'NotReadyError',
      retryable: true,
    });
  });
});

describe('volumeRefusals', () => {
  const started = new Date('2026-11-28T01:00:00.000Z');
  const ours = {
    volumeId: 'vol-1',
    attachedTo: ['i-1'],
    createdAt: new Date('2026-11-28T01:10:00.000Z'),
    tags: {},
  };

  it('at tagging: every attached volume created after the job started, no other job tag', () => {
    expect(volumeRefusals([ours], started, 'job-1')).toStrictEqual([]);
    expect(
      volumeRefusals([{ ...ours, createdAt: new Date('2026-11-01T00:00:00.000Z') }], started, 'job-1')[0],
    ).toMatch(/vol-1 was created at .* before the job started/);
    expect(volumeRefusals([{ ...ours, createdAt: undefined }], started, 'job-1')[0]).toMatch(
      /no creation time for the attached volume vol-1/,
    );
    expect(
      volumeRefusals([{ ...ours, tags: { 'backup-restore:drill': 'job-2' } }], started, 'job-1')[0],
    ).toMatch(/tag of job job-2/);
  });

  it("at tagging: a volume created well after the job completed was attached later by someone, never the drill's", () => {
    const completed = new Date('2026-11-28T01:12:00.000Z');
    expect(volumeRefusals([ours], started, 'job-1', undefined, completed)).toStrictEqual([]);
    const later = { ...ours, volumeId: 'vol-2', createdAt: new Date('2026-11-28T02:00:00.000Z') };
    expect(volumeRefusals([ours, later], started, 'job-1', undefined, completed)).toStrictEqual([
      expect.stringMatching(/vol-2 was created at .* after the job completed .*: it was attached later/),
    ]);
  });

  it('at deletion: only recorded volumes, each with this job tag', () => {
    const tagged = { ...ours, tags: { 'backup-restore:drill': 'job-1' } };
    expect(volumeRefusals([tagged], started, 'job-1', ['vol-1'])).toStrictEqual([]);
    expect(volumeRefusals([tagged], started, 'job-1', ['vol-9'])[0]).toMatch(
      /attached after the drill was recorded/,
    );
    expect(volumeRefusals([ours], started, 'job-1', ['vol-1'])[0]).toMatch(/does not carry the drill tag/);
  });
});

it("a validation delivered again after its verdict writes a 0-hour drill's due time again (its write may have failed)", async () => {
  const JOB = 'job-0h';
  ddb.on(GetItemCommand, { Key: { restoreJobId: { S: `${JOB}#validation` } } }).resolves({
    Item: {
      restoreJobId: { S: `${JOB}#validation` },
      verdict: { S: 'pass' },
      reason: { S: 'ok' },
      validatedAt: { S: '2026-11-28T02:00:00.000Z' },
      checkedBy: { S: 'built-in' },
      attempts: { N: '1' },
    },
  });
  ddb.on(UpdateItemCommand).resolves({});
  const client = new DynamoDBClient({ region: 'eu-west-1' });
  const unused = () => {
    throw new Error('unused');
  };
  const outcome = await validateRestore(
    {
      config: loadValidationConfig({
        AWS_REGION: 'eu-west-1',
        DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/restore-dlq',
        VALIDATION_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/restore-validation',
        RESTORE_JOBS_TABLE: 'restore-jobs',
      }),
      backup: {} as never,
      ddb: client,
      sqs: unused,
      lambda: unused,
      resources: {} as never,
      logger: createLogger({ sink: () => undefined }),
      metricsSink: () => undefined,
      now: () => new Date('2026-11-28T03:00:00.000Z'),
    },
    {
      kind: 'restore-validation',
      version: 1,
      restoreJobId: JOB,
      requestedAt: '2026-11-28T01:30:00.000Z',
      attempt: 2,
    },
    createLogger({ sink: () => undefined }),
  );
  expect(outcome).toBe('duplicate');
  expect(ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input)).toMatchObject([
    {
      Key: { restoreJobId: { S: `${JOB}#drill` } },
      UpdateExpression: 'SET dueAt = :due',
      ExpressionAttributeValues: { ':due': { S: '2026-11-28T02:00:00.000Z' } },
    },
  ]);
});

describe('S3 steps', () => {
  const s3 = mockClient(S3Client);
  const control = mockClient(S3ControlClient);
  afterEach(() => {
    s3.reset();
    control.reset();
  });
  afterAll(() => {
    s3.restore();
    control.restore();
  });
  const clients = {
    s3: () => new S3Client({ region: 'eu-west-1' }),
    s3control: () => new S3ControlClient({ region: 'eu-west-1' }),
  };
  const context = {
    restoreJobId: 'job-1',
    jobCreatedAt: undefined,
    accountId: '123456789012',
    deadline: Date.now(),
    sleep: async () => undefined,
  };

  it('switches ABAC on before the S3 Control tag, and only when it is off', async () => {
    s3.on(GetBucketAbacCommand).resolves({ AbacStatus: { Status: 'Disabled' } });
    await tagBucket(clients, 'invoices-r1a2b3c4', 'arn:aws:s3:::invoices-r1a2b3c4', context);
    expect(s3.commandCalls(PutBucketAbacCommand).map((c) => c.args[0].input)).toStrictEqual([
      { Bucket: 'invoices-r1a2b3c4', AbacStatus: { Status: 'Enabled' } },
    ]);
    expect(control.commandCalls(TagResourceCommand).map((c) => c.args[0].input)).toStrictEqual([
      {
        AccountId: '123456789012',
        ResourceArn: 'arn:aws:s3:::invoices-r1a2b3c4',
        Tags: [{ Key: 'backup-restore:drill', Value: 'job-1' }],
      },
    ]);
    s3.reset();
    control.reset();
    s3.on(GetBucketAbacCommand).resolves({ AbacStatus: { Status: 'Enabled' } });
    await tagBucket(clients, 'invoices-r1a2b3c4', 'arn:aws:s3:::invoices-r1a2b3c4', context);
    expect(s3.commandCalls(PutBucketAbacCommand)).toHaveLength(0);
    expect(control.commandCalls(TagResourceCommand)).toHaveLength(1);
  });

  it('deletes every version and delete marker of every page by VersionId, then the bucket', async () => {
    s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    s3.on(ListObjectVersionsCommand)
      .resolvesOnce({
        Versions: [{ Key: 'a', VersionId: 'v1' }],
        DeleteMarkers: [{ Key: 'b', VersionId: 'm1' }],
        IsTruncated: true,
        NextKeyMarker: 'b',
        NextVersionIdMarker: 'm1',
      })
      .resolves({ Versions: [{ Key: 'c', VersionId: 'null' }], IsTruncated: false });
    s3.on(DeleteObjectsCommand).resolves({});
    s3.on(DeleteBucketCommand).resolves({});
    await expect(
      deleteBucket(new S3Client({ region: 'eu-west-1' }), 'invoices-r1a2b3c4'),
    ).resolves.toStrictEqual([
      'versioning Enabled',
      'DeleteObjects (2 version(s), 1 delete marker(s))',
      'DeleteBucket',
    ]);
    expect(s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input.Delete?.Objects)).toStrictEqual([
      [
        { Key: 'a', VersionId: 'v1' },
        { Key: 'b', VersionId: 'm1' },
      ],
      [{ Key: 'c', VersionId: 'null' }],
    ]);
    expect(s3.commandCalls(ListObjectVersionsCommand)[1]?.args[0].input).toMatchObject({
      KeyMarker: 'b',
      VersionIdMarker: 'm1',
    });
  });

  it('a version S3 could not delete stops before DeleteBucket, retryable', async () => {
    s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    s3.on(ListObjectVersionsCommand).resolves({ Versions: [{ Key: 'a', VersionId: 'v1' }] });
    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'a', VersionId: 'v1', Code: 'AccessDenied' }] });
    await expect(
      deleteBucket(new S3Client({ region: 'eu-west-1' }), 'invoices-r1a2b3c4'),
    ).rejects.toMatchObject({
      retryable: true,
      message: expect.stringMatching(/DeleteObjects left 1 version/),
    });
    expect(s3.commandCalls(DeleteBucketCommand)).toHaveLength(0);
  });
});
