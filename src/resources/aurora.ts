/**
 * Aurora: a DB cluster, restored under a new dbClusterIdentifier (it has no instances until one is
 * added).
 */

import { createHash } from 'node:crypto';
import {
  AddTagsToResourceCommand,
  CreateDBInstanceCommand,
  type DBCluster,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
} from '@aws-sdk/client-rds';
import { sortedCall } from '../aws/conditional.js';
import type { DrillSteps, ResourceTypeModule, ValidationSteps } from './module.js';
import {
  CLUSTER_RESTORE,
  clusterDimension,
  clusterDrill,
  clusterValidation,
  DB_CLUSTER_IAM,
  groupStep,
  groupValue,
  isDefaultGroup,
  isGroupNotFound,
} from './rds-family.js';
import { nameOf, READY_TAG, type ReadyStep, type ReadyType, type Target, type Value } from './ready-steps.js';
import { copiedTags, deletionProtectionStep, readIfExists, type Tags, tagsStep } from './ready-tags.js';

export const aurora = {
  type: 'Aurora',
  restore: { ...CLUSTER_RESTORE, pointInTimeKey: 'restoreToTime' },
  alarm: [clusterDimension('AWS/RDS')],
  validated: true,
  drillable: true,
  madeReady: true,
  iam: DB_CLUSTER_IAM,
} as const satisfies ResourceTypeModule<'Aurora'>;

export const auroraValidation: ValidationSteps = clusterValidation;
export const auroraDrill: DrillSteps = clusterDrill;

/*
 * Make-ready: Aurora: AWS Backup restores the DB cluster only, not its DB instances
 * (docs/aws-behaviour.md#rds-restore-cluster-only): a cluster without an instance takes no
 * connection. The writer step creates an instance like the source's writer (class, engine, DB
 * parameter group) and waits until it is available; readers are added only when the request asks
 * for them. The cluster's DB cluster parameter group is set before the writer is created.
 */
async function cluster(t: Target, arn: string): Promise<DBCluster> {
  const out = await sortedCall('DescribeDBClusters', () =>
    t.clients.rds().send(new DescribeDBClustersCommand({ DBClusterIdentifier: nameOf(arn) })),
  );
  const c = out.DBClusters?.[0];
  if (c === undefined)
    throw Object.assign(new Error(`DBCluster ${nameOf(arn)} not found`), { name: 'DBClusterNotFoundFault' });
  return c;
}

async function instance(t: Target, id: string) {
  const out = await sortedCall('DescribeDBInstances', () =>
    t.clients.rds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
  );
  return out.DBInstances?.[0];
}

/** What the writer step copies of an instance: its class, engine and DB parameter group. */
interface Shape {
  readonly instanceClass: string;
  readonly engine: string;
  /** Absent: the engine's default (RDS gives it to an instance created without one). */
  readonly parameterGroup?: string;
}

/** The class, engine and parameter group (unless the default) of an instance, as the writer step compares them. */
async function shape(t: Target, id: string | undefined): Promise<Value> {
  if (id === undefined) return null;
  const db = await instance(t, id);
  if (db === undefined) return null;
  const pg = db.DBParameterGroups?.[0]?.DBParameterGroupName;
  return {
    instanceClass: db.DBInstanceClass ?? '',
    engine: db.Engine ?? '',
    ...(pg === undefined || isDefaultGroup(pg) ? {} : { parameterGroup: pg }),
  };
}

const tagsOfCluster = async (t: Target, arn: string): Promise<Tags> =>
  Object.fromEntries(((await cluster(t, arn)).TagList ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));

const tagCluster = (t: Target, tags: Tags) =>
  sortedCall('AddTagsToResource', () =>
    t.clients.rds().send(
      new AddTagsToResourceCommand({
        ResourceName: t.restoredArn,
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    ),
  ).then(() => undefined);

/** CreateDBInstance in the restored cluster, tagged as the pipeline's, with `group` when one is given. */
const create = (t: Target, id: string, like: Shape, group: string | undefined) =>
  sortedCall('CreateDBInstance', () =>
    t.clients.rds().send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: id,
        DBClusterIdentifier: nameOf(t.restoredArn),
        DBInstanceClass: like.instanceClass,
        Engine: like.engine,
        ...(group === undefined ? {} : { DBParameterGroupName: group }),
        Tags: [{ Key: READY_TAG, Value: t.restoreJobId }],
      }),
    ),
  );

/**
 * Creates one instance in the restored cluster like `like`: with its parameter group unless that is
 * the engine's default (RDS gives the default when none is named); a group that no longer exists
 * is left out, so the cluster still gets its instance (the diff says so). One that exists already
 * is kept.
 */
async function createInstance(t: Target, id: string, like: Shape): Promise<void> {
  const group = like.parameterGroup;
  try {
    await create(t, id, like, group).catch((error: unknown) => {
      if (group === undefined || !isGroupNotFound(error)) throw error;
      return create(t, id, like, undefined);
    });
  } catch (error) {
    // A create whose answer was lost: the instance is there, the step's read sees it. One of the
    // same name in another cluster is not this copy's.
    if ((error as { awsErrorName?: unknown }).awsErrorName !== 'DBInstanceAlreadyExistsFault') throw error;
    const there = (await instance(t, id))?.DBClusterIdentifier;
    if (there !== nameOf(t.restoredArn))
      throw new Error(`DB instance ${id} exists already in another cluster (${there ?? 'none'})`);
  }
}

const members = async (t: Target) => (await cluster(t, t.restoredArn)).DBClusterMembers ?? [];

/**
 * Instance identifiers the steps give: at most 63 characters, the cluster's name cut to fit, then a
 * short hash of the copy's ARN, so two copies whose names share a long beginning never share one.
 */
const instanceId = (t: Target, suffix: string) => {
  const hash = createHash('sha256').update(t.restoredArn).digest('hex').slice(0, 8);
  const prefix = nameOf(t.restoredArn)
    .slice(0, 61 - hash.length - suffix.length)
    .replace(/-+$/, '');
  return `${prefix}-${hash}-${suffix}`;
};

/** True when there is at least one instance, and every one is available. */
const available = async (t: Target, ids: readonly string[]) => {
  if (ids.length === 0) return false;
  for (const id of ids) if ((await instance(t, id))?.DBInstanceStatus !== 'available') return false;
  return true;
};

const writer: ReadyStep = {
  name: 'aurora.writer-instance',
  key: 'writer',
  required: true,
  manual:
    "create a DB instance in the restored cluster with the source writer's class, engine and DB parameter group (CreateDBInstance with DBClusterIdentifier)",
  // The writer, or while none is elected yet, the first member.
  read: async (t) => {
    const m = await members(t);
    return shape(t, (m.find((x) => x.IsClusterWriter) ?? m[0])?.DBInstanceIdentifier);
  },
  // An instance that is there already is kept as it is (the diff shows a class that differs).
  same: (actual) => actual !== null,
  write: async (t, wanted) => {
    await createInstance(t, instanceId(t, 'writer'), wanted as unknown as Shape);
  },
  explain: (actual, wanted) => {
    const a = actual as Shape | null;
    const w = wanted as unknown as Shape;
    if (a === null || a.instanceClass !== w.instanceClass || a.engine !== w.engine) return undefined;
    if (a.parameterGroup === w.parameterGroup) return undefined;
    const named = (group: string | undefined) => group ?? "its engine's default DB parameter group";
    return `the writer has ${named(a.parameterGroup)} where the source's writer has ${named(w.parameterGroup)} (the source's group no longer exists, or the writer was there before): name it with ModifyDBInstance and reboot the writer`;
  },
  done: async (t) =>
    available(
      t,
      (await members(t)).map((m) => m.DBInstanceIdentifier ?? ''),
    ),
};

const readers: ReadyStep = {
  name: 'aurora.reader-instances',
  key: 'readers',
  manual: 'add the reader instances the request asked for to the restored cluster',
  read: async (t) => Math.max(0, (await members(t)).length - 1),
  same: (actual, wanted) => Number(actual) >= Number(wanted),
  write: async (t, wanted, actual) => {
    const source = (await writer.read(t)) as Shape | null;
    if (source === null) throw new Error('The restored cluster has no writer to copy readers from');
    for (let n = Number(actual) + 1; n <= Number(wanted); n++)
      await createInstance(t, instanceId(t, `reader-${n}`), source);
  },
  // No reader asked for: nothing to wait for (the writer step waits for the writer).
  done: async (t, wanted) =>
    Number(wanted) === 0 ||
    available(
      t,
      (await members(t)).map((m) => m.DBInstanceIdentifier ?? ''),
    ),
};

const deletionProtection = /* @__PURE__ */ deletionProtectionStep(
  'aurora.deletion-protection',
  'the restored cluster (ModifyDBCluster DeletionProtection)',
  async (t) => (await cluster(t, t.restoredArn)).DeletionProtection,
  (t, on) =>
    sortedCall('ModifyDBCluster', () =>
      t.clients.rds().send(
        new ModifyDBClusterCommand({
          DBClusterIdentifier: nameOf(t.restoredArn),
          DeletionProtection: on,
          ApplyImmediately: true,
        }),
      ),
    ),
);

/**
 * The cluster's DB cluster parameter group, set before the writer is created, so the writer starts
 * with it; a cluster that has instances already reports them pending-reboot
 * (docs/aws-behaviour.md#rds-modify-groups).
 */
const clusterParameterGroup = /* @__PURE__ */ groupStep({
  name: 'aurora.cluster-parameter-group',
  key: 'clusterParameterGroup',
  what: 'DB cluster parameter group',
  call: 'ModifyDBCluster DBClusterParameterGroupName',
  read: async (t) => {
    const c = await cluster(t, t.restoredArn);
    const pending = (c.DBClusterMembers ?? [])
      .map((m) => m.DBClusterParameterGroupStatus)
      .find((status) => status !== undefined && status !== 'in-sync');
    return groupValue(c.DBClusterParameterGroup, pending);
  },
  write: (t, group) =>
    sortedCall('ModifyDBCluster', () =>
      t.clients.rds().send(
        new ModifyDBClusterCommand({
          DBClusterIdentifier: nameOf(t.restoredArn),
          DBClusterParameterGroupName: group,
          ApplyImmediately: true,
        }),
      ),
    ),
  // CreateDBInstance needs the cluster available (docs/aws-behaviour.md#rds-modifying).
  settled: async (t) => (await cluster(t, t.restoredArn)).Status !== 'modifying',
});

/** The source cluster's writer, parameter groups, deletion protection and tags; undefined when the cluster is gone. */
async function readSource(t: Target) {
  const arn = t.sourceArn;
  if (arn === undefined) return undefined;
  const c = await readIfExists(() => cluster(t, arn));
  if (c === undefined) return undefined;
  const w = (c.DBClusterMembers ?? []).find((m) => m.IsClusterWriter)?.DBInstanceIdentifier;
  const settings: Record<string, Value> = {
    deletionProtection: c.DeletionProtection === true,
    tags: copiedTags(Object.fromEntries((c.TagList ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']))),
  };
  if (c.DBClusterParameterGroup !== undefined) settings.clusterParameterGroup = c.DBClusterParameterGroup;
  // A writer the cluster still lists but whose instance is gone tells nothing (the step says so).
  const shaped = await readIfExists(() => shape(t, w));
  if (shaped !== undefined && shaped !== null) settings.writer = shaped;
  return settings;
}

/** Aurora's make-ready steps: the pipeline's tag on the cluster first (every later step is held to it). */
export const auroraReady: ReadyType = {
  resourceType: 'Aurora',
  readSource,
  // The cluster's stored metadata names its engine, not its instances' class.
  fromRecoveryPoint: () => ({}),
  steps: [
    /* @__PURE__ */ tagsStep(
      'aurora.ready-tag',
      READY_TAG,
      (t) => tagsOfCluster(t, t.restoredArn),
      tagCluster,
    ),
    clusterParameterGroup,
    writer,
    readers,
    deletionProtection,
    /* @__PURE__ */ tagsStep('aurora.tags', 'tags', (t) => tagsOfCluster(t, t.restoredArn), tagCluster),
  ],
  manual: [
    "the source's security groups and subnet group where the restore request did not name them",
    "readers beyond what the request asked for (the source's reader count is not copied)",
    'backup retention, and the DNS names clients connect to (the copy has its own endpoints)',
  ],
};
