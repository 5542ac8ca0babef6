/**
 * Aurora make-ready of parameter groups against a stateful fake of RDS: the source cluster's DB
 * cluster parameter group (ModifyDBCluster, set before the writer is created) and the source
 * writer's DB parameter group (CreateDBInstance). A default group on the source, or one that no
 * longer exists, changes nothing and the diff says so; nothing is ever rebooted.
 */

import { CreateDBInstanceCommand, ModifyDBClusterCommand } from '@aws-sdk/client-rds';
import { createLogger } from '../../src/logger';
import { makeReady } from '../../src/ready/run';
import { auroraReady } from '../../src/resources/aurora';
import {
  clientError,
  type FakeCluster,
  type FakeInstance,
  fakeAurora,
  readyTarget,
} from '../helpers/ready-fakes';

const ARN = (id: string) => `arn:aws:rds:eu-west-1:123456789012:cluster:${id}`;
const DEFAULT = 'default.aurora-postgresql15';

function world(sourceClusterPg = 'ledger-cluster-pg', writerPg = 'ledger-pg') {
  return {
    clusters: {
      ledger: {
        protection: false,
        tags: {},
        clusterPg: sourceClusterPg,
        members: [{ id: 'ledger-1', writer: true }],
      },
      'ledger-restored': { protection: false, tags: {}, members: [], clusterPg: DEFAULT },
    } as Record<string, FakeCluster>,
    instances: {
      'ledger-1': { cls: 'db.r6g.large', engine: 'aurora-postgresql', pg: writerPg },
    } as Record<string, FakeInstance>,
  };
}

const fake = (w: ReturnType<typeof world>, groups?: string[], groupWriteErrors?: Error[]) =>
  fakeAurora(w.clusters, w.instances, {
    status: 404,
    look: () => ({ DBInstanceStatus: 'available' }),
    made: () => ({}),
    joins: { writer: true },
    ...(groups === undefined ? {} : { groups: new Set(groups) }),
    ...(groupWriteErrors === undefined ? {} : { groupWriteErrors }),
  });

const target = () =>
  readyTarget({
    restoreJobId: 'job-7',
    resourceType: 'Aurora',
    restoredArn: ARN('ledger-restored'),
    sourceArn: ARN('ledger'),
  });
const run = {
  log: createLogger({ sink: () => undefined }),
  sleep: async () => undefined,
  timeLeftMs: () => 600_000,
  pollMs: 1000,
};
const step = (r: Awaited<ReturnType<typeof makeReady>>, name: string) => r.steps.find((s) => s.step === name);
const entry = (r: Awaited<ReturnType<typeof makeReady>>, setting: string) =>
  r.diff.find((d) => d.setting === setting);

describe('Aurora make-ready: parameter groups', () => {
  it("names the source's cluster parameter group before the writer is created, so nothing waits on a reboot", async () => {
    const w = world();
    const mock = fake(w);
    const result = await makeReady(run, auroraReady, target());
    expect(result.ready).toBe(true);
    const calls = mock.calls().map((c) => c.args[0]);
    const groupCall = calls.findIndex(
      (c) => c instanceof ModifyDBClusterCommand && c.input.DBClusterParameterGroupName !== undefined,
    );
    expect(calls[groupCall]?.input).toStrictEqual({
      DBClusterIdentifier: 'ledger-restored',
      DBClusterParameterGroupName: 'ledger-cluster-pg',
      ApplyImmediately: true,
    });
    // Set on a cluster without instances: the writer created afterwards starts with it.
    expect(groupCall).toBeGreaterThanOrEqual(0);
    expect(groupCall).toBeLessThan(calls.findIndex((c) => c instanceof CreateDBInstanceCommand));
    expect(w.clusters['ledger-restored']?.members.map((m) => m.pgStatus)).toStrictEqual([undefined]);
    expect(entry(result, 'clusterParameterGroup')).toBeUndefined();
    expect(step(result, 'aurora.cluster-parameter-group')?.status).toBe('changed');
    mock.resetHistory();
    const again = await makeReady(run, auroraReady, target());
    expect(step(again, 'aurora.cluster-parameter-group')?.status).toBe('unchanged');
    expect(mock.commandCalls(ModifyDBClusterCommand)).toHaveLength(0);
    mock.restore();
  });

  it('on a copy that has an instance already, sets the group, reboots nothing and says it waits for a reboot', async () => {
    const w = world();
    (w.clusters['ledger-restored'] as FakeCluster).members.push({ id: 'mine', writer: true });
    w.instances.mine = { cls: 'db.r6g.large', engine: 'aurora-postgresql', pg: 'ledger-pg' };
    const mock = fake(w);
    const result = await makeReady(run, auroraReady, target());
    expect(result.ready).toBe(true);
    expect(entry(result, 'clusterParameterGroup')).toStrictEqual({
      setting: 'clusterParameterGroup',
      restored: { name: 'ledger-cluster-pg', status: 'pending-reboot' },
      source: 'ledger-cluster-pg',
      why: expect.stringMatching(/takes full effect at the copy's next reboot \(pending-reboot\)/),
    });
    // No RebootDBInstance, RebootDBCluster or any call the fake does not answer.
    expect(
      mock
        .calls()
        .map((c) => (c.args[0] as object).constructor.name)
        .filter((n) => /Reboot/.test(n)),
    ).toStrictEqual([]);
    mock.restore();
  });

  it("keeps the copy's group where the source has its engine's default, and says so", async () => {
    const w = world(DEFAULT, DEFAULT);
    (w.clusters['ledger-restored'] as FakeCluster).clusterPg = 'restore-named-pg';
    const mock = fake(w);
    const result = await makeReady(run, auroraReady, target());
    expect(result.ready).toBe(true);
    expect(
      mock.commandCalls(ModifyDBClusterCommand).filter((c) => c.args[0].input.DBClusterParameterGroupName),
    ).toHaveLength(0);
    expect(entry(result, 'clusterParameterGroup')?.why).toMatch(
      /the source has its engine's default DB cluster parameter group \(default\.aurora-postgresql15\): the copy's own \(restore-named-pg/,
    );
    // The writer's default group is not named at create: RDS gives the engine's default.
    expect(mock.commandCalls(CreateDBInstanceCommand)[0]?.args[0].input.DBParameterGroupName).toBeUndefined();
    expect(entry(result, 'writer')).toBeUndefined();
    mock.restore();
  });

  it('changes nothing where the source cluster group no longer exists: the copy is ready and the diff says why', async () => {
    const w = world();
    const mock = fake(w, ['ledger-pg']);
    const result = await makeReady(run, auroraReady, target());
    expect(result.ready).toBe(true);
    expect(step(result, 'aurora.cluster-parameter-group')).toMatchObject({
      status: 'unchanged',
      note: `the source's DB cluster parameter group ledger-cluster-pg no longer exists: the copy keeps ${DEFAULT}`,
    });
    expect(w.clusters['ledger-restored']?.clusterPg).toBe(DEFAULT);
    expect(entry(result, 'clusterParameterGroup')).toStrictEqual({
      setting: 'clusterParameterGroup',
      restored: DEFAULT,
      source: 'ledger-cluster-pg',
      why: `the source's DB cluster parameter group ledger-cluster-pg no longer exists: the copy keeps ${DEFAULT}`,
    });
    mock.restore();
  });

  it("still creates the writer where the source writer's group no longer exists, with the default, and says so", async () => {
    const w = world();
    const mock = fake(w, ['ledger-cluster-pg']);
    const result = await makeReady(run, auroraReady, target());
    expect(result.ready).toBe(true);
    expect(
      mock.commandCalls(CreateDBInstanceCommand).map((c) => c.args[0].input.DBParameterGroupName),
    ).toStrictEqual(['ledger-pg', undefined]);
    expect(entry(result, 'writer')?.why).toMatch(
      /^the writer has its engine's default DB parameter group where the source's writer has ledger-pg/,
    );
    mock.restore();
  });

  it('retries a cluster group write that fails once with a retryable error', async () => {
    const w = world();
    const mock = fake(w, undefined, [clientError('ThrottlingException', 'Rate exceeded')]);
    const result = await makeReady(run, auroraReady, target());
    expect(result.ready).toBe(true);
    expect(w.clusters['ledger-restored']?.clusterPg).toBe('ledger-cluster-pg');
    mock.restore();
  });

  it('leaves the copy not ready, naming what to do, when the cluster group write always fails; the writer is still created', async () => {
    const refused = () =>
      clientError('InvalidParameterCombination', 'The DB cluster parameter group is of another family');
    const w = world();
    const mock = fake(w, undefined, Array.from({ length: 5 }, refused));
    const result = await makeReady(run, auroraReady, target());
    expect(result.ready).toBe(false);
    expect(step(result, 'aurora.cluster-parameter-group')).toMatchObject({
      status: 'failed',
      manual: expect.stringMatching(/ModifyDBCluster DBClusterParameterGroupName/),
    });
    expect(step(result, 'aurora.writer-instance')?.status).toBe('changed');
    mock.restore();
  });
});
