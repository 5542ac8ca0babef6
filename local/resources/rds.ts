/**
 * Local Amazon RDS (query protocol, XML answers, API version 2014-10-31): DB instances and DB
 * clusters a restore created. DescribeDBInstances, DescribeDBClusters, ListTagsForResource,
 * AddTagsToResource, ModifyDBInstance, ModifyDBCluster, DeleteDBInstance, DeleteDBCluster, and
 * CreateDBInstance in a cluster: a restored Aurora cluster has no instance until one is created
 * (docs/aws-behaviour.md#rds-restore-cluster-only), and the new instance is `creating`, then
 * `available`, like every local resource. Parameter and option groups: a resource has its engine's
 * default until one is named; a name that is no group is refused as RDS refuses it
 * (docs/aws-behaviour.md#rds-group-not-found), and a parameter group named on an instance is
 * `pending-reboot`, as are a cluster's members when its cluster parameter group changes
 * (docs/aws-behaviour.md#rds-modify-groups). Nothing reboots locally.
 */

import { el, esc, formTags, type LocalReply, xml } from './reply.js';
import type { LocalResource, ResourceStore } from './store.js';

const NS = 'http://rds.amazonaws.com/doc/2014-10-31/';

function error(status: number, code: string, message: string): LocalReply {
  return xml(
    `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${esc(code)}</Code><Message>${esc(message)}</Message></Error><RequestId>${crypto.randomUUID()}</RequestId></ErrorResponse>`,
    status,
  );
}

function answer(action: string, result: string): LocalReply {
  return xml(
    `<${action}Response xmlns="${NS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${crypto.randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
  );
}

const tagList = (tags: Record<string, string>) =>
  `<TagList>${Object.entries(tags)
    .map(([k, v]) => `<Tag>${el('Key', k)}${el('Value', v)}</Tag>`)
    .join('')}</TagList>`;

/** The identifier of `DBInstanceIdentifier`/`DBClusterIdentifier`, which may be a name or an ARN. */
const idOf = (value: string | null) => (value ?? '').split(':').pop() ?? '';

function status(store: ResourceStore, r: LocalResource): string {
  if (r.deletedAt !== undefined) return 'deleting';
  return store.timed(r, 'creating', 'available');
}

/** The class of each DB instance (an instance restored from a snapshot: db.t3.micro). */
const INSTANCE_CLASS = new WeakMap<LocalResource, string>();

/** The cluster an instance created in one is a member of (DescribeDBInstances' DBClusterIdentifier). */
const MEMBER_OF = new WeakMap<LocalResource, string>();

/** Sets the class a local DB instance reports (a test's or the demo's source instance). */
export function setInstanceClass(r: LocalResource, instanceClass: string): void {
  INSTANCE_CLASS.set(r, instanceClass);
}

const PORTS: Record<string, number> = { postgres: 5432, 'aurora-postgresql': 5432, mysql: 3306 };

/** The kinds of group RDS names, as RDS's not-found error codes for them (the query protocol's). */
const GROUP_KINDS = {
  pg: { code: 'DBParameterGroupNotFound', what: 'DBParameterGroup' },
  og: { code: 'OptionGroupNotFoundFault', what: 'OptionGroup' },
  'cluster-pg': { code: 'DBClusterParameterGroupNotFound', what: 'DBClusterParameterGroup' },
} as const;
type GroupKind = keyof typeof GROUP_KINDS;

/** The groups a test or the demo created, per store; RDS's `default.`/`default:` groups always exist. */
const GROUPS = new WeakMap<ResourceStore, Set<string>>();

/** Creates a local parameter, option or cluster parameter group that steps may name. */
export function addRdsGroup(store: ResourceStore, kind: GroupKind, name: string): void {
  const groups = GROUPS.get(store) ?? new Set<string>();
  groups.add(`${kind}:${name}`);
  GROUPS.set(store, groups);
}

/** The engine's default group of a kind (`default.postgres`, `default:postgres`). */
const defaultGroup = (kind: GroupKind, engine: string) => `default${kind === 'og' ? ':' : '.'}${engine}`;

/** RDS's answer when `name` names no group of `kind`; undefined when it does. */
function groupRefusal(store: ResourceStore, kind: GroupKind, name: string): LocalReply | undefined {
  if (/^default[.:]/.test(name) || GROUPS.get(store)?.has(`${kind}:${name}`) === true) return undefined;
  const k = GROUP_KINDS[kind];
  return error(404, k.code, `${k.what} ${name} not found.`);
}

/** An instance's parameter and option groups, as DescribeDBInstances answers them. */
function instanceGroupsXml(r: LocalResource, engine: string): string {
  const pg = `<DBParameterGroup>${el('DBParameterGroupName', r.parameterGroup ?? defaultGroup('pg', engine))}${el('ParameterApplyStatus', r.parameterApplyStatus ?? 'in-sync')}</DBParameterGroup>`;
  const og = `<OptionGroupMembership>${el('OptionGroupName', r.optionGroup ?? defaultGroup('og', engine))}${el('Status', 'in-sync')}</OptionGroupMembership>`;
  return `<DBParameterGroups>${pg}</DBParameterGroups><OptionGroupMemberships>${og}</OptionGroupMemberships>`;
}

/** A cluster's members, each with whether it is the writer and its cluster parameter group status. */
function membersXml(store: ResourceStore, r: LocalResource): string {
  const member = (m: string, i: number) =>
    `<DBClusterMember>${el('DBInstanceIdentifier', m)}${el('IsClusterWriter', i === 0)}${el('DBClusterParameterGroupStatus', store.get('db', m)?.clusterParameterGroupStatus ?? 'in-sync')}</DBClusterMember>`;
  return `<DBClusterMembers>${(r.members ?? []).map(member).join('')}</DBClusterMembers>`;
}

function instanceXml(store: ResourceStore, r: LocalResource): string {
  const s = status(store, r);
  const port = PORTS[r.engine ?? 'postgres'] ?? 3306;
  // AWS gives the endpoint once the instance can take connections, not while it is created.
  const endpoint =
    s === 'creating'
      ? ''
      : `<Endpoint>${el('Address', `${r.id}.local.${store.region}.rds.amazonaws.com`)}${el('Port', port)}${el('HostedZoneId', 'Z29XKXDKYMONMX')}</Endpoint>`;
  return `<DBInstance>${el('DBInstanceIdentifier', r.id)}${el('DBInstanceArn', r.arn)}${el('DBInstanceStatus', s)}${el('Engine', r.engine ?? 'postgres')}${el('DBInstanceClass', INSTANCE_CLASS.get(r) ?? 'db.t3.micro')}${MEMBER_OF.has(r) ? el('DBClusterIdentifier', MEMBER_OF.get(r) as string) : ''}${instanceGroupsXml(r, r.engine ?? 'postgres')}${endpoint}${el('InstanceCreateTime', new Date(r.createdAt).toISOString())}${el('DeletionProtection', r.deletionProtection === true)}${tagList(r.tags)}</DBInstance>`;
}

function clusterXml(store: ResourceStore, r: LocalResource): string {
  const s = status(store, r);
  const engine = r.engine ?? 'aurora-postgresql';
  return `<DBCluster>${el('DBClusterIdentifier', r.id)}${el('DBClusterArn', r.arn)}${el('Status', s)}${el('Engine', engine)}${el('DBClusterParameterGroup', r.clusterParameterGroup ?? defaultGroup('cluster-pg', engine))}${s === 'creating' ? '' : `${el('Endpoint', `${r.id}.cluster-local.${store.region}.rds.amazonaws.com`)}${el('Port', PORTS[engine] ?? 3306)}`}${membersXml(store, r)}${el('ClusterCreateTime', new Date(r.createdAt).toISOString())}${el('DeletionProtection', r.deletionProtection === true)}${tagList(r.tags)}</DBCluster>`;
}

/** What differs between DB instances and DB clusters in the actions below. */
interface DbKind {
  kind: 'db' | 'cluster';
  idParam: 'DBInstanceIdentifier' | 'DBClusterIdentifier';
  listTag: 'DBInstances' | 'DBClusters';
  xml: (store: ResourceStore, r: LocalResource) => string;
  notFound: (id: string) => LocalReply;
}

const INSTANCE: DbKind = {
  kind: 'db',
  idParam: 'DBInstanceIdentifier',
  listTag: 'DBInstances',
  xml: instanceXml,
  notFound: (id) => error(404, 'DBInstanceNotFound', `DBInstance ${id} not found.`),
};

const CLUSTER: DbKind = {
  kind: 'cluster',
  idParam: 'DBClusterIdentifier',
  listTag: 'DBClusters',
  xml: clusterXml,
  notFound: (id) => error(404, 'DBClusterNotFoundFault', `DBCluster ${id} not found.`),
};

/** DescribeDBInstances, DescribeDBClusters: one by identifier (or ARN), or every one. */
function describe(store: ResourceStore, action: string, form: URLSearchParams): LocalReply {
  const k = action === 'DescribeDBInstances' ? INSTANCE : CLUSTER;
  const id = form.get(k.idParam);
  const found = id === null ? store.list(k.kind) : [store.get(k.kind, idOf(id))];
  if (found[0] === undefined && id !== null) return k.notFound(idOf(id));
  const list = found.filter((r): r is LocalResource => r !== undefined).map((r) => k.xml(store, r));
  return answer(action, `<${k.listTag}>${list.join('')}</${k.listTag}>`);
}

/** ListTagsForResource, AddTagsToResource (by ARN). */
function tags(store: ResourceStore, action: string, form: URLSearchParams): LocalReply {
  const arn = form.get('ResourceName') ?? '';
  const r = store.byArn(arn);
  if (r === undefined || (r.kind !== 'db' && r.kind !== 'cluster')) {
    return (arn.includes(':cluster:') ? CLUSTER : INSTANCE).notFound(idOf(arn));
  }
  if (action === 'ListTagsForResource') return answer(action, tagList(r.tags));
  Object.assign(r.tags, formTags(form, /^Tags\.[A-Za-z]+\.\d+\.Key$/));
  return xml(
    `<AddTagsToResourceResponse xmlns="${NS}"><ResponseMetadata><RequestId>${crypto.randomUUID()}</RequestId></ResponseMetadata></AddTagsToResourceResponse>`,
  );
}

/** Why RDS refuses to delete `r` now, or undefined when it may be deleted. */
function deleteRefusal(store: ResourceStore, r: LocalResource, instance: boolean, form: URLSearchParams) {
  if (r.deletionProtection === true) {
    return error(
      400,
      'InvalidParameterCombination',
      `Cannot delete protected ${instance ? 'DB Instance' : 'Cluster'}, please disable deletion protection and try again.`,
    );
  }
  // RDS refuses to delete a cluster that still has instances not being deleted.
  const live = (r.members ?? []).filter((m) => {
    const member = store.get('db', m);
    return member !== undefined && member.deletedAt === undefined;
  });
  if (!instance && live.length > 0) {
    return error(
      400,
      'InvalidDBClusterStateFault',
      'Cluster cannot be deleted, it still contains DB instances in non-deleting state.',
    );
  }
  const skip = form.get('SkipFinalSnapshot') === 'true';
  if (
    !skip &&
    form.get('FinalDBSnapshotIdentifier') === null &&
    form.get('FinalSnapshotIdentifier') === null
  ) {
    return error(
      400,
      'InvalidParameterCombination',
      'FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.',
    );
  }
  return undefined;
}

/**
 * The groups a ModifyDBInstance or ModifyDBCluster names: every one must exist (else nothing
 * changes). A parameter group's name changes at once and its parameters wait for a reboot; an
 * option group changes only with ApplyImmediately (otherwise in a maintenance window, which never
 * comes locally); a cluster parameter group leaves the cluster's members pending-reboot.
 */
function modifyGroups(store: ResourceStore, r: LocalResource, form: URLSearchParams): LocalReply | undefined {
  const named = [
    ['pg', form.get('DBParameterGroupName')],
    ['og', form.get('OptionGroupName')],
    ['cluster-pg', form.get('DBClusterParameterGroupName')],
  ] as const;
  for (const [kind, name] of named) {
    const refused = name === null ? undefined : groupRefusal(store, kind, name);
    if (refused !== undefined) return refused;
  }
  const [[, pg], [, og], [, clusterPg]] = named;
  if (r.kind === 'db' && pg !== null) {
    r.parameterGroup = pg;
    r.parameterApplyStatus = 'pending-reboot';
  }
  if (r.kind === 'db' && og !== null && form.get('ApplyImmediately') === 'true') r.optionGroup = og;
  if (r.kind === 'cluster' && clusterPg !== null) {
    r.clusterParameterGroup = clusterPg;
    for (const m of r.members ?? []) {
      const member = store.get('db', m);
      if (member !== undefined) member.clusterParameterGroupStatus = 'pending-reboot';
    }
  }
  return undefined;
}

/** ModifyDBInstance, ModifyDBCluster (deletion protection, groups), DeleteDBInstance, DeleteDBCluster. */
function modifyOrDelete(store: ResourceStore, action: string, form: URLSearchParams): LocalReply {
  const k = action.endsWith('DBInstance') ? INSTANCE : CLUSTER;
  const id = idOf(form.get(k.idParam));
  const r = store.get(k.kind, id);
  if (r === undefined) return k.notFound(id);
  if (action.startsWith('Modify')) {
    const refused = modifyGroups(store, r, form);
    if (refused !== undefined) return refused;
    const protection = form.get('DeletionProtection');
    if (protection !== null) r.deletionProtection = protection === 'true';
    return answer(action, k.xml(store, r));
  }
  const refused = deleteRefusal(store, r, k === INSTANCE, form);
  if (refused !== undefined) return refused;
  store.markDeleted(r);
  return answer(action, k.xml(store, r));
}

/**
 * CreateDBInstance in a DB cluster: the cluster must exist and be available, the engine must be
 * the cluster's, and the identifier new (docs/aws-behaviour.md#rds-create-instance-in-cluster).
 */
function createInstance(store: ResourceStore, form: URLSearchParams): LocalReply {
  const id = form.get('DBInstanceIdentifier') ?? '';
  const instanceClass = form.get('DBInstanceClass');
  const engine = form.get('Engine');
  if (id === '' || instanceClass === null || engine === null)
    return error(
      400,
      'InvalidParameterValue',
      'DBInstanceIdentifier, DBInstanceClass and Engine are required.',
    );
  if (store.get('db', id) !== undefined)
    return error(400, 'DBInstanceAlreadyExists', 'DB instance already exists');
  const clusterId = form.get('DBClusterIdentifier');
  if (clusterId === null)
    return error(400, 'InvalidParameterCombination', 'Only instances in a DB cluster are created locally.');
  const cluster = store.get('cluster', idOf(clusterId));
  if (cluster === undefined) return CLUSTER.notFound(idOf(clusterId));
  if (status(store, cluster) !== 'available')
    return error(400, 'InvalidDBClusterStateFault', `DB cluster ${cluster.id} is not in available state.`);
  const group = form.get('DBParameterGroupName');
  const refused = group === null ? undefined : groupRefusal(store, 'pg', group);
  if (refused !== undefined) return refused;
  if ((cluster.engine ?? 'aurora-postgresql') !== engine) {
    return error(
      400,
      'InvalidParameterCombination',
      `The engine name requested for your DB instance (${engine}) doesn't match the engine name of your DB cluster (${cluster.engine ?? 'aurora-postgresql'}).`,
    );
  }
  const made = store.put({
    kind: 'db',
    id,
    arn: `arn:aws:rds:${store.region}:${store.accountId}:db:${id}`,
    engine,
    tags: formTags(form, /^Tags\.[A-Za-z]+\.\d+\.Key$/),
    ...(group === null ? {} : { parameterGroup: group }),
  });
  INSTANCE_CLASS.set(made, instanceClass);
  MEMBER_OF.set(made, cluster.id);
  cluster.members = [...(cluster.members ?? []), id];
  return answer('CreateDBInstance', INSTANCE.xml(store, made));
}

/** Answers one RDS query action; undefined for an action not served locally. */
export function rdsAction(store: ResourceStore, form: URLSearchParams): LocalReply | undefined {
  const action = form.get('Action') ?? '';
  switch (action) {
    case 'DescribeDBInstances':
    case 'DescribeDBClusters':
      return describe(store, action, form);
    case 'ListTagsForResource':
    case 'AddTagsToResource':
      return tags(store, action, form);
    case 'ModifyDBInstance':
    case 'ModifyDBCluster':
    case 'DeleteDBInstance':
    case 'DeleteDBCluster':
      return modifyOrDelete(store, action, form);
    case 'CreateDBInstance':
      return createInstance(store, form);
    default:
      return undefined;
  }
}
