/**
 * What a drill does to the resource its restore created, per type: tag it (the cleanup's first run
 * after COMPLETED), read what
 * the ownership checks need (tags, name, whether someone uses it), and delete it the way AWS needs
 * (deletion protection off, no final snapshot, a cluster's instances first, nothing detached).
 * AWS errors are thrown, sorted by classifyAwsError.
 */

import {
  TagResourceCommand as DdbTagResourceCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  ListTagsOfResourceCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateTagsCommand,
  DeleteVolumeCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DeleteFileSystemCommand,
  DescribeFileSystemsCommand,
  TagResourceCommand as EfsTagResourceCommand,
} from '@aws-sdk/client-efs';
import {
  AddTagsToResourceCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
} from '@aws-sdk/client-rds';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetBucketTaggingCommand,
  ListObjectsV2Command,
  PutBucketTaggingCommand,
} from '@aws-sdk/client-s3';
import { classifyAwsError } from '../errors.js';
import { type ResourceClients, resourceIdOf } from '../validation/read-resources.js';
import { DRILL_TAG_KEY } from './drill.js';

/** The clients a drill needs (the Backup client is not used here). */
export type DrillClients = Omit<ResourceClients, 'backup'>;

const CLUSTER_TYPES = new Set(['Aurora', 'DocumentDB', 'Neptune']);

/** What the cleanup reads of a resource before deleting it. */
export interface ResourceView {
  readonly exists: boolean;
  readonly tags: Readonly<Record<string, string>>;
  /** The name the pipeline chose; undefined where AWS chooses the id (EBS, EC2). */
  readonly name: string | undefined;
  readonly nameByAws: boolean;
  /** Why the resource is in use and must be left (attached, mounted, instances not the drill's). */
  readonly inUse?: string;
}

const NOT_FOUND = new Set([
  'DBInstanceNotFound',
  'DBInstanceNotFoundFault',
  'DBClusterNotFoundFault',
  'ResourceNotFoundException',
  'InvalidVolume.NotFound',
  'InvalidInstanceID.NotFound',
  'FileSystemNotFound',
  'NoSuchBucket',
]);

async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw classifyAwsError(operation, error);
  }
}

function isNotFound(error: unknown): boolean {
  const cause = (error as { cause?: { name?: unknown } }).cause;
  const name = (error as { name?: unknown }).name;
  return NOT_FOUND.has(String(cause?.name ?? '')) || NOT_FOUND.has(String(name ?? ''));
}

const gone: ResourceView = { exists: false, tags: {}, name: undefined, nameByAws: false };
const tagMap = (list: readonly { Key?: string; Value?: string }[] | undefined) =>
  Object.fromEntries((list ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

/** Puts the drill tag (`backup-restore:drill=<jobId>`) on the created resource. */
export async function tagDrillResource(
  clients: DrillClients,
  resourceType: string,
  arn: string,
  restoreJobId: string,
): Promise<void> {
  const id = resourceIdOf(arn);
  const tag = { Key: DRILL_TAG_KEY, Value: restoreJobId };
  if (resourceType === 'RDS' || CLUSTER_TYPES.has(resourceType)) {
    await call('AddTagsToResource', () =>
      clients.rds().send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: [tag] })),
    );
  } else if (resourceType === 'DynamoDB') {
    await call('TagResource (DynamoDB)', () =>
      clients.ddb.send(new DdbTagResourceCommand({ ResourceArn: arn, Tags: [tag] })),
    );
  } else if (resourceType === 'EBS' || resourceType === 'EC2') {
    await call('CreateTags', () =>
      clients.ec2().send(new CreateTagsCommand({ Resources: [id], Tags: [tag] })),
    );
  } else if (resourceType === 'EFS') {
    await call('TagResource (EFS)', () =>
      clients.efs().send(new EfsTagResourceCommand({ ResourceId: id, Tags: [tag] })),
    );
  } else if (resourceType === 'S3') {
    // PutBucketTagging replaces the whole set: keep the tags the restore copied.
    const existing = await call('GetBucketTagging', () =>
      clients
        .s3()
        .send(new GetBucketTaggingCommand({ Bucket: id }))
        .catch((error: unknown) => {
          if ((error as { name?: string }).name === 'NoSuchTagSet') return { TagSet: [] };
          throw error;
        }),
    );
    const tags = { ...tagMap(existing.TagSet), [DRILL_TAG_KEY]: restoreJobId };
    await call('PutBucketTagging', () =>
      clients.s3().send(
        new PutBucketTaggingCommand({
          Bucket: id,
          Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
        }),
      ),
    );
  } else {
    throw classifyAwsError(
      'Tag drill resource',
      Object.assign(new Error(`drills of ${resourceType} are not cleaned up by this pipeline`), {
        name: 'InvalidRequest',
      }),
    );
  }
}

/** Reads what the ownership checks and the per-type steps need. */
export async function viewResource(
  clients: DrillClients,
  resourceType: string,
  arn: string,
  restoreJobId: string,
): Promise<ResourceView> {
  const id = resourceIdOf(arn);
  try {
    if (resourceType === 'RDS') {
      const out = await clients.rds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
      const db = out.DBInstances?.[0];
      if (db === undefined) return gone;
      return { exists: true, tags: tagMap(db.TagList), name: db.DBInstanceIdentifier, nameByAws: false };
    }
    if (CLUSTER_TYPES.has(resourceType)) {
      const out = await clients.rds().send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }));
      const cluster = out.DBClusters?.[0];
      if (cluster === undefined) return gone;
      const members = (cluster.DBClusterMembers ?? []).map((m) => m.DBInstanceIdentifier ?? '');
      const foreign: string[] = [];
      for (const member of members) {
        const db = (
          await clients.rds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: member }))
        ).DBInstances?.[0];
        if (tagMap(db?.TagList)[DRILL_TAG_KEY] !== restoreJobId) foreign.push(member);
      }
      return {
        exists: true,
        tags: tagMap(cluster.TagList),
        name: cluster.DBClusterIdentifier,
        nameByAws: false,
        ...(foreign.length === 0
          ? {}
          : { inUse: `the cluster has instances the drill did not create (${foreign.join(', ')})` }),
      };
    }
    if (resourceType === 'DynamoDB') {
      const table = (await clients.ddb.send(new DescribeTableCommand({ TableName: id }))).Table;
      if (table === undefined) return gone;
      const tags = await clients.ddb.send(new ListTagsOfResourceCommand({ ResourceArn: arn }));
      return { exists: true, tags: tagMap(tags.Tags), name: table.TableName, nameByAws: false };
    }
    if (resourceType === 'EBS') {
      const volume = (await clients.ec2().send(new DescribeVolumesCommand({ VolumeIds: [id] }))).Volumes?.[0];
      if (volume === undefined) return gone;
      const attached = (volume.Attachments ?? []).map((a) => a.InstanceId ?? '?');
      return {
        exists: true,
        tags: tagMap(volume.Tags),
        name: undefined,
        nameByAws: true,
        ...(volume.State === 'in-use' || attached.length > 0
          ? { inUse: `the volume is attached (${attached.join(', ') || 'in-use'}); it is not detached` }
          : {}),
      };
    }
    if (resourceType === 'EC2') {
      const out = await clients.ec2().send(new DescribeInstancesCommand({ InstanceIds: [id] }));
      const instance = out.Reservations?.[0]?.Instances?.[0];
      if (instance === undefined || instance.State?.Name === 'terminated') return gone;
      return { exists: true, tags: tagMap(instance.Tags), name: undefined, nameByAws: true };
    }
    if (resourceType === 'EFS') {
      const fs = (await clients.efs().send(new DescribeFileSystemsCommand({ FileSystemId: id })))
        .FileSystems?.[0];
      if (fs === undefined) return gone;
      return {
        exists: true,
        tags: tagMap(fs.Tags),
        name: fs.CreationToken,
        nameByAws: false,
        ...((fs.NumberOfMountTargets ?? 0) > 0
          ? { inUse: `the file system has ${fs.NumberOfMountTargets} mount target(s): someone uses it` }
          : {}),
      };
    }
    if (resourceType === 'S3') {
      const tags = await clients
        .s3()
        .send(new GetBucketTaggingCommand({ Bucket: id }))
        .catch((error: unknown) => {
          if ((error as { name?: string }).name === 'NoSuchTagSet') return { TagSet: [] };
          throw error;
        });
      return { exists: true, tags: tagMap(tags.TagSet), name: id, nameByAws: false };
    }
  } catch (error) {
    if (isNotFound(error)) return gone;
    throw classifyAwsError(`Describe ${resourceType} ${id}`, error);
  }
  throw classifyAwsError(
    'Describe drill resource',
    Object.assign(new Error(`drills of ${resourceType} are not cleaned up by this pipeline`), {
      name: 'InvalidRequest',
    }),
  );
}

/** Deletes a resource the checks found the drill's own. Returns the steps taken, for the record. */
export async function deleteResource(
  clients: DrillClients,
  resourceType: string,
  arn: string,
  restoreJobId: string,
): Promise<string[]> {
  const id = resourceIdOf(arn);
  const steps: string[] = [];
  if (resourceType === 'RDS') {
    const db = (
      await call('DescribeDBInstances', () =>
        clients.rds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
      )
    ).DBInstances?.[0];
    if (db?.DeletionProtection === true) {
      await call('ModifyDBInstance', () =>
        clients.rds().send(
          new ModifyDBInstanceCommand({
            DBInstanceIdentifier: id,
            DeletionProtection: false,
            ApplyImmediately: true,
          }),
        ),
      );
      steps.push('deletion protection turned off');
    }
    await call('DeleteDBInstance', () =>
      clients.rds().send(
        new DeleteDBInstanceCommand({
          DBInstanceIdentifier: id,
          SkipFinalSnapshot: true,
          DeleteAutomatedBackups: true,
        }),
      ),
    );
    steps.push('DeleteDBInstance (no final snapshot)');
  } else if (CLUSTER_TYPES.has(resourceType)) {
    const cluster = (
      await call('DescribeDBClusters', () =>
        clients.rds().send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })),
      )
    ).DBClusters?.[0];
    for (const member of cluster?.DBClusterMembers ?? []) {
      const memberId = member.DBInstanceIdentifier ?? '';
      const db = (
        await call('DescribeDBInstances', () =>
          clients.rds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: memberId })),
        )
      ).DBInstances?.[0];
      // viewResource refused clusters with instances not tagged for this drill; check again here.
      if (tagMap(db?.TagList)[DRILL_TAG_KEY] !== restoreJobId) continue;
      if (db?.DeletionProtection === true) {
        await call('ModifyDBInstance', () =>
          clients.rds().send(
            new ModifyDBInstanceCommand({
              DBInstanceIdentifier: memberId,
              DeletionProtection: false,
              ApplyImmediately: true,
            }),
          ),
        );
      }
      await call('DeleteDBInstance', () =>
        clients
          .rds()
          .send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: memberId, SkipFinalSnapshot: true })),
      );
      steps.push(`DeleteDBInstance ${memberId} (cluster member, first)`);
    }
    if (cluster?.DeletionProtection === true) {
      await call('ModifyDBCluster', () =>
        clients.rds().send(
          new ModifyDBClusterCommand({
            DBClusterIdentifier: id,
            DeletionProtection: false,
            ApplyImmediately: true,
          }),
        ),
      );
      steps.push('deletion protection turned off');
    }
    await call('DeleteDBCluster', () =>
      clients.rds().send(new DeleteDBClusterCommand({ DBClusterIdentifier: id, SkipFinalSnapshot: true })),
    );
    steps.push('DeleteDBCluster (no final snapshot)');
  } else if (resourceType === 'DynamoDB') {
    const table = (
      await call('DescribeTable', () => clients.ddb.send(new DescribeTableCommand({ TableName: id })))
    ).Table;
    if (table?.DeletionProtectionEnabled === true) {
      await call('UpdateTable', () =>
        clients.ddb.send(new UpdateTableCommand({ TableName: id, DeletionProtectionEnabled: false })),
      );
      steps.push('deletion protection turned off');
    }
    await call('DeleteTable', () => clients.ddb.send(new DeleteTableCommand({ TableName: id })));
    steps.push('DeleteTable');
  } else if (resourceType === 'EBS') {
    await call('DeleteVolume', () => clients.ec2().send(new DeleteVolumeCommand({ VolumeId: id })));
    steps.push('DeleteVolume');
  } else if (resourceType === 'EC2') {
    await call('TerminateInstances', () =>
      clients.ec2().send(new TerminateInstancesCommand({ InstanceIds: [id] })),
    );
    steps.push('TerminateInstances');
  } else if (resourceType === 'EFS') {
    await call('DeleteFileSystem', () =>
      clients.efs().send(new DeleteFileSystemCommand({ FileSystemId: id })),
    );
    steps.push('DeleteFileSystem');
  } else if (resourceType === 'S3') {
    // A bucket must be empty before DeleteBucket; every object in it came with the restore.
    let token: string | undefined;
    let removed = 0;
    do {
      const page = await call('ListObjectsV2', () =>
        clients.s3().send(
          new ListObjectsV2Command({
            Bucket: id,
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
        ),
      );
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key ?? '' }));
      if (keys.length > 0) {
        await call('DeleteObjects', () =>
          clients.s3().send(new DeleteObjectsCommand({ Bucket: id, Delete: { Objects: keys, Quiet: true } })),
        );
        removed += keys.length;
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    steps.push(`DeleteObjects (${removed})`);
    await call('DeleteBucket', () => clients.s3().send(new DeleteBucketCommand({ Bucket: id })));
    steps.push('DeleteBucket');
  }
  return steps;
}
