/**
 * Stateful fakes of the control planes make-ready steps call (aws-sdk-client-mock): DynamoDB tables,
 * Aurora clusters with their instances and EFS file systems, kept in plain records a test reads and
 * changes; and the Target a step runs on.
 */

import {
  DescribeContinuousBackupsCommand,
  DescribeContributorInsightsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTagsOfResourceCommand,
  TagResourceCommand,
  UpdateContinuousBackupsCommand,
  UpdateContributorInsightsCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeFileSystemsCommand,
  EFSClient,
  TagResourceCommand as EfsTagResourceCommand,
} from '@aws-sdk/client-efs';
import {
  AddTagsToResourceCommand,
  CreateDBInstanceCommand,
  type DBInstance,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import type { Target } from '../../src/resources/ready-steps';
import { REGION } from './fixtures';

/** A make-ready Target: no point metadata, no reader and clients of the region unless given; no sourceArn when it is undefined. */
export function readyTarget({
  sourceArn,
  ...t
}: Pick<Target, 'restoreJobId' | 'resourceType' | 'restoredArn'> & Partial<Target>): Target {
  return {
    pointMetadata: {},
    options: { readers: 0 },
    clients: {
      rds: () => new RDSClient({ region: REGION }),
      ddb: () => new DynamoDBClient({ region: REGION }),
      ec2: () => new EC2Client({ region: REGION }),
      efs: () => new EFSClient({ region: REGION }),
    },
    ...t,
    ...(sourceArn === undefined ? {} : { sourceArn }),
  };
}

/** An RDS resource's deletion protection and tags. */
export interface Protected {
  protection: boolean;
  tags: Record<string, string>;
}

/** What RDS's Describe calls say of a resource's deletion protection and tags. */
export const protectionAndTags = (r: Protected) => ({
  DeletionProtection: r.protection,
  TagList: Object.entries(r.tags).map(([Key, Value]) => ({ Key, Value })),
});

/** An AddTagsToResource fake that sets the tags on the resource `get` finds by its ARN. */
export const addTagsTo =
  (get: (arn: unknown) => Protected) =>
  (i: { ResourceName: string; Tags: { Key: string; Value: string }[] }) => {
    for (const t of i.Tags) get(i.ResourceName).tags[t.Key] = t.Value;
    return {};
  };

/** A DynamoDB table's settings as the fake keeps them. */
export interface FakeTable extends Protected {
  pitr: boolean;
  stream: string | null;
  ttl: string | null;
  /** Contributor Insights on (off when absent). */
  insights?: boolean;
}

/** An AWS client error as the SDK throws it: its name, message and HTTP status (400 unless given). */
export const clientError = (name: string, message: string, status = 400) =>
  Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: status } });

const notFound = () => clientError('ResourceNotFoundException', 'Requested resource not found');

/**
 * The DynamoDB control plane on `mock` over `tables` (by name or ARN): reads answer from them,
 * writes change them and are listed in `writes` ("UpdateTable orders-restored"); an unknown table
 * is ResourceNotFoundException.
 */
export function fakeTables(
  mock: AwsClientStub<DynamoDBClient>,
  tables: Record<string, FakeTable>,
  writes: string[] = [],
) {
  const get = (name: unknown) => {
    const t = tables[String(name).replace(/^arn:.*:table\//, '')];
    if (t === undefined) throw notFound();
    return t;
  };
  mock.on(DescribeTableCommand).callsFake((i) => {
    const t = get(i.TableName);
    return {
      Table: {
        TableName: i.TableName,
        TableStatus: 'ACTIVE',
        DeletionProtectionEnabled: t.protection,
        ...(t.stream === null
          ? {}
          : { StreamSpecification: { StreamEnabled: true, StreamViewType: t.stream } }),
      },
    };
  });
  mock.on(DescribeContinuousBackupsCommand).callsFake((i) => ({
    ContinuousBackupsDescription: {
      ContinuousBackupsStatus: 'ENABLED',
      PointInTimeRecoveryDescription: {
        PointInTimeRecoveryStatus: get(i.TableName).pitr ? 'ENABLED' : 'DISABLED',
      },
    },
  }));
  mock.on(DescribeTimeToLiveCommand).callsFake((i) => {
    const t = get(i.TableName);
    return {
      TimeToLiveDescription:
        t.ttl === null
          ? { TimeToLiveStatus: 'DISABLED' }
          : { TimeToLiveStatus: 'ENABLED', AttributeName: t.ttl },
    };
  });
  mock.on(ListTagsOfResourceCommand).callsFake((i) => ({
    Tags: Object.entries(get(i.ResourceArn).tags).map(([Key, Value]) => ({ Key, Value })),
  }));
  mock.on(DescribeContributorInsightsCommand).callsFake((i) => ({
    TableName: i.TableName,
    ContributorInsightsStatus: get(i.TableName).insights === true ? 'ENABLED' : 'DISABLED',
  }));
  mock.on(UpdateContributorInsightsCommand).callsFake((i) => {
    writes.push(`UpdateContributorInsights ${i.TableName} ${i.ContributorInsightsAction}`);
    get(i.TableName).insights = i.ContributorInsightsAction === 'ENABLE';
    return { TableName: i.TableName, ContributorInsightsStatus: 'ENABLING' };
  });
  mock.on(UpdateContinuousBackupsCommand).callsFake((i) => {
    writes.push(`UpdateContinuousBackups ${i.TableName}`);
    get(i.TableName).pitr = i.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled;
    return {};
  });
  mock.on(UpdateTimeToLiveCommand).callsFake((i) => {
    writes.push(`UpdateTimeToLive ${i.TableName}`);
    get(i.TableName).ttl = i.TimeToLiveSpecification.Enabled ? i.TimeToLiveSpecification.AttributeName : null;
    return {};
  });
  mock.on(UpdateTableCommand).callsFake((i) => {
    writes.push(`UpdateTable ${i.TableName}`);
    const t = get(i.TableName);
    if (i.DeletionProtectionEnabled !== undefined) t.protection = i.DeletionProtectionEnabled;
    if (i.StreamSpecification !== undefined)
      t.stream = i.StreamSpecification.StreamEnabled ? i.StreamSpecification.StreamViewType : null;
    return {};
  });
  mock.on(TagResourceCommand).callsFake((i) => {
    writes.push(`TagResource ${i.ResourceArn}`);
    for (const tag of i.Tags) get(i.ResourceArn).tags[tag.Key] = tag.Value;
    return {};
  });
  return mock;
}

/** An Aurora cluster as the fake keeps it. */
export interface FakeCluster extends Protected {
  /** Its members; `pgStatus`: their DBClusterParameterGroupStatus (none when unset). */
  members: { id: string; writer: boolean; pgStatus?: string }[];
  /** Its DB cluster parameter group (DescribeDBClusters says none when unset). */
  clusterPg?: string;
}

/** An Aurora instance as the fake keeps it; a test adds its own fields. */
export interface FakeInstance {
  cls: string;
  engine: string;
  /** Its DB parameter group (none when unset). */
  pg?: string;
}

/** How one Aurora fake differs from another. */
export interface AuroraFake<I extends FakeInstance> {
  /** The HTTP status of RDS's error answers. */
  readonly status: number;
  /** What DescribeDBInstances says of an instance beside its name, class and engine (a look may change it). */
  readonly look: (db: I) => Partial<DBInstance>;
  /** The fields of a created instance beside its class and engine, from its cluster's identifier. */
  readonly made: (cluster: string) => Omit<I, keyof FakeInstance>;
  /** The member a created instance becomes in its cluster; none: the cluster lists none. */
  readonly joins?: { writer: boolean };
  /**
   * The parameter groups that exist beside RDS's `default.` ones; a name not among them is refused
   * as RDS refuses it (DBParameterGroupNotFoundFault, DBClusterParameterGroupNotFoundFault). Unset:
   * every group exists.
   */
  readonly groups?: ReadonlySet<string>;
  /** Thrown, one per ModifyDBCluster that names a cluster parameter group, before it changes anything. */
  readonly groupWriteErrors?: Error[];
}

/** RDS over Aurora `clusters` (by identifier or ARN) and their `instances`: reads answer from them, writes change them. */
export function fakeAurora<I extends FakeInstance>(
  clusters: Record<string, FakeCluster>,
  instances: Record<string, I>,
  fake: AuroraFake<I>,
) {
  const mock = mockClient(RDSClient);
  const fault = (name: string) => clientError(name, name, fake.status);
  const cluster = (id: unknown) => {
    const c = clusters[String(id).split(':').pop() ?? ''];
    if (c === undefined) throw fault('DBClusterNotFoundFault');
    return c;
  };
  const exists = (group: string | undefined, fault: string) => {
    if (group !== undefined && !group.startsWith('default.') && fake.groups?.has(group) === false)
      throw clientError(fault, fault, 404);
  };
  mock.on(DescribeDBClustersCommand).callsFake((i) => {
    const c = cluster(i.DBClusterIdentifier);
    return {
      DBClusters: [
        {
          DBClusterIdentifier: i.DBClusterIdentifier,
          ...protectionAndTags(c),
          ...(c.clusterPg === undefined ? {} : { DBClusterParameterGroup: c.clusterPg }),
          DBClusterMembers: c.members.map((m) => ({
            DBInstanceIdentifier: m.id,
            IsClusterWriter: m.writer,
            ...(m.pgStatus === undefined ? {} : { DBClusterParameterGroupStatus: m.pgStatus }),
          })),
        },
      ],
    };
  });
  mock.on(DescribeDBInstancesCommand).callsFake((i) => {
    const db = instances[i.DBInstanceIdentifier];
    if (db === undefined) throw fault('DBInstanceNotFoundFault');
    return {
      DBInstances: [
        {
          DBInstanceIdentifier: i.DBInstanceIdentifier,
          DBInstanceClass: db.cls,
          Engine: db.engine,
          ...(db.pg === undefined
            ? {}
            : { DBParameterGroups: [{ DBParameterGroupName: db.pg, ParameterApplyStatus: 'in-sync' }] }),
          ...fake.look(db),
        },
      ],
    };
  });
  mock.on(CreateDBInstanceCommand).callsFake((i) => {
    if (instances[i.DBInstanceIdentifier] !== undefined) throw fault('DBInstanceAlreadyExistsFault');
    exists(i.DBParameterGroupName, 'DBParameterGroupNotFoundFault');
    instances[i.DBInstanceIdentifier] = {
      cls: i.DBInstanceClass,
      engine: i.Engine,
      // RDS gives the engine's default group when the create names none.
      pg: i.DBParameterGroupName ?? `default.${i.Engine}`,
      ...fake.made(i.DBClusterIdentifier),
    } as I;
    if (fake.joins !== undefined)
      cluster(i.DBClusterIdentifier).members.push({ id: i.DBInstanceIdentifier, ...fake.joins });
    return {};
  });
  mock.on(ModifyDBClusterCommand).callsFake((i) => {
    const c = cluster(i.DBClusterIdentifier);
    if (i.DeletionProtection !== undefined) c.protection = i.DeletionProtection;
    if (i.DBClusterParameterGroupName !== undefined) {
      const error = fake.groupWriteErrors?.shift();
      if (error !== undefined) throw error;
      exists(i.DBClusterParameterGroupName, 'DBClusterParameterGroupNotFoundFault');
      c.clusterPg = i.DBClusterParameterGroupName;
      // The instances there already take the new group at their next reboot.
      for (const m of c.members) m.pgStatus = 'pending-reboot';
    }
    return {};
  });
  mock.on(AddTagsToResourceCommand).callsFake(addTagsTo(cluster));
  return mock;
}

/** An RDS DB instance as the fake keeps it: its groups beside its protection and tags. */
export interface FakeDb extends Protected {
  /** Looks left for which DescribeDBInstances says `modifying` (a change being applied). */
  modifying?: number;
  pg?: string;
  /** Its ParameterApplyStatus (in-sync when unset). */
  pgStatus?: string;
  og?: string;
}

/** How the RDS instance fake refuses: groups that exist, and errors its group writes throw first. */
export interface RdsFakeRules {
  /** Groups that exist beside RDS's `default.`/`default:` ones; unset: every group exists. */
  readonly groups?: ReadonlySet<string>;
  /** Thrown, one per ModifyDBInstance that names a group, before it changes anything. */
  readonly groupWriteErrors?: Error[];
  /** Looks for which an instance is `modifying` after a ModifyDBInstance (none unless given). */
  readonly modifyingLooks?: number;
}

/**
 * RDS over DB instances `dbs` (by identifier or ARN): DescribeDBInstances answers their groups,
 * ModifyDBInstance sets deletion protection and groups (a parameter group set is `pending-reboot`,
 * as RDS reports it until a reboot; a group that does not exist is refused as RDS refuses it).
 */
export function fakeRdsInstances(dbs: Record<string, FakeDb>, rules: RdsFakeRules = {}) {
  const mock = mockClient(RDSClient);
  const get = (id: unknown) => {
    const db = dbs[String(id).split(':').pop() ?? ''];
    if (db === undefined) throw clientError('DBInstanceNotFoundFault', 'gone', 404);
    return db;
  };
  const exists = (group: string, fault: string) => {
    if (!/^default[.:]/.test(group) && rules.groups?.has(group) === false)
      throw clientError(fault, `${group} not found`, 404);
  };
  mock.on(DescribeDBInstancesCommand).callsFake((i) => {
    const db = get(i.DBInstanceIdentifier);
    const modifying = (db.modifying ?? 0) > 0;
    if (modifying) db.modifying = (db.modifying ?? 0) - 1;
    return {
      DBInstances: [
        {
          DBInstanceIdentifier: i.DBInstanceIdentifier,
          DBInstanceStatus: modifying ? 'modifying' : 'available',
          ...protectionAndTags(db),
          ...(db.pg === undefined
            ? {}
            : {
                DBParameterGroups: [
                  { DBParameterGroupName: db.pg, ParameterApplyStatus: db.pgStatus ?? 'in-sync' },
                ],
              }),
          ...(db.og === undefined
            ? {}
            : { OptionGroupMemberships: [{ OptionGroupName: db.og, Status: 'in-sync' }] }),
        },
      ],
    };
  });
  mock.on(ModifyDBInstanceCommand).callsFake((i) => {
    const db = get(i.DBInstanceIdentifier);
    // RDS refuses a change while another is being applied.
    if ((db.modifying ?? 0) > 0)
      throw clientError('InvalidDBInstanceStateFault', 'Database instance is not in available state.');
    db.modifying = rules.modifyingLooks ?? 0;
    if (i.DBParameterGroupName !== undefined || i.OptionGroupName !== undefined) {
      const error = rules.groupWriteErrors?.shift();
      if (error !== undefined) throw error;
    }
    if (i.DeletionProtection !== undefined) db.protection = i.DeletionProtection;
    if (i.DBParameterGroupName !== undefined) {
      exists(i.DBParameterGroupName, 'DBParameterGroupNotFoundFault');
      db.pg = i.DBParameterGroupName;
      db.pgStatus = 'pending-reboot';
    }
    if (i.OptionGroupName !== undefined) {
      exists(i.OptionGroupName, 'OptionGroupNotFoundFault');
      if (i.ApplyImmediately === true) db.og = i.OptionGroupName;
    }
    return {};
  });
  mock.on(AddTagsToResourceCommand).callsFake(addTagsTo(get));
  return mock;
}

/** Tags by file system id. */
export type FileSystemTags = Record<string, Record<string, string>>;

/**
 * EFS over `systems`: DescribeFileSystems answers their tags, TagResource adds to them and is listed
 * in `writes` ("fs-1 backup-restore:ready"); an unknown id is FileSystemNotFound (404), as AWS answers.
 */
export function fakeEfs(systems: FileSystemTags, writes: string[] = []) {
  const mock = mockClient(EFSClient);
  const get = (id: string) => {
    const tags = systems[id];
    if (tags !== undefined) return tags;
    throw clientError('FileSystemNotFound', `File system '${id}' does not exist.`, 404);
  };
  mock.on(DescribeFileSystemsCommand).callsFake((i) => ({
    FileSystems: [
      {
        FileSystemId: i.FileSystemId,
        LifeCycleState: 'available',
        Tags: Object.entries(get(i.FileSystemId)).map(([Key, Value]) => ({ Key, Value })),
      },
    ],
  }));
  mock.on(EfsTagResourceCommand).callsFake((i) => {
    const tags = get(i.ResourceId);
    writes.push(`${i.ResourceId} ${i.Tags.map((t: { Key: string }) => t.Key).join(',')}`);
    for (const t of i.Tags) tags[t.Key] = t.Value;
    return {};
  });
  return mock;
}
