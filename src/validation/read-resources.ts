/**
 * The AWS reads behind each validation: what the service of the restored resource says about it
 * (state, endpoint, size, items, objects, status checks), and what the recovery point says the
 * restore should have produced. Each returns an observation for verdicts.ts; "not found" is an
 * observation, any other error is thrown (sorted by classifyAwsError).
 */

import {
  type BackupClient,
  DescribeRecoveryPointCommand,
  GetRecoveryPointRestoreMetadataCommand,
} from '@aws-sdk/client-backup';
import { DescribeTableCommand, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { DescribeFileSystemsCommand, type EFSClient } from '@aws-sdk/client-efs';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, type RDSClient } from '@aws-sdk/client-rds';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { vaultAccount } from '../aws/backup.js';
import { classifyAwsError } from '../errors.js';
import {
  type BucketObservation,
  bucketVerdict,
  type CheckedType,
  type DbClusterObservation,
  dbClusterVerdict,
  type FileSystemObservation,
  fileSystemVerdict,
  type InstanceObservation,
  instanceVerdict,
  type RdsInstanceObservation,
  rdsInstanceVerdict,
  type TableObservation,
  tableVerdict,
  type Verdict,
  type VolumeObservation,
  volumeVerdict,
} from './verdicts.js';

/** The clients a validation may need, each built on first use (a run reads one service). */
export interface ResourceClients {
  readonly backup: BackupClient;
  readonly ddb: DynamoDBClient;
  readonly rds: () => RDSClient;
  readonly ec2: () => EC2Client;
  readonly efs: () => EFSClient;
  readonly s3: () => S3Client;
}

const NOT_FOUND = new Set([
  'DBInstanceNotFoundFault',
  'DBClusterNotFoundFault',
  'ResourceNotFoundException',
  'InvalidVolume.NotFound',
  'InvalidInstanceID.NotFound',
  'InvalidInstanceID.Malformed',
  'InvalidVolumeID.Malformed',
  'FileSystemNotFound',
  'NoSuchBucket',
]);

async function read<T>(operation: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    const name = (error as { name?: unknown })?.name;
    if (typeof name === 'string' && NOT_FOUND.has(name)) return undefined;
    throw classifyAwsError(operation, error);
  }
}

/** The identifier inside a created resource's ARN (`db:<id>`, `volume/<id>`, S3's bucket name). */
export function resourceIdOf(arn: string): string {
  const resource = arn.split(':').slice(5).join(':');
  if (arn.startsWith('arn:aws:s3:::') || /^arn:[^:]+:s3:::/.test(arn)) return resource;
  const slash = resource.indexOf('/');
  const colon = resource.indexOf(':');
  const cut = [slash, colon].filter((i) => i >= 0);
  return cut.length === 0 ? resource : resource.slice(Math.min(...cut) + 1);
}

export async function readRdsInstance(rds: RDSClient, id: string): Promise<RdsInstanceObservation> {
  const out = await read('DescribeDBInstances', () =>
    rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
  );
  const db = out?.DBInstances?.[0];
  if (db === undefined) return { found: false };
  const address = db.Endpoint?.Address;
  return {
    found: true,
    id,
    status: db.DBInstanceStatus ?? 'unknown',
    ...(address === undefined ? {} : { endpoint: `${address}:${db.Endpoint?.Port ?? ''}` }),
  };
}

export async function readDbCluster(rds: RDSClient, id: string): Promise<DbClusterObservation> {
  const out = await read('DescribeDBClusters', () =>
    rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })),
  );
  const c = out?.DBClusters?.[0];
  if (c === undefined) return { found: false };
  return {
    found: true,
    id,
    status: c.Status ?? 'unknown',
    ...(c.Endpoint === undefined ? {} : { endpoint: c.Endpoint }),
  };
}

/**
 * DescribeTable, then (once ACTIVE) a Scan of one item. DescribeTable's ItemCount is not used:
 * DynamoDB "updates this value approximately every six hours", so a fresh restore reads 0.
 */
export async function readTable(
  ddb: DynamoDBClient,
  name: string,
  sourceHadItems: boolean | undefined,
): Promise<TableObservation> {
  const out = await read('DescribeTable', () => ddb.send(new DescribeTableCommand({ TableName: name })));
  const table = out?.Table;
  if (table === undefined) return { found: false };
  const status = table.TableStatus ?? 'unknown';
  const base = {
    found: true as const,
    name,
    status,
    ...(sourceHadItems === undefined ? {} : { sourceHadItems }),
  };
  if (status !== 'ACTIVE') return base;
  const scan = await read('Scan', () =>
    ddb.send(new ScanCommand({ TableName: name, Limit: 1, Select: 'COUNT' })),
  );
  return { ...base, hasItem: (scan?.Count ?? 0) > 0 };
}

export async function readVolume(
  ec2: EC2Client,
  id: string,
  expectedSizeGiB: number | undefined,
): Promise<VolumeObservation> {
  const out = await read('DescribeVolumes', () => ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] })));
  const v = out?.Volumes?.[0];
  if (v === undefined) return { found: false };
  return {
    found: true,
    id,
    state: v.State ?? 'unknown',
    ...(v.Size === undefined ? {} : { sizeGiB: v.Size }),
    ...(expectedSizeGiB === undefined ? {} : { expectedSizeGiB }),
  };
}

export async function readFileSystem(efs: EFSClient, id: string): Promise<FileSystemObservation> {
  const out = await read('DescribeFileSystems', () =>
    efs.send(new DescribeFileSystemsCommand({ FileSystemId: id })),
  );
  const fs = out?.FileSystems?.[0];
  return fs === undefined ? { found: false } : { found: true, id, state: fs.LifeCycleState ?? 'unknown' };
}

export async function readBucket(s3: S3Client, name: string): Promise<BucketObservation> {
  const out = await read('ListObjectsV2', () =>
    s3.send(new ListObjectsV2Command({ Bucket: name, MaxKeys: 1 })),
  );
  return out === undefined ? { found: false } : { found: true, name, objectCount: out.KeyCount ?? 0 };
}

export async function readInstance(ec2: EC2Client, id: string): Promise<InstanceObservation> {
  const out = await read('DescribeInstances', () =>
    ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] })),
  );
  const instance = out?.Reservations?.[0]?.Instances?.[0];
  if (instance === undefined) return { found: false };
  const state = instance.State?.Name ?? 'unknown';
  if (state !== 'running') return { found: true, id, state };
  // Without IncludeAllInstances AWS answers for running instances only; asked for all, it always answers.
  const status = await read('DescribeInstanceStatus', () =>
    ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [id], IncludeAllInstances: true })),
  );
  const s = status?.InstanceStatuses?.[0];
  return {
    found: true,
    id,
    state,
    ...(s?.SystemStatus?.Status === undefined ? {} : { systemStatus: s.SystemStatus.Status }),
    ...(s?.InstanceStatus?.Status === undefined ? {} : { instanceStatus: s.InstanceStatus.Status }),
  };
}

/** What the recovery point says the restore should produce. */
export interface Expectations {
  /** EBS: the size in GiB (the request's `volumeSize`, else the snapshot's). */
  readonly volumeSizeGiB?: number;
  /** DynamoDB: whether the backup holds data (BackupSizeInBytes > 0); undefined when AWS does not say. */
  readonly sourceHadItems?: boolean;
}

/** A restore job's recovery point: its vault, and the vault's owner when another account shares it. */
export interface StoredPoint {
  readonly recoveryPointArn: string;
  readonly backupVaultName: string;
  readonly vaultAccountId?: string;
}

/**
 * Reads the expectations from the recovery point: GetRecoveryPointRestoreMetadata (`volumeSize`)
 * and DescribeRecoveryPoint (`BackupSizeInBytes`), each with the vault owner's account for a
 * shared vault. Request overrides win (`volumeSize`).
 */
export async function readExpectations(
  backup: BackupClient,
  type: CheckedType,
  point: StoredPoint | undefined,
  requestMetadata: Readonly<Record<string, string>>,
): Promise<Expectations> {
  if (type === 'EBS') {
    const requested = Number(requestMetadata.volumeSize);
    if (Number.isInteger(requested) && requested > 0) return { volumeSizeGiB: requested };
    if (point === undefined) return {};
    const out = await read('GetRecoveryPointRestoreMetadata', () =>
      backup.send(
        new GetRecoveryPointRestoreMetadataCommand({
          BackupVaultName: point.backupVaultName,
          ...vaultAccount(point.vaultAccountId),
          RecoveryPointArn: point.recoveryPointArn,
        }),
      ),
    );
    const size = Number(out?.RestoreMetadata?.volumeSize);
    return Number.isInteger(size) && size > 0 ? { volumeSizeGiB: size } : {};
  }
  if (type === 'DynamoDB' && point !== undefined) {
    const out = await read('DescribeRecoveryPoint', () =>
      backup.send(
        new DescribeRecoveryPointCommand({
          BackupVaultName: point.backupVaultName,
          ...vaultAccount(point.vaultAccountId),
          RecoveryPointArn: point.recoveryPointArn,
        }),
      ),
    );
    const size = out?.BackupSizeInBytes;
    return size === undefined ? {} : { sourceHadItems: size > 0 };
  }
  return {};
}

/** Reads the created resource and judges it (the built-in check of its type). */
export async function checkResource(
  clients: ResourceClients,
  type: CheckedType,
  createdResourceArn: string,
  expect: Expectations,
): Promise<Verdict> {
  const id = resourceIdOf(createdResourceArn);
  switch (type) {
    case 'RDS':
      return rdsInstanceVerdict(await readRdsInstance(clients.rds(), id));
    case 'Aurora':
    case 'DocumentDB':
    case 'Neptune':
      return dbClusterVerdict(await readDbCluster(clients.rds(), id));
    case 'DynamoDB':
      return tableVerdict(await readTable(clients.ddb, id, expect.sourceHadItems));
    case 'EBS':
      return volumeVerdict(await readVolume(clients.ec2(), id, expect.volumeSizeGiB));
    case 'EFS':
      return fileSystemVerdict(await readFileSystem(clients.efs(), id));
    case 'S3':
      return bucketVerdict(await readBucket(clients.s3(), id));
    case 'EC2':
      return instanceVerdict(await readInstance(clients.ec2(), id));
  }
}
