/** RDS: a DB instance, restored under a new DBInstanceIdentifier. */

import {
  AddTagsToResourceCommand,
  type DBInstance,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { sortedCall } from '../aws/conditional.js';
import { dateOf, tagMap } from './calls.js';
import type { DrillSteps, ResourceTypeModule, ValidationSteps } from './module.js';
import { dbName, newName } from './names.js';
import {
  DB_INSTANCE_IAM,
  deleteDbInstance,
  rdsInstanceVerdict,
  readRdsInstance,
  tagDatabase,
} from './rds-family.js';
import { nameOf, READY_TAG, type ReadyType, type Target, type Value } from './ready-steps.js';
import { copiedTags, deletionProtectionStep, readIfExists, type Tags, tagsStep } from './ready-tags.js';

export const rds = {
  type: 'RDS',
  restore: {
    required: ['DBInstanceIdentifier'],
    targetKeys: ['DBInstanceIdentifier'],
    droppedKeys: ['DBSnapshotIdentifier', 'EngineVersion', 'KmsKeyId', 'Encrypted', 'vpcId'],
    copyTags: true,
    pointInTimeKey: 'RestoreTime',
    newIdentity: (metadata, suffix) => {
      metadata.DBInstanceIdentifier = newName(metadata.DBInstanceIdentifier, suffix, 63, dbName, 'restored');
    },
  },
  alarm: [
    {
      namespace: 'AWS/RDS',
      dimension: 'DBInstanceIdentifier',
      arnOf: (id, w) => `arn:${w.partition}:rds:${w.region}:${w.account}:db:${id}`,
    },
  ],
  validated: true,
  drillable: true,
  madeReady: true,
  iam: DB_INSTANCE_IAM,
} as const satisfies ResourceTypeModule<'RDS'>;

export const rdsValidation: ValidationSteps = {
  check: async (clients, id) => rdsInstanceVerdict(await readRdsInstance(clients.rds(), id)),
};

export const rdsDrill: DrillSteps = {
  view: async (clients, { id }) => {
    const db = (await clients.rds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })))
      .DBInstances?.[0];
    if (db === undefined) return undefined;
    return { exists: true, tags: tagMap(db.TagList), createdAt: dateOf(db.InstanceCreateTime) };
  },
  tag: tagDatabase,
  delete: async (clients, { id }) => {
    const steps: string[] = [];
    await deleteDbInstance(clients.rds(), id, steps, true);
    steps.push('DeleteDBInstance (no final snapshot)');
    return { steps };
  },
};

/*
 * Make-ready: RDS DB instances: AWS Backup's restore keeps the instance but not always its tags, and deletion
 * protection comes back as the restore request set it (docs/aws-behaviour.md#b-copy-tags). The
 * steps read the source instance and set its tags and deletion protection on the copy.
 */
async function instance(t: Target, arn: string): Promise<DBInstance> {
  const out = await sortedCall('DescribeDBInstances', () =>
    t.clients.rds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: nameOf(arn) })),
  );
  const db = out.DBInstances?.[0];
  if (db === undefined)
    throw Object.assign(new Error(`DBInstance ${nameOf(arn)} not found`), {
      name: 'DBInstanceNotFoundFault',
    });
  return db;
}

const tagsOf = (db: DBInstance): Tags =>
  Object.fromEntries((db.TagList ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));

const tagInstance = (t: Target, tags: Tags) =>
  sortedCall('AddTagsToResource', () =>
    t.clients.rds().send(
      new AddTagsToResourceCommand({
        ResourceName: t.restoredArn,
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    ),
  ).then(() => undefined);

const deletionProtection = /* @__PURE__ */ deletionProtectionStep(
  'rds.deletion-protection',
  'the restored DB instance (ModifyDBInstance DeletionProtection)',
  async (t) => (await instance(t, t.restoredArn)).DeletionProtection,
  (t, on) =>
    sortedCall('ModifyDBInstance', () =>
      t.clients.rds().send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: nameOf(t.restoredArn),
          DeletionProtection: on,
          ApplyImmediately: true,
        }),
      ),
    ),
);

/** RDS's make-ready steps: the pipeline's tag first (every later step is held to it). */
export const rdsReady: ReadyType = {
  resourceType: 'RDS',
  async readSource(t) {
    const arn = t.sourceArn;
    if (arn === undefined) return undefined;
    const db = await readIfExists(() => instance(t, arn));
    if (db === undefined) return undefined;
    const settings: Record<string, Value> = {
      deletionProtection: db.DeletionProtection === true,
      tags: copiedTags(tagsOf(db)),
    };
    return settings;
  },
  fromRecoveryPoint: () => ({}),
  steps: [
    /* @__PURE__ */ tagsStep(
      'rds.ready-tag',
      READY_TAG,
      async (t) => tagsOf(await instance(t, t.restoredArn)),
      tagInstance,
    ),
    /* @__PURE__ */ tagsStep(
      'rds.tags',
      'tags',
      async (t) => tagsOf(await instance(t, t.restoredArn)),
      tagInstance,
    ),
    deletionProtection,
  ],
  manual: [
    'parameter and option groups where the restore request did not name them',
    "backup retention only where the restore set another: the copy keeps the snapshot's, and moving it between 0 and a nonzero value is an outage",
    'the DNS name clients connect to (the copy has its own endpoint)',
  ],
};
