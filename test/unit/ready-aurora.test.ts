/**
 * Aurora make-ready steps against a stateful fake of RDS: the restored cluster has no instance (as
 * AWS restores it); an instance created in it is `creating`, then `available` on a later look.
 */

import { createHash } from 'node:crypto';
import { CreateDBInstanceCommand } from '@aws-sdk/client-rds';
import { createLogger } from '../../src/logger';
import { makeReady, type RunDeps, StillWaitingError } from '../../src/ready/run';
import { auroraReady } from '../../src/resources/aurora';
import { type FakeCluster, type FakeInstance, fakeAurora, readyTarget } from '../helpers/ready-fakes';

const ARN = (id: string) => `arn:aws:rds:eu-west-1:123456789012:cluster:${id}`;
/** The copy's instances: its name, a short hash of its ARN, the role. */
const HASH = createHash('sha256').update(ARN('ledger-restored')).digest('hex').slice(0, 8);
const made = (role: string) => `ledger-restored-${HASH}-${role}`;

interface LookedInstance extends FakeInstance {
  /** Looks left before it is available. */
  looks: number;
}

function fakeRds(
  clusters: Record<string, FakeCluster>,
  instances: Record<string, LookedInstance>,
  looks = 1,
) {
  return fakeAurora(clusters, instances, {
    status: 404,
    look: (db) => {
      const status = db.looks <= 0 ? 'available' : 'creating';
      db.looks--;
      return { DBInstanceStatus: status };
    },
    made: () => ({ looks }),
    joins: { writer: false },
  });
}

const world = () => ({
  clusters: {
    ledger: {
      protection: true,
      tags: { team: 'ledger' },
      clusterPg: 'ledger-cluster-pg',
      members: [
        { id: 'ledger-1', writer: true },
        { id: 'ledger-2', writer: false },
      ],
    },
    // A restore that names no group gets the engine's default.
    'ledger-restored': { protection: false, tags: {}, members: [], clusterPg: 'default.aurora-postgresql15' },
  } as Record<string, FakeCluster>,
  instances: {
    'ledger-1': { cls: 'db.r6g.large', engine: 'aurora-postgresql', pg: 'ledger-pg', looks: 0 },
    'ledger-2': { cls: 'db.r6g.large', engine: 'aurora-postgresql', looks: 0 },
  } as Record<string, LookedInstance>,
});

const target = (readers = 0, sourceArn: string | undefined = ARN('ledger')) =>
  readyTarget({
    restoreJobId: 'job-2',
    resourceType: 'Aurora',
    restoredArn: ARN('ledger-restored'),
    sourceArn,
    pointMetadata: { Engine: 'aurora-postgresql' },
    options: { readers },
  });

const sleeps: number[] = [];
const run = (timeLeftMs = 600_000): RunDeps => ({
  log: createLogger({ sink: () => undefined }),
  sleep: async (ms) => {
    sleeps.push(ms);
  },
  timeLeftMs: () => timeLeftMs,
  pollMs: 1000,
});

describe('Aurora make-ready', () => {
  it("creates an instance like the source's writer (class, engine, parameter group), waits until it is available, and adds no reader unless asked", async () => {
    const w = world();
    const mock = fakeRds(w.clusters, w.instances, 2);
    const result = await makeReady(run(), auroraReady, target());
    expect(result.ready).toBe(true);
    expect(mock.commandCalls(CreateDBInstanceCommand).map((c) => c.args[0].input)).toStrictEqual([
      {
        DBInstanceIdentifier: made('writer'),
        DBClusterIdentifier: 'ledger-restored',
        DBInstanceClass: 'db.r6g.large',
        Engine: 'aurora-postgresql',
        DBParameterGroupName: 'ledger-pg',
        Tags: [{ Key: 'backup-restore:ready', Value: 'job-2' }],
      },
    ]);
    expect(w.instances[made('writer')]?.looks).toBeLessThanOrEqual(0);
    expect(w.clusters['ledger-restored']).toMatchObject({
      protection: true,
      tags: { team: 'ledger', 'backup-restore:ready': 'job-2' },
    });
    mock.restore();
  });

  it('adds the readers the request asks for, like the writer', async () => {
    const w = world();
    const mock = fakeRds(w.clusters, w.instances);
    await makeReady(run(), auroraReady, target(2));
    expect(w.clusters['ledger-restored']?.members.map((m) => m.id)).toStrictEqual([
      made('writer'),
      made('reader-1'),
      made('reader-2'),
    ]);
    mock.restore();
  });

  it('creates nothing the second time', async () => {
    const w = world();
    const mock = fakeRds(w.clusters, w.instances);
    await makeReady(run(), auroraReady, target(1));
    mock.resetHistory();
    const again = await makeReady(run(), auroraReady, target(1));
    expect(again.steps.every((s) => s.status === 'unchanged')).toBe(true);
    expect(mock.commandCalls(CreateDBInstanceCommand)).toHaveLength(0);
    mock.restore();
  });

  it('keeps an instance the copy already has, and shows its other class in the diff', async () => {
    const w = world();
    (w.clusters['ledger-restored'] as FakeCluster).members.push({ id: 'mine', writer: true });
    w.instances.mine = { cls: 'db.t4g.medium', engine: 'aurora-postgresql', looks: 0 };
    const mock = fakeRds(w.clusters, w.instances);
    const result = await makeReady(run(), auroraReady, target());
    expect(mock.commandCalls(CreateDBInstanceCommand)).toHaveLength(0);
    expect(result.diff.find((d) => d.setting === 'writer')).toStrictEqual({
      setting: 'writer',
      restored: { instanceClass: 'db.t4g.medium', engine: 'aurora-postgresql' },
      source: { instanceClass: 'db.r6g.large', engine: 'aurora-postgresql', parameterGroup: 'ledger-pg' },
      why: 'the copy already had one, kept as it is',
    });
    mock.restore();
  });

  it('throws StillWaitingError when the instance is not available before the invocation ends (the event is retried)', async () => {
    const w = world();
    const mock = fakeRds(w.clusters, w.instances, 1000);
    await expect(makeReady(run(1500), auroraReady, target())).rejects.toThrow(StillWaitingError);
    mock.restore();
  });

  it('with the source gone, fails the writer step (the copy cannot serve without one) and never reports it ready', async () => {
    const w = world();
    delete w.clusters.ledger;
    const mock = fakeRds(w.clusters, w.instances);
    const result = await makeReady(run(), auroraReady, target());
    expect(result.ready).toBe(false);
    expect(result.steps.find((s) => s.step === 'aurora.writer-instance')).toMatchObject({
      status: 'failed',
      manual: expect.stringMatching(/CreateDBInstance/),
    });
    expect(mock.commandCalls(CreateDBInstanceCommand)).toHaveLength(0);
    mock.restore();
  });
});
