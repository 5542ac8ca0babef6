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
  groupStep,
  groupValue,
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
 * protection comes back as the restore request set it (docs/aws-behaviour.md#b-copy-tags); a
 * restore that names no parameter group gets the engine's default
 * (docs/aws-behaviour.md#rds-restore-default-groups). The steps read the source instance and set
 * its tags, deletion protection, parameter group and option group on the copy.
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

/** Sets one field of the copy with ModifyDBInstance, applied at once. */
const modifyCopy = (t: Target, change: { DBParameterGroupName: string } | { OptionGroupName: string }) =>
  sortedCall('ModifyDBInstance', () =>
    t.clients.rds().send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: nameOf(t.restoredArn),
        ...change,
        ApplyImmediately: true,
      }),
    ),
  );

/**
 * The copy is not `modifying`: RDS refuses another ModifyDBInstance while a change is being
 * applied (docs/aws-behaviour.md#rds-modifying), so each group step waits for its own.
 */
const settled = async (t: Target) => (await instance(t, t.restoredArn)).DBInstanceStatus !== 'modifying';

const parameterGroup = /* @__PURE__ */ groupStep({
  name: 'rds.parameter-group',
  key: 'parameterGroup',
  what: 'DB parameter group',
  call: 'ModifyDBInstance DBParameterGroupName',
  read: async (t) => {
    const g = (await instance(t, t.restoredArn)).DBParameterGroups?.[0];
    return groupValue(g?.DBParameterGroupName, g?.ParameterApplyStatus);
  },
  write: (t, group) => modifyCopy(t, { DBParameterGroupName: group }),
  settled,
});

const optionGroup = /* @__PURE__ */ groupStep({
  name: 'rds.option-group',
  key: 'optionGroup',
  what: 'option group',
  call: 'ModifyDBInstance OptionGroupName',
  read: async (t) => {
    const g = (await instance(t, t.restoredArn)).OptionGroupMemberships?.[0];
    return groupValue(g?.OptionGroupName, g?.Status);
  },
  write: (t, group) => modifyCopy(t, { OptionGroupName: group }),
  settled,
});

/** The source instance's settings the steps bring back; a group it does not name is not known. */
function sourceSettings(db: DBInstance): Record<string, Value> {
  const pg = db.DBParameterGroups?.[0]?.DBParameterGroupName;
  const og = db.OptionGroupMemberships?.[0]?.OptionGroupName;
  return {
    deletionProtection: db.DeletionProtection === true,
    tags: copiedTags(tagsOf(db)),
    ...(pg === undefined ? {} : { parameterGroup: pg }),
    ...(og === undefined ? {} : { optionGroup: og }),
  };
}

/** RDS's make-ready steps: the pipeline's tag first (every later step is held to it). */
export const rdsReady: ReadyType = {
  resourceType: 'RDS',
  async readSource(t) {
    const arn = t.sourceArn;
    if (arn === undefined) return undefined;
    const db = await readIfExists(() => instance(t, arn));
    return db === undefined ? undefined : sourceSettings(db);
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
    // The groups first: each waits until the copy is no longer `modifying`, so the next change is taken.
    parameterGroup,
    optionGroup,
    deletionProtection,
  ],
  manual: [
    "backup retention only where the restore set another: the copy keeps the snapshot's, and moving it between 0 and a nonzero value is an outage",
    'the DNS name clients connect to (the copy has its own endpoint)',
  ],
};
