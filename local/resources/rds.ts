/**
 * Local Amazon RDS (query protocol, XML answers, API version 2014-10-31): DB instances and DB
 * clusters a restore created. DescribeDBInstances, DescribeDBClusters, ListTagsForResource,
 * AddTagsToResource, ModifyDBInstance, ModifyDBCluster, DeleteDBInstance, DeleteDBCluster, and
 * CreateDBInstance in a cluster: a restored Aurora cluster has no instance until one is created
 * (docs/aws-behaviour.md#rds-restore-cluster-only), and the new instance is `creating`, then
 * `available`, like every local resource.
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

/** Sets the class a local DB instance reports (a test's or the demo's source instance). */
export function setInstanceClass(r: LocalResource, instanceClass: string): void {
  INSTANCE_CLASS.set(r, instanceClass);
}

/** The cluster each DB instance created in one belongs to (DescribeDBInstances DBClusterIdentifier). */
const CLUSTER_OF = new WeakMap<LocalResource, string>();

const PORTS: Record<string, number> = { postgres: 5432, 'aurora-postgresql': 5432, mysql: 3306 };

function instanceXml(store: ResourceStore, r: LocalResource): string {
  const s = status(store, r);
  const port = PORTS[r.engine ?? 'postgres'] ?? 3306;
  // AWS gives the endpoint once the instance can take connections, not while it is created.
  const endpoint =
    s === 'creating'
      ? ''
      : `<Endpoint>${el('Address', `${r.id}.local.${store.region}.rds.amazonaws.com`)}${el('Port', port)}${el('HostedZoneId', 'Z29XKXDKYMONMX')}</Endpoint>`;
  return `<DBInstance>${el('DBInstanceIdentifier', r.id)}${el('DBInstanceArn', r.arn)}${el('DBInstanceStatus', s)}${el('Engine', r.engine ?? 'postgres')}${el('DBInstanceClass', INSTANCE_CLASS.get(r) ?? 'db.t3.micro')}${CLUSTER_OF.has(r) ? el('DBClusterIdentifier', CLUSTER_OF.get(r)) : ''}${endpoint}${el('InstanceCreateTime', new Date(r.createdAt).toISOString())}${el('DeletionProtection', r.deletionProtection === true)}${tagList(r.tags)}</DBInstance>`;
}

function clusterXml(store: ResourceStore, r: LocalResource): string {
  const s = status(store, r);
  return `<DBCluster>${el('DBClusterIdentifier', r.id)}${el('DBClusterArn', r.arn)}${el('Status', s)}${el('Engine', r.engine ?? 'aurora-postgresql')}${s === 'creating' ? '' : `${el('Endpoint', `${r.id}.cluster-local.${store.region}.rds.amazonaws.com`)}${el('Port', PORTS[r.engine ?? 'aurora-postgresql'] ?? 3306)}`}<DBClusterMembers>${(r.members ?? []).map((m, i) => `<DBClusterMember>${el('DBInstanceIdentifier', m)}${el('IsClusterWriter', i === 0)}</DBClusterMember>`).join('')}</DBClusterMembers>${el('ClusterCreateTime', new Date(r.createdAt).toISOString())}${el('DeletionProtection', r.deletionProtection === true)}${tagList(r.tags)}</DBCluster>`;
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

/** ModifyDBInstance, ModifyDBCluster (deletion protection), DeleteDBInstance, DeleteDBCluster. */
function modifyOrDelete(store: ResourceStore, action: string, form: URLSearchParams): LocalReply {
  const k = action.endsWith('DBInstance') ? INSTANCE : CLUSTER;
  const id = idOf(form.get(k.idParam));
  const r = store.get(k.kind, id);
  if (r === undefined) return k.notFound(id);
  if (action.startsWith('Modify')) {
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
  });
  INSTANCE_CLASS.set(made, instanceClass);
  CLUSTER_OF.set(made, cluster.id);
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
