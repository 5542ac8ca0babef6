/**
 * The local resource services through the real SDK clients: describe, tag and delete each kind of
 * restored resource, states that change over time, and AWS's refusals (deletion protection, a
 * final snapshot, a bucket with objects, an attached volume, a file system with mount targets).
 */

import {
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTagsOfResourceCommand,
  TagResourceCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateTagsCommand,
  DeleteVolumeCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  EC2Client,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DeleteFileSystemCommand,
  DescribeFileSystemsCommand,
  EFSClient,
  FileSystemNotFound,
  ListTagsForResourceCommand as ListEfsTags,
  TagResourceCommand as TagEfs,
} from '@aws-sdk/client-efs';
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import {
  AddTagsToResourceCommand,
  DBInstanceNotFoundFault,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  ListTagsForResourceCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetBucketTaggingCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  PutBucketTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { type LocalAws, startLocalAws } from '../../../local/endpoint';
import { defaultSeed } from '../../../local/pipeline';
import { localClientConfig } from '../../../local/setup';

let aws: LocalAws;
let rds: RDSClient;
let ec2: EC2Client;
let efs: EFSClient;
let s3: S3Client;
let ddb: DynamoDBClient;
let lambda: LambdaClient;
let now = 0;

beforeEach(async () => {
  aws = await startLocalAws({
    seed: defaultSeed(),
    resourceTiming: { availableAfterMs: 1000, runningAfterMs: 1000, statusOkAfterMs: 2000, goneAfterMs: 500 },
  });
  // The store's clock is moved by hand: states change with time, not with sleeps.
  now = Date.now();
  (aws.resources.store as unknown as { now: () => number }).now = () => now;
  const config = { ...localClientConfig(aws.url, 'eu-west-1'), maxAttempts: 1 };
  rds = new RDSClient(config);
  ec2 = new EC2Client(config);
  efs = new EFSClient(config);
  s3 = new S3Client(config);
  ddb = new DynamoDBClient(config);
  lambda = new LambdaClient(config);
});

afterEach(async () => {
  for (const c of [rds, ec2, efs, s3, ddb, lambda]) c.destroy();
  await aws.close();
});

const ACCT = 'arn:aws:rds:eu-west-1:123456789012';

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

it('RDS: an instance is creating without an endpoint, then available with one; tagged; deleted only without protection and with SkipFinalSnapshot', async () => {
  aws.resources.store.put({
    kind: 'db',
    id: 'orders-r1',
    arn: `${ACCT}:db:orders-r1`,
    createdAt: now,
    deletionProtection: true,
  });
  let db = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders-r1' })))
    .DBInstances?.[0];
  expect(db).toMatchObject({ DBInstanceStatus: 'creating', DeletionProtection: true });
  expect(db?.Endpoint).toBeUndefined();
  now += 1000;
  db = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: `${ACCT}:db:orders-r1` })))
    .DBInstances?.[0];
  expect(db).toMatchObject({ DBInstanceStatus: 'available', Endpoint: { Port: 5432 } });

  await rds.send(
    new AddTagsToResourceCommand({
      ResourceName: `${ACCT}:db:orders-r1`,
      Tags: [{ Key: 'backup-restore:drill', Value: 'J1' }],
    }),
  );
  expect(
    (await rds.send(new ListTagsForResourceCommand({ ResourceName: `${ACCT}:db:orders-r1` }))).TagList,
  ).toEqual([{ Key: 'backup-restore:drill', Value: 'J1' }]);

  const protectedError = await rejection(
    rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'orders-r1', SkipFinalSnapshot: true })),
  );
  expect(protectedError.name).toBe('InvalidParameterCombination');
  const instance = aws.resources.store.get('db', 'orders-r1');
  if (instance !== undefined) instance.deletionProtection = false;
  expect(
    (await rejection(rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'orders-r1' })))).message,
  ).toMatch(/FinalDBSnapshotIdentifier is required/);
  const deleted = await rds.send(
    new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'orders-r1', SkipFinalSnapshot: true }),
  );
  expect(deleted.DBInstance?.DBInstanceStatus).toBe('deleting');
  now += 500;
  expect(
    await rejection(rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders-r1' }))),
  ).toBeInstanceOf(DBInstanceNotFoundFault);
});

it('EC2: an instance goes pending, running with checks initializing, then ok; tagged; terminated', async () => {
  aws.resources.store.put({
    kind: 'instance',
    id: 'i-0abc',
    arn: 'arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc',
    createdAt: now,
  });
  const state = async () =>
    (await ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0abc'] }))).Reservations?.[0]
      ?.Instances?.[0]?.State?.Name;
  const checks = async (all: boolean) =>
    (await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: ['i-0abc'], IncludeAllInstances: all })))
      .InstanceStatuses ?? [];
  expect(await state()).toBe('pending');
  // Without IncludeAllInstances, AWS lists running instances only.
  expect(await checks(false)).toEqual([]);
  now += 1000;
  expect(await state()).toBe('running');
  expect((await checks(false))[0]).toMatchObject({
    SystemStatus: { Status: 'initializing' },
    InstanceStatus: { Status: 'initializing' },
  });
  now += 1000;
  expect((await checks(true))[0]).toMatchObject({
    SystemStatus: { Status: 'ok' },
    InstanceStatus: { Status: 'ok' },
  });

  await ec2.send(
    new CreateTagsCommand({ Resources: ['i-0abc'], Tags: [{ Key: 'backup-restore:drill', Value: 'J1' }] }),
  );
  expect(
    (await ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0abc'] }))).Reservations?.[0]
      ?.Instances?.[0]?.Tags,
  ).toEqual([{ Key: 'backup-restore:drill', Value: 'J1' }]);
  const out = await ec2.send(new TerminateInstancesCommand({ InstanceIds: ['i-0abc'] }));
  expect(out.TerminatingInstances?.[0]).toMatchObject({
    CurrentState: { Name: 'shutting-down' },
    PreviousState: { Name: 'running' },
  });
});

it('EBS: a volume is creating, then available; an attached one cannot be deleted; an unknown one is InvalidVolume.NotFound', async () => {
  aws.resources.store.put({
    kind: 'volume',
    id: 'vol-1',
    arn: 'arn:aws:ec2:eu-west-1:123456789012:volume/vol-1',
    sizeGiB: 100,
    createdAt: now,
  });
  aws.resources.store.put({
    kind: 'volume',
    id: 'vol-2',
    arn: 'arn:aws:ec2:eu-west-1:123456789012:volume/vol-2',
    attachedTo: 'i-1',
    createdAt: now - 5000,
  });
  expect((await ec2.send(new DescribeVolumesCommand({ VolumeIds: ['vol-1'] }))).Volumes?.[0]).toMatchObject({
    State: 'creating',
    Size: 100,
  });
  now += 1000;
  expect((await ec2.send(new DescribeVolumesCommand({ VolumeIds: ['vol-1'] }))).Volumes?.[0]?.State).toBe(
    'available',
  );
  const inUse = await rejection(ec2.send(new DeleteVolumeCommand({ VolumeId: 'vol-2' })));
  expect(inUse.name).toBe('VolumeInUse');
  await ec2.send(new DeleteVolumeCommand({ VolumeId: 'vol-1' }));
  expect((await ec2.send(new DescribeVolumesCommand({ VolumeIds: ['vol-1'] }))).Volumes?.[0]?.State).toBe(
    'deleting',
  );
  now += 500;
  expect((await rejection(ec2.send(new DescribeVolumesCommand({ VolumeIds: ['vol-1'] })))).name).toBe(
    'InvalidVolume.NotFound',
  );
});

it('EFS: a file system is creating, then available; tagged; with mount targets it cannot be deleted', async () => {
  const arn = 'arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-1';
  aws.resources.store.put({ kind: 'file-system', id: 'fs-1', arn, createdAt: now, mountTargets: 1 });
  expect(
    (await efs.send(new DescribeFileSystemsCommand({ FileSystemId: 'fs-1' }))).FileSystems?.[0]
      ?.LifeCycleState,
  ).toBe('creating');
  now += 1000;
  expect(
    (await efs.send(new DescribeFileSystemsCommand({ FileSystemId: 'fs-1' }))).FileSystems?.[0]
      ?.LifeCycleState,
  ).toBe('available');
  await efs.send(new TagEfs({ ResourceId: 'fs-1', Tags: [{ Key: 'backup-restore:drill', Value: 'J1' }] }));
  expect((await efs.send(new ListEfsTags({ ResourceId: 'fs-1' }))).Tags).toEqual([
    { Key: 'backup-restore:drill', Value: 'J1' },
  ]);
  expect((await rejection(efs.send(new DeleteFileSystemCommand({ FileSystemId: 'fs-1' })))).name).toBe(
    'FileSystemInUse',
  );
  const fs = aws.resources.store.get('file-system', 'fs-1');
  if (fs !== undefined) fs.mountTargets = 0;
  await efs.send(new DeleteFileSystemCommand({ FileSystemId: 'fs-1' }));
  now += 500;
  expect(await rejection(efs.send(new DescribeFileSystemsCommand({ FileSystemId: 'fs-1' })))).toBeInstanceOf(
    FileSystemNotFound,
  );
});

it('S3: objects are listed and deleted, tags replaced, and a bucket is deleted only once empty', async () => {
  aws.resources.store.put({
    kind: 'bucket',
    id: 'invoices-r1',
    arn: 'arn:aws:s3:::invoices-r1',
    objects: ['a', 'b', 'c'],
  });
  const page = await s3.send(new ListObjectsV2Command({ Bucket: 'invoices-r1', MaxKeys: 2 }));
  expect(page).toMatchObject({ KeyCount: 2, IsTruncated: true });
  const next = await s3.send(
    new ListObjectsV2Command({ Bucket: 'invoices-r1', ContinuationToken: page.NextContinuationToken }),
  );
  expect(next.Contents?.map((c) => c.Key)).toEqual(['c']);
  expect((await rejection(s3.send(new GetBucketTaggingCommand({ Bucket: 'invoices-r1' })))).name).toBe(
    'NoSuchTagSet',
  );
  await s3.send(
    new PutBucketTaggingCommand({
      Bucket: 'invoices-r1',
      Tagging: { TagSet: [{ Key: 'backup-restore:drill', Value: 'J1' }] },
    }),
  );
  expect((await s3.send(new GetBucketTaggingCommand({ Bucket: 'invoices-r1' }))).TagSet).toEqual([
    { Key: 'backup-restore:drill', Value: 'J1' },
  ]);
  expect((await rejection(s3.send(new DeleteBucketCommand({ Bucket: 'invoices-r1' })))).name).toBe(
    'BucketNotEmpty',
  );
  const deleted = await s3.send(
    new DeleteObjectsCommand({
      Bucket: 'invoices-r1',
      Delete: { Objects: [{ Key: 'a' }, { Key: 'b' }, { Key: 'c' }] },
    }),
  );
  expect(deleted.Deleted?.map((d) => d.Key)).toEqual(['a', 'b', 'c']);
  await s3.send(new DeleteBucketCommand({ Bucket: 'invoices-r1' }));
  now += 500;
  expect(await rejection(s3.send(new ListObjectsV2Command({ Bucket: 'invoices-r1' })))).toBeInstanceOf(
    NoSuchBucket,
  );
});

it('DynamoDB: a restored table is CREATING then ACTIVE, its ItemCount stale; tagged; deleted unless protected', async () => {
  const arn = 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders-r1';
  aws.resources.store.put({
    kind: 'table',
    id: 'orders-r1',
    arn,
    items: 10,
    createdAt: now,
    deletionProtection: true,
  });
  expect((await ddb.send(new DescribeTableCommand({ TableName: 'orders-r1' }))).Table?.TableStatus).toBe(
    'CREATING',
  );
  now += 1000;
  const table = (await ddb.send(new DescribeTableCommand({ TableName: 'orders-r1' }))).Table;
  expect(table).toMatchObject({ TableStatus: 'ACTIVE', ItemCount: 0, DeletionProtectionEnabled: true });
  await ddb.send(
    new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'backup-restore:drill', Value: 'J1' }] }),
  );
  expect((await ddb.send(new ListTagsOfResourceCommand({ ResourceArn: arn }))).Tags).toEqual([
    { Key: 'backup-restore:drill', Value: 'J1' },
  ]);
  expect((await rejection(ddb.send(new DeleteTableCommand({ TableName: 'orders-r1' })))).name).toBe(
    'ValidationException',
  );
  const t = aws.resources.store.get('table', 'orders-r1');
  if (t !== undefined) t.deletionProtection = false;
  expect(
    (await ddb.send(new DeleteTableCommand({ TableName: 'orders-r1' }))).TableDescription?.TableStatus,
  ).toBe('DELETING');
});

it('Lambda: invokes a local function, flags its error, and answers ResourceNotFound for an unknown one', async () => {
  aws.resources.lambda.register('check', (e) => {
    if ((e as { boom?: boolean }).boom) throw new TypeError('boom');
    return { verdict: 'pass', reason: 'ok' };
  });
  const ok = await lambda.send(
    new InvokeCommand({
      FunctionName: 'arn:aws:lambda:eu-west-1:123456789012:function:check',
      Payload: Buffer.from('{}'),
    }),
  );
  expect(ok.StatusCode).toBe(200);
  expect(JSON.parse(Buffer.from(ok.Payload ?? []).toString())).toEqual({ verdict: 'pass', reason: 'ok' });
  const failed = await lambda.send(
    new InvokeCommand({ FunctionName: 'check', Payload: Buffer.from('{"boom":true}') }),
  );
  expect(failed.FunctionError).toBe('Unhandled');
  expect(JSON.parse(Buffer.from(failed.Payload ?? []).toString())).toMatchObject({
    errorType: 'TypeError',
    errorMessage: 'boom',
  });
  expect(await rejection(lambda.send(new InvokeCommand({ FunctionName: 'missing' })))).toBeInstanceOf(
    ResourceNotFoundException,
  );
});
