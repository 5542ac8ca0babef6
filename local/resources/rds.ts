/**
 * Local Amazon RDS (query protocol, XML answers, API version 2014-10-31): DB instances and DB
 * clusters a restore created. DescribeDBInstances, DescribeDBClusters, ListTagsForResource,
 * AddTagsToResource, DeleteDBInstance, DeleteDBCluster.
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

const PORTS: Record<string, number> = { postgres: 5432, 'aurora-postgresql': 5432, mysql: 3306 };

function instanceXml(store: ResourceStore, r: LocalResource): string {
  const s = status(store, r);
  const port = PORTS[r.engine ?? 'postgres'] ?? 3306;
  // AWS gives the endpoint once the instance can take connections, not while it is created.
  const endpoint =
    s === 'creating'
      ? ''
      : `<Endpoint>${el('Address', `${r.id}.local.${store.region}.rds.amazonaws.com`)}${el('Port', port)}${el('HostedZoneId', 'Z29XKXDKYMONMX')}</Endpoint>`;
  return `<DBInstance>${el('DBInstanceIdentifier', r.id)}${el('DBInstanceArn', r.arn)}${el('DBInstanceStatus', s)}${el('Engine', r.engine ?? 'postgres')}${el('DBInstanceClass', 'db.t3.micro')}${endpoint}${el('InstanceCreateTime', new Date(r.createdAt).toISOString())}${el('DeletionProtection', r.deletionProtection === true)}${tagList(r.tags)}</DBInstance>`;
}

function clusterXml(store: ResourceStore, r: LocalResource): string {
  const s = status(store, r);
  return `<DBCluster>${el('DBClusterIdentifier', r.id)}${el('DBClusterArn', r.arn)}${el('Status', s)}${el('Engine', r.engine ?? 'aurora-postgresql')}${s === 'creating' ? '' : `${el('Endpoint', `${r.id}.cluster-local.${store.region}.rds.amazonaws.com`)}${el('Port', PORTS[r.engine ?? 'aurora-postgresql'] ?? 3306)}`}<DBClusterMembers>${(r.members ?? []).map((m) => `<DBClusterMember>${el('DBInstanceIdentifier', m)}${el('IsClusterWriter', false)}</DBClusterMember>`).join('')}</DBClusterMembers>${el('ClusterCreateTime', new Date(r.createdAt).toISOString())}${el('DeletionProtection', r.deletionProtection === true)}${tagList(r.tags)}</DBCluster>`;
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

/** Answers one RDS query action; undefined for an action not served locally. */
export function rdsAction(store: ResourceStore, form: URLSearchParams): LocalReply | undefined {
  const action = form.get('Action') ?? '';
  switch (action) {
    case 'DescribeDBInstances':
    case 'DescribeDBClusters': {
      const k = action === 'DescribeDBInstances' ? INSTANCE : CLUSTER;
      const id = form.get(k.idParam);
      if (id === null)
        return answer(
          action,
          `<${k.listTag}>${store
            .list(k.kind)
            .map((r) => k.xml(store, r))
            .join('')}</${k.listTag}>`,
        );
      const r = store.get(k.kind, idOf(id));
      if (r === undefined) return k.notFound(idOf(id));
      return answer(action, `<${k.listTag}>${k.xml(store, r)}</${k.listTag}>`);
    }
    case 'ListTagsForResource':
    case 'AddTagsToResource': {
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
    case 'ModifyDBInstance':
    case 'ModifyDBCluster':
    case 'DeleteDBInstance':
    case 'DeleteDBCluster': {
      const k = action.endsWith('DBInstance') ? INSTANCE : CLUSTER;
      const id = idOf(form.get(k.idParam));
      const r = store.get(k.kind, id);
      if (r === undefined) return k.notFound(id);
      if (action.startsWith('Modify')) {
        const protection = form.get('DeletionProtection');
        if (protection !== null) r.deletionProtection = protection === 'true';
        return answer(action, k.xml(store, r));
      }
      const instance = k === INSTANCE;
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
      store.markDeleted(r);
      return answer(action, k.xml(store, r));
    }
    default:
      return undefined;
  }
}
