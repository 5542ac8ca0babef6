/**
 * Two recoveries of one Aurora cluster with a long name (>= 54 characters, legal up to 63): the
 * restored clusters differ only in the last hex digits of their suffix. Their writers must not get
 * one DBInstanceIdentifier (each copy gets its own instance); an instance of the name a copy's
 * writer would take that belongs to another cluster is not taken for the copy's (the step fails);
 * and a cluster that lists no instance is never "available" (docs/ready.md: "A job is never
 * reported ready otherwise").
 */
import { createHash } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  AddTagsToResourceCommand,
  CreateDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { createLogger } from '../../src/logger';
import { identitySuffix } from '../../src/plan/metadata';
import { makeReady, type RunDeps, StillWaitingError } from '../../src/ready/run';
import { auroraReady } from '../../src/resources/aurora';
import { dbName, newName } from '../../src/resources/names';
import type { Target } from '../../src/resources/ready-steps';

const ARN = (id: string) => `arn:aws:rds:eu-west-1:123456789012:cluster:${id}`;
const SOURCE = 'payments-ledger-aurora-postgresql-primary-cluster-euw1-prod'; // 59 characters

type Cluster = {
  protection: boolean;
  tags: Record<string, string>;
  members: { id: string; writer: boolean }[];
};

const first = newName(SOURCE, identitySuffix('token-1'), 63, dbName, 'restored');
const second = newName(SOURCE, identitySuffix('token-2'), 63, dbName, 'restored');

function world(options: { listsNoMember?: boolean } = {}) {
  const clusters: Record<string, Cluster> = {
    [SOURCE]: { protection: true, tags: {}, members: [{ id: 'src-1', writer: true }] },
    [first]: { protection: false, tags: {}, members: [] },
    [second]: { protection: false, tags: {}, members: [] },
  };
  const instances: Record<string, { cls: string; engine: string; cluster: string }> = {
    'src-1': { cls: 'db.r6g.large', engine: 'aurora-postgresql', cluster: SOURCE },
  };
  const mock = mockClient(RDSClient);
  const fault = (name: string) =>
    Object.assign(new Error(name), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
  const cluster = (id: unknown) => {
    const c = clusters[String(id).split(':').pop() ?? ''];
    if (c === undefined) throw fault('DBClusterNotFoundFault');
    return c;
  };
  mock.on(DescribeDBClustersCommand).callsFake((i) => {
    const c = cluster(i.DBClusterIdentifier);
    return {
      DBClusters: [
        {
          DBClusterIdentifier: i.DBClusterIdentifier,
          DeletionProtection: c.protection,
          TagList: Object.entries(c.tags).map(([Key, Value]) => ({ Key, Value })),
          DBClusterMembers: c.members.map((m) => ({ DBInstanceIdentifier: m.id, IsClusterWriter: m.writer })),
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
          DBClusterIdentifier: db.cluster,
          DBInstanceStatus: 'available',
        },
      ],
    };
  });
  mock.on(CreateDBInstanceCommand).callsFake((i) => {
    if (instances[i.DBInstanceIdentifier] !== undefined) throw fault('DBInstanceAlreadyExistsFault');
    instances[i.DBInstanceIdentifier] = {
      cls: i.DBInstanceClass,
      engine: i.Engine,
      cluster: i.DBClusterIdentifier,
    };
    if (options.listsNoMember !== true)
      cluster(i.DBClusterIdentifier).members.push({ id: i.DBInstanceIdentifier, writer: true });
    return {};
  });
  mock.on(ModifyDBClusterCommand).callsFake((i) => {
    cluster(i.DBClusterIdentifier).protection = i.DeletionProtection;
    return {};
  });
  mock.on(AddTagsToResourceCommand).callsFake((i) => {
    for (const t of i.Tags) cluster(i.ResourceName).tags[t.Key] = t.Value;
    return {};
  });
  return { mock, clusters, instances };
}

const run: RunDeps = {
  log: createLogger({ sink: () => undefined }),
  sleep: async () => undefined,
  timeLeftMs: () => 600_000,
  pollMs: 1000,
};
const target = (copy: string, job: string): Target => ({
  restoreJobId: job,
  resourceType: 'Aurora',
  restoredArn: ARN(copy),
  sourceArn: ARN(SOURCE),
  pointMetadata: {},
  options: { readers: 0 },
  clients: {
    rds: () => new RDSClient({ region: 'eu-west-1' }),
    ddb: () => new DynamoDBClient({ region: 'eu-west-1' }),
  },
});
test('two recoveries of a long-named cluster: each copy gets its own writer instance', async () => {
  expect(first).not.toBe(second);
  const { mock, clusters } = world();
  const one = await makeReady(run, auroraReady, target(first, 'job-1'));
  const two = await makeReady(run, auroraReady, target(second, 'job-2'));
  mock.restore();
  expect({ one: one.ready, two: two.ready }).toStrictEqual({ one: true, two: true });
  expect(clusters[first]?.members).toHaveLength(1);
  expect(clusters[second]?.members).toHaveLength(1);
  expect(clusters[first]?.members[0]?.id).not.toBe(clusters[second]?.members[0]?.id);
});

test("an instance of the writer's name in another cluster is not taken for the copy's", async () => {
  const { mock, clusters, instances } = world();
  const hash = createHash('sha256').update(ARN(second)).digest('hex').slice(0, 8);
  const taken = `${second.slice(0, 61 - hash.length - 'writer'.length).replace(/-+$/, '')}-${hash}-writer`;
  instances[taken] = { cls: 'db.r6g.large', engine: 'aurora-postgresql', cluster: first };
  const two = await makeReady(run, auroraReady, target(second, 'job-2'));
  mock.restore();
  expect({ members: clusters[second]?.members.length, ready: two.ready }).toStrictEqual({
    members: 0,
    ready: false,
  });
  expect(two.steps.find((s) => s.step === 'aurora.writer-instance')?.error?.message).toMatch(
    /another cluster/,
  );
});

test('a cluster that lists no instance is never available: the step waits, never ready', async () => {
  const { mock } = world({ listsNoMember: true });
  const outcome = await makeReady(
    { ...run, timeLeftMs: () => 1000 },
    auroraReady,
    target(second, 'job-2'),
  ).then(
    (r) => ({ ready: r.ready }),
    (e: unknown) => ({ thrown: e instanceof StillWaitingError }),
  );
  mock.restore();
  expect(outcome).toStrictEqual({ thrown: true });
});
