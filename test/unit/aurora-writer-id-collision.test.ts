/**
 * Two recoveries of one Aurora cluster with a long name (>= 54 characters, legal up to 63): the
 * restored clusters differ only in the last hex digits of their suffix. Their writers must not get
 * one DBInstanceIdentifier (each copy gets its own instance); an instance of the name a copy's
 * writer would take that belongs to another cluster is not taken for the copy's (the step fails);
 * and a cluster that lists no instance is never "available" (docs/ready.md: "A job is never
 * reported ready otherwise").
 */
import { createHash } from 'node:crypto';
import { createLogger } from '../../src/logger';
import { identitySuffix } from '../../src/plan/metadata';
import { makeReady, type RunDeps, StillWaitingError } from '../../src/ready/run';
import { auroraReady } from '../../src/resources/aurora';
import { dbName, newName } from '../../src/resources/names';
import { type FakeCluster, type FakeInstance, fakeAurora, readyTarget } from '../helpers/ready-fakes';

const ARN = (id: string) => `arn:aws:rds:eu-west-1:123456789012:cluster:${id}`;
const SOURCE = 'payments-ledger-aurora-postgresql-primary-cluster-euw1-prod'; // 59 characters

const first = newName(SOURCE, identitySuffix('token-1'), 63, dbName, 'restored');
const second = newName(SOURCE, identitySuffix('token-2'), 63, dbName, 'restored');

function world(options: { listsNoMember?: boolean } = {}) {
  const clusters: Record<string, FakeCluster> = {
    [SOURCE]: { protection: true, tags: {}, members: [{ id: 'src-1', writer: true }] },
    [first]: { protection: false, tags: {}, members: [] },
    [second]: { protection: false, tags: {}, members: [] },
  };
  const instances: Record<string, FakeInstance & { cluster: string }> = {
    'src-1': { cls: 'db.r6g.large', engine: 'aurora-postgresql', cluster: SOURCE },
  };
  const mock = fakeAurora(clusters, instances, {
    status: 400,
    look: (db) => ({ DBClusterIdentifier: db.cluster, DBInstanceStatus: 'available' }),
    made: (cluster) => ({ cluster }),
    ...(options.listsNoMember === true ? {} : { joins: { writer: true } }),
  });
  return { mock, clusters, instances };
}

const run: RunDeps = {
  log: createLogger({ sink: () => undefined }),
  sleep: async () => undefined,
  timeLeftMs: () => 600_000,
  pollMs: 1000,
};
const target = (copy: string, job: string) =>
  readyTarget({ restoreJobId: job, resourceType: 'Aurora', restoredArn: ARN(copy), sourceArn: ARN(SOURCE) });
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
