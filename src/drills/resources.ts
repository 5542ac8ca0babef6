/**
 * What a drill does to the resource its restore created, per type: read what the ownership checks
 * need (tags, the resource's own creation time, whether something else uses it), tag it (the
 * cleanup's first run after COMPLETED), and delete it the way AWS needs (deletion protection off,
 * no final snapshot, a cluster's instances first, nothing detached). RDS and EFS are here; DynamoDB,
 * EC2/EBS and S3, which need more steps, have their own modules. AWS errors are thrown, sorted by
 * classifyAwsError.
 */

import { DeleteVolumeCommand } from '@aws-sdk/client-ec2';
import {
  DeleteFileSystemCommand,
  DescribeFileSystemsCommand,
  TagResourceCommand as EfsTagResourceCommand,
} from '@aws-sdk/client-efs';
import {
  AddTagsToResourceCommand,
  type DBInstance,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import type { S3ControlClient } from '@aws-sdk/client-s3-control';
import { classifyAwsError } from '../errors.js';
import { type ResourceClients, resourceIdOf } from '../validation/read-resources.js';
import { call, type DrillContext, dateOf, isNotFound, tagMap } from './calls.js';
import { DRILL_TAG_KEY } from './drill.js';
import { deleteTable, tagTable, viewTable } from './dynamodb.js';
import { deleteInstance, tagInstance, type VolumeSweep, viewInstance, viewVolume } from './ec2.js';
import { deleteBucket, tagBucket, viewBucket } from './s3.js';

/** The clients a drill needs (the Backup client is not used here; S3 Control tags buckets). */
export type DrillClients = Omit<ResourceClients, 'backup'> & { readonly s3control: () => S3ControlClient };

const CLUSTER_TYPES = new Set(['Aurora', 'DocumentDB', 'Neptune']);

/** What the cleanup reads of a resource before tagging or deleting it. */
export interface ResourceView {
  readonly exists: true;
  readonly tags: Readonly<Record<string, string>>;
  /** When its service says it was created (see OwnershipEvidence.resourceCreatedAt). */
  readonly createdAt: Date | undefined;
  /** Why the resource must be left (attached, mounted, instances or volumes not the drill's). */
  readonly inUse?: string;
  /** EC2: the volumes attached to the instance now (recorded at tagging). */
  readonly volumeIds?: string[];
  /** EC2: the instance and attached volumes that do not carry the drill tag yet. */
  readonly toTag?: string[];
}

/** What a deletion did: its steps, and for EC2 the volumes still to delete or left. */
export type Deletion = Pick<VolumeSweep, 'steps'> & Partial<Omit<VolumeSweep, 'steps'>>;

const unsupported = (step: string, resourceType: string) =>
  classifyAwsError(
    step,
    Object.assign(new Error(`drills of ${resourceType} are not cleaned up by this pipeline`), {
      name: 'InvalidRequest',
    }),
  );

/**
 * Puts the drill tag on the created resource (EC2: on the instance and its attached volumes too),
 * only where it is not on yet: a run that died after tagging finds it and tags nothing again.
 */
export async function tagDrillResource(
  clients: DrillClients,
  resourceType: string,
  arn: string,
  context: DrillContext,
  view?: Pick<ResourceView, 'tags' | 'toTag'>,
): Promise<void> {
  const id = resourceIdOf(arn);
  const tag = { Key: DRILL_TAG_KEY, Value: context.restoreJobId };
  if (resourceType === 'EC2' && view?.toTag !== undefined) {
    if (view.toTag.length > 0) await tagInstance(clients.ec2(), view.toTag, context.restoreJobId);
    return;
  }
  if (view?.tags[DRILL_TAG_KEY] === context.restoreJobId) return;
  if (resourceType === 'RDS' || CLUSTER_TYPES.has(resourceType)) {
    await call('AddTagsToResource', () =>
      clients.rds().send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: [tag] })),
    );
  } else if (resourceType === 'DynamoDB') {
    await tagTable(clients.ddb, arn, context.restoreJobId);
  } else if (resourceType === 'EBS' || resourceType === 'EC2') {
    await tagInstance(clients.ec2(), [id, ...(context.volumeIds ?? [])], context.restoreJobId);
  } else if (resourceType === 'EFS') {
    await call('TagResource (EFS)', () =>
      clients.efs().send(new EfsTagResourceCommand({ ResourceId: id, Tags: [tag] })),
    );
  } else if (resourceType === 'S3') {
    await tagBucket(clients, id, arn, context);
  } else {
    throw unsupported('Tag drill resource', resourceType);
  }
}

async function viewDbInstance(rds: RDSClient, id: string): Promise<ResourceView | undefined> {
  const db = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
  if (db === undefined) return undefined;
  return { exists: true, tags: tagMap(db.TagList), createdAt: dateOf(db.InstanceCreateTime) };
}

/** A cluster's member instance, or 'gone' when it was deleted since the cluster was described. */
async function memberInstance(rds: RDSClient, member: string): Promise<DBInstance | undefined | 'gone'> {
  try {
    return (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: member })))
      .DBInstances?.[0];
  } catch (error) {
    if (isNotFound(error)) return 'gone';
    throw error;
  }
}

async function viewDbCluster(
  rds: RDSClient,
  id: string,
  restoreJobId: string,
): Promise<ResourceView | undefined> {
  const cluster = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })))
    .DBClusters?.[0];
  if (cluster === undefined) return undefined;
  const foreign: string[] = [];
  for (const member of (cluster.DBClusterMembers ?? []).map((m) => m.DBInstanceIdentifier ?? '')) {
    const db = await memberInstance(rds, member);
    if (db === 'gone') continue;
    if (tagMap(db?.TagList)[DRILL_TAG_KEY] !== restoreJobId) foreign.push(member);
  }
  return {
    exists: true,
    tags: tagMap(cluster.TagList),
    createdAt: dateOf(cluster.ClusterCreateTime),
    ...(foreign.length === 0
      ? {}
      : { inUse: `the cluster has instances the drill did not create (${foreign.join(', ')})` }),
  };
}

/** Reads what the ownership checks and the per-type steps need; undefined when the resource is gone. */
export async function viewResource(
  clients: DrillClients,
  resourceType: string,
  arn: string,
  context: DrillContext,
): Promise<ResourceView | undefined> {
  const id = resourceIdOf(arn);
  try {
    if (resourceType === 'RDS') return await viewDbInstance(clients.rds(), id);
    if (CLUSTER_TYPES.has(resourceType)) return await viewDbCluster(clients.rds(), id, context.restoreJobId);
    if (resourceType === 'DynamoDB') return await viewTable(clients.ddb, id, arn);
    if (resourceType === 'EBS') return await viewVolume(clients.ec2(), id);
    if (resourceType === 'EC2') return await viewInstance(clients.ec2(), id, context);
    if (resourceType === 'EFS') {
      const fs = (await clients.efs().send(new DescribeFileSystemsCommand({ FileSystemId: id })))
        .FileSystems?.[0];
      if (fs === undefined) return undefined;
      return {
        exists: true,
        tags: tagMap(fs.Tags),
        createdAt: dateOf(fs.CreationTime),
        ...((fs.NumberOfMountTargets ?? 0) > 0
          ? { inUse: `the file system has ${fs.NumberOfMountTargets} mount target(s): someone uses it` }
          : {}),
      };
    }
    if (resourceType === 'S3') return await viewBucket(clients, id, arn, context.accountId);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw classifyAwsError(`Describe ${resourceType} ${id}`, error);
  }
  throw unsupported('Describe drill resource', resourceType);
}

/** Deletes a DB instance: deletion protection off when on, no final snapshot. */
async function deleteDbInstance(rds: RDSClient, id: string, steps: string[], automatedBackups: boolean) {
  const db = (
    await call('DescribeDBInstances', () =>
      rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
    )
  ).DBInstances?.[0];
  if (db?.DeletionProtection === true) {
    await call('ModifyDBInstance', () =>
      rds.send(
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
    rds.send(
      new DeleteDBInstanceCommand({
        DBInstanceIdentifier: id,
        SkipFinalSnapshot: true,
        ...(automatedBackups ? { DeleteAutomatedBackups: true } : {}),
      }),
    ),
  );
}

/** Deletes a cluster: its own (drill-tagged) instances first, protection off, no final snapshot. */
async function deleteDbCluster(rds: RDSClient, id: string, restoreJobId: string, steps: string[]) {
  const cluster = (
    await call('DescribeDBClusters', () =>
      rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })),
    )
  ).DBClusters?.[0];
  for (const member of cluster?.DBClusterMembers ?? []) {
    const memberId = member.DBInstanceIdentifier ?? '';
    const db = (
      await call('DescribeDBInstances', () =>
        rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: memberId })),
      )
    ).DBInstances?.[0];
    // viewResource refused clusters with instances not tagged for this drill; check again here.
    if (tagMap(db?.TagList)[DRILL_TAG_KEY] !== restoreJobId) continue;
    const memberSteps: string[] = [];
    await deleteDbInstance(rds, memberId, memberSteps, false);
    steps.push(`DeleteDBInstance ${memberId} (cluster member, first)`);
  }
  if (cluster?.DeletionProtection === true) {
    await call('ModifyDBCluster', () =>
      rds.send(
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
    rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: id, SkipFinalSnapshot: true })),
  );
  steps.push('DeleteDBCluster (no final snapshot)');
}

/** Deletes a resource the checks found the drill's own. Returns what was done, for the record. */
export async function deleteResource(
  clients: DrillClients,
  resourceType: string,
  arn: string,
  context: DrillContext,
): Promise<Deletion> {
  const id = resourceIdOf(arn);
  const steps: string[] = [];
  if (resourceType === 'RDS') {
    await deleteDbInstance(clients.rds(), id, steps, true);
    steps.push('DeleteDBInstance (no final snapshot)');
  } else if (CLUSTER_TYPES.has(resourceType)) {
    await deleteDbCluster(clients.rds(), id, context.restoreJobId, steps);
  } else if (resourceType === 'DynamoDB') {
    steps.push(...(await deleteTable(clients.ddb, id, context)));
  } else if (resourceType === 'EBS') {
    await call('DeleteVolume', () => clients.ec2().send(new DeleteVolumeCommand({ VolumeId: id })));
    steps.push('DeleteVolume');
  } else if (resourceType === 'EC2') {
    return deleteInstance(clients.ec2(), id, context);
  } else if (resourceType === 'EFS') {
    await call('DeleteFileSystem', () =>
      clients.efs().send(new DeleteFileSystemCommand({ FileSystemId: id })),
    );
    steps.push('DeleteFileSystem');
  } else if (resourceType === 'S3') {
    steps.push(...(await deleteBucket(clients.s3(), id, context)));
  } else {
    throw unsupported('Delete drill resource', resourceType);
  }
  return { steps };
}
