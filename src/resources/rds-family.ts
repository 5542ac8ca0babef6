/**
 * What RDS, Aurora, DocumentDB and Neptune share (one RDS API): a DB instance or a DB cluster read
 * for validation, tagged (AddTagsToResource) and deleted the way RDS needs (deletion protection
 * off, no final snapshot, a cluster's own instances first).
 */

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
import { call, dateOf, isNotFound, readOrMissing, tagMap } from './calls.js';
import {
  type DrillSteps,
  type DrillTarget,
  fail,
  type IamNeed,
  type Missing,
  missing,
  notYet,
  pass,
  type ResourceView,
  type RestoreRules,
  taggedNeed,
  tagWriteNeed,
  type ValidationSteps,
  type Verdict,
} from './module.js';
import { newClusterIdentity } from './names.js';
import { READY_TAG, type ReadyStep, type Target, type Value } from './ready-steps.js';

/** An RDS DB instance (DescribeDBInstances). */
export type RdsInstanceObservation =
  | Missing
  | { readonly found: true; readonly id: string; readonly status: string; readonly endpoint?: string };

/** An Aurora (or DocumentDB, Neptune) DB cluster (DescribeDBClusters). */
export type DbClusterObservation =
  | Missing
  | { readonly found: true; readonly id: string; readonly status: string; readonly endpoint?: string };

const RDS_FAILED = new Set([
  'failed',
  'incompatible-restore',
  'incompatible-parameters',
  'incompatible-network',
  'incompatible-option-group',
  'inaccessible-encryption-credentials',
  'inaccessible-encryption-credentials-recoverable',
  'storage-full',
  'restore-error',
  'deleting',
  'stopped',
  'stopping',
]);

/** RDS DB instance: `available` with an endpoint. */
export function rdsInstanceVerdict(o: RdsInstanceObservation): Verdict {
  if (!o.found) return missing('The restored DB instance');
  if (o.status === 'available') {
    return o.endpoint === undefined || o.endpoint === ''
      ? notYet(`DB instance ${o.id} is available but has no endpoint yet`)
      : pass(`DB instance ${o.id} is available at ${o.endpoint}`);
  }
  if (RDS_FAILED.has(o.status)) {
    return fail(
      `DB instance ${o.id} is ${o.status}: it cannot serve. Check its events (aws rds describe-events --source-identifier ${o.id}), fix the cause and restore again`,
    );
  }
  return notYet(`DB instance ${o.id} is ${o.status}`);
}

/** Aurora, DocumentDB or Neptune DB cluster: `available` with an endpoint. */
export function dbClusterVerdict(o: DbClusterObservation): Verdict {
  if (!o.found) return missing('The restored DB cluster');
  if (o.status === 'available') {
    return o.endpoint === undefined || o.endpoint === ''
      ? notYet(`DB cluster ${o.id} is available but has no endpoint yet`)
      : pass(
          `DB cluster ${o.id} is available at ${o.endpoint} (a restored cluster has no instances: add one before it can serve)`,
        );
  }
  if (RDS_FAILED.has(o.status) || o.status === 'inaccessible-encryption-credentials') {
    return fail(
      `DB cluster ${o.id} is ${o.status}: it cannot serve. Check its events, fix the cause and restore again`,
    );
  }
  return notYet(`DB cluster ${o.id} is ${o.status}`);
}

export async function readRdsInstance(rds: RDSClient, id: string): Promise<RdsInstanceObservation> {
  const out = await readOrMissing('DescribeDBInstances', () =>
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
  const out = await readOrMissing('DescribeDBClusters', () =>
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

/** The validation of a DB cluster (Aurora, DocumentDB, Neptune). */
export const clusterValidation: ValidationSteps = {
  check: async (clients, id) => dbClusterVerdict(await readDbCluster(clients.rds(), id)),
};

/** Deletes a DB instance: deletion protection off when on, no final snapshot. */
export async function deleteDbInstance(
  rds: RDSClient,
  id: string,
  steps: string[],
  automatedBackups: boolean,
): Promise<void> {
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

/** Puts the drill tag on a DB instance or cluster. */
export const tagDatabase: DrillSteps['tag'] = async (clients, { arn, context, rules }) => {
  await call('AddTagsToResource', () =>
    clients.rds().send(
      new AddTagsToResourceCommand({
        ResourceName: arn,
        Tags: [{ Key: rules.tagKey, Value: context.restoreJobId }],
      }),
    ),
  );
};

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

/**
 * Why a member instance of a drill's cluster is not one make-ready created for this job, or
 * undefined when AWS's own evidence says it is: it carries `backup-restore:ready` with the job's id
 * (as make-ready wrote it), it was created after the job completed (make-ready runs on COMPLETED),
 * and it is a member of this very cluster (pure).
 */
export function madeReadyRefusal(
  db: Pick<DBInstance, 'TagList' | 'InstanceCreateTime' | 'DBClusterIdentifier'> | undefined,
  clusterId: string,
  restoreJobId: string,
  jobCompletedAt: Date | undefined,
): string | undefined {
  if (tagMap(db?.TagList)[READY_TAG] !== restoreJobId)
    return `it does not carry ${READY_TAG}=${restoreJobId}`;
  if (db?.DBClusterIdentifier?.toLowerCase() !== clusterId.toLowerCase())
    return `it is not a member of cluster ${clusterId}`;
  const created = dateOf(db.InstanceCreateTime);
  if (created === undefined || jobCompletedAt === undefined)
    return 'AWS gives no creation time for it, or no completion time for the job';
  if (created.getTime() < jobCompletedAt.getTime())
    return `it was created at ${created.toISOString()}, before the job completed (${jobCompletedAt.toISOString()})`;
  return undefined;
}

/** What decides whether a cluster member is the drill's. */
interface MemberRules {
  readonly clusterId: string;
  readonly restoreJobId: string;
  readonly jobCompletedAt: Date | undefined;
  readonly tagKey: string;
}

/** A member is the drill's: tagged for this drill, or the instance make-ready added for this job. */
const drillsMember = (db: DBInstance | undefined, r: MemberRules) =>
  tagMap(db?.TagList)[r.tagKey] === r.restoreJobId ||
  madeReadyRefusal(db, r.clusterId, r.restoreJobId, r.jobCompletedAt) === undefined;

async function viewDbCluster(rds: RDSClient, r: MemberRules): Promise<ResourceView | undefined> {
  const cluster = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: r.clusterId })))
    .DBClusters?.[0];
  if (cluster === undefined) return undefined;
  const foreign: string[] = [];
  for (const member of (cluster.DBClusterMembers ?? []).map((m) => m.DBInstanceIdentifier ?? '')) {
    const db = await memberInstance(rds, member);
    if (db === 'gone') continue;
    if (!drillsMember(db, r)) foreign.push(member);
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

/** Puts the drill tag on a cluster member make-ready added for this job (its delete needs the tag). */
async function tagDrillMember(rds: RDSClient, db: DBInstance | undefined, r: MemberRules): Promise<void> {
  await call('AddTagsToResource', () =>
    rds.send(
      new AddTagsToResourceCommand({
        ResourceName: db?.DBInstanceArn,
        Tags: [{ Key: r.tagKey, Value: r.restoreJobId }],
      }),
    ),
  );
}

/**
 * Deletes a cluster: its own instances first (drill-tagged, or added by make-ready for this job),
 * protection off, no final snapshot.
 */
async function deleteDbCluster(rds: RDSClient, r: MemberRules) {
  const id = r.clusterId;
  const steps: string[] = [];
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
    // The view refused clusters with instances that are not the drill's; check again here.
    if (!drillsMember(db, r)) continue;
    const ready = tagMap(db?.TagList)[r.tagKey] !== r.restoreJobId;
    // Make-ready's instance, proven this job's, gets the drill tag first: the delete is held to
    // that tag in IAM, as every other delete of the cleanup is.
    if (ready) await tagDrillMember(rds, db, r);
    await deleteDbInstance(rds, memberId, [], false);
    steps.push(
      `DeleteDBInstance ${memberId} (cluster member${ready ? ' make-ready added, drill tag put on it' : ''}, first)`,
    );
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
  return steps;
}

/** The drill steps of a DB cluster (Aurora, DocumentDB, Neptune). */
const memberRules = (t: DrillTarget): MemberRules => ({
  clusterId: t.id,
  restoreJobId: t.context.restoreJobId,
  jobCompletedAt: t.context.jobCompletedAt,
  tagKey: t.rules.tagKey,
});

export const clusterDrill: DrillSteps = {
  view: (clients, t) => viewDbCluster(clients.rds(), memberRules(t)),
  tag: tagDatabase,
  delete: async (clients, t) => ({ steps: await deleteDbCluster(clients.rds(), memberRules(t)) }),
};

const DB = 'arn:aws:rds:eu-west-1:123456789012:db:restored-r1234567';
const CLUSTER = 'arn:aws:rds:eu-west-1:123456789012:cluster:restored-r1234567';

/** The IAM a DB instance's steps need (RDS, and a cluster's member instances). */
export const DB_INSTANCE_IAM: readonly IamNeed[] = [
  { action: 'rds:DescribeDBInstances', resource: DB, by: 'validate' },
  { action: 'rds:DescribeDBInstances', resource: DB, by: 'cleanup' },
  tagWriteNeed('rds:AddTagsToResource', DB),
  taggedNeed('rds:ModifyDBInstance', DB),
  taggedNeed('rds:DeleteDBInstance', DB),
];

/** The IAM a DB cluster's steps need (its member instances' too). */
export const DB_CLUSTER_IAM: readonly IamNeed[] = [
  { action: 'rds:DescribeDBClusters', resource: CLUSTER, by: 'validate' },
  { action: 'rds:DescribeDBClusters', resource: CLUSTER, by: 'cleanup' },
  tagWriteNeed('rds:AddTagsToResource', CLUSTER),
  taggedNeed('rds:ModifyDBCluster', CLUSTER),
  taggedNeed('rds:DeleteDBCluster', CLUSTER),
  // Its member instances; the one make-ready added is tagged for the drill before its delete.
  ...DB_INSTANCE_IAM.filter((n) => n.by === 'cleanup'),
];

/** The restore Metadata rules of a DB cluster (Aurora, DocumentDB, Neptune). */
export const CLUSTER_RESTORE = {
  required: ['dbClusterIdentifier', 'engine'],
  targetKeys: ['dbClusterIdentifier'],
  droppedKeys: ['DBSnapshotIdentifier', 'DBClusterSnapshotIdentifier'],
  copyTags: true,
  newIdentity: newClusterIdentity,
} as const satisfies RestoreRules;

/** The alarm dimension that names a DB cluster under `namespace`. */
export const clusterDimension = (namespace: string) => ({
  namespace,
  dimension: 'DBClusterIdentifier',
  arnOf: (id: string, w: { partition: string; region: string; account: string }) =>
    `arn:${w.partition}:rds:${w.region}:${w.account}:cluster:${id}`,
});

/*
 * Make-ready of parameter and option groups: a restore that names none gets the engine's default
 * groups (docs/aws-behaviour.md#rds-restore-default-groups); the steps name the source's instead.
 */

/** A group's name, with its status where RDS says it is not in sync yet (`pending-reboot`). */
export const groupValue = (name: string | undefined, status: string | undefined): Value =>
  name === undefined ? null : status === undefined || status === 'in-sync' ? name : { name, status };

/** The name in a groupValue. */
export function groupName(v: Value): string | undefined {
  if (typeof v === 'string') return v;
  const name =
    v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as { name?: Value }).name : undefined;
  return typeof name === 'string' ? name : undefined;
}

/**
 * RDS's own groups (`default.postgres16`, `default:mysql-8-0`): a group a customer creates is
 * named with letters, digits and hyphens only (docs/aws-behaviour.md#rds-default-groups).
 */
export const isDefaultGroup = (name: string): boolean => /^default[.:]/i.test(name);

const GROUP_NOT_FOUND = new Set([
  'DBParameterGroupNotFoundFault',
  'OptionGroupNotFoundFault',
  'DBClusterParameterGroupNotFoundFault',
]);

/** True for RDS's answer to a group name that names no group (docs/aws-behaviour.md#rds-group-not-found). */
export function isGroupNotFound(error: unknown): boolean {
  const e = error as { cause?: { name?: unknown }; name?: unknown; awsErrorName?: unknown };
  return [e.awsErrorName, e.cause?.name, e.name].some((name) => GROUP_NOT_FOUND.has(String(name ?? '')));
}

/** How one group step reads and names its group on the copy. */
export interface GroupStepSpec {
  readonly name: string;
  readonly key: string;
  /** The group's kind, as a person reads it ("DB parameter group"). */
  readonly what: string;
  /** The call and field that set it, for the person doing it by hand. */
  readonly call: string;
  /** The copy's group now (groupValue). */
  readonly read: (t: Target) => Promise<Value>;
  /** Names the group on the copy, applied at once. */
  readonly write: (t: Target, group: string) => Promise<unknown>;
  /** False while the copy is still `modifying`: the next change would be refused until it is not. */
  readonly settled: (t: Target) => Promise<boolean>;
}

/** Why a copy whose group was read back as `actual` differs from the source's `wanted`, or undefined. */
function explainGroup(what: string, actual: Value, wanted: string): string | undefined {
  const name = groupName(actual);
  if (isDefaultGroup(wanted))
    return name === wanted
      ? undefined
      : `the source has its engine's default ${what} (${wanted}): the copy's own (${name ?? 'none'}, the restore's) is kept`;
  const status =
    name === wanted && typeof actual === 'object' ? (actual as { status?: Value }).status : undefined;
  if (status === 'pending-reboot')
    return `${what} set; it takes full effect at the copy's next reboot (pending-reboot): make-ready does not reboot a recovered database`;
  return status === undefined ? undefined : `${what} set; RDS reports it ${String(status)}`;
}

/**
 * Names the source's group on the copy: nothing where the source has its engine's default (the
 * copy keeps the one its restore gave it) or where the source's group no longer exists; a group
 * that needs a reboot is set and recorded so, never rebooted (docs/aws-behaviour.md#rds-modify-groups).
 */
export function groupStep(spec: GroupStepSpec): ReadyStep {
  return {
    name: spec.name,
    key: spec.key,
    manual: `name the source's ${spec.what} on the restored copy (${spec.call}, ApplyImmediately), and reboot it when RDS says pending-reboot`,
    read: spec.read,
    same: (actual, wanted) => isDefaultGroup(String(wanted)) || groupName(actual) === wanted,
    write: async (t, wanted, actual) => {
      try {
        await spec.write(t, String(wanted));
        return undefined;
      } catch (error) {
        if (!isGroupNotFound(error)) throw error;
        return {
          kept: `the source's ${spec.what} ${String(wanted)} no longer exists: the copy keeps ${groupName(actual) ?? 'none'}`,
        };
      }
    },
    done: spec.settled,
    explain: (actual, wanted) => explainGroup(spec.what, actual, String(wanted)),
  };
}
