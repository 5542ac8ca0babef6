/**
 * RDS make-ready of the DB parameter group and the option group against a stateful fake: the
 * source's groups named on the copy with ModifyDBInstance (ApplyImmediately), never a reboot; a
 * default group on the source or one that no longer exists changes nothing, and the diff says so;
 * a group write that fails once is retried, one that always fails leaves the copy not ready.
 */

import { ModifyDBInstanceCommand } from '@aws-sdk/client-rds';
import { createLogger } from '../../src/logger';
import { makeReady, StillWaitingError } from '../../src/ready/run';
import { rdsReady } from '../../src/resources/rds';
import { clientError, type FakeDb, fakeRdsInstances, readyTarget } from '../helpers/ready-fakes';

const ARN = (id: string) => `arn:aws:rds:eu-west-1:123456789012:db:${id}`;
const DEFAULT_PG = 'default.postgres16';
const DEFAULT_OG = 'default:postgres-16';

const world = (source: Partial<FakeDb> = {}): Record<string, FakeDb> => ({
  'orders-db': { protection: false, tags: {}, pg: 'orders-pg', og: 'orders-og', ...source },
  // A restore that names no group: the engine's defaults.
  'orders-db-restored': { protection: false, tags: {}, pg: DEFAULT_PG, og: DEFAULT_OG },
});

const target = (sourceArn: string | undefined = ARN('orders-db')) =>
  readyTarget({
    restoreJobId: 'job-4',
    resourceType: 'RDS',
    restoredArn: ARN('orders-db-restored'),
    sourceArn,
  });
const run = {
  log: createLogger({ sink: () => undefined }),
  sleep: async () => undefined,
  timeLeftMs: () => 60_000,
};
type Result = Awaited<ReturnType<typeof makeReady>>;
const step = (r: Result, name: string) => r.steps.find((s) => s.step === name);
const entry = (r: Result, setting: string) => r.diff.find((d) => d.setting === setting);
const groupWrites = (mock: ReturnType<typeof fakeRdsInstances>) =>
  mock
    .commandCalls(ModifyDBInstanceCommand)
    .map((c) => c.args[0].input)
    .filter((i) => i.DBParameterGroupName !== undefined || i.OptionGroupName !== undefined);

describe('RDS make-ready: parameter and option groups', () => {
  it("names the source's groups on the copy, applied at once, and reboots nothing", async () => {
    const dbs = world();
    const mock = fakeRdsInstances(dbs);
    const result = await makeReady(run, rdsReady, target());
    expect(result.ready).toBe(true);
    expect(groupWrites(mock)).toStrictEqual([
      {
        DBInstanceIdentifier: 'orders-db-restored',
        DBParameterGroupName: 'orders-pg',
        ApplyImmediately: true,
      },
      { DBInstanceIdentifier: 'orders-db-restored', OptionGroupName: 'orders-og', ApplyImmediately: true },
    ]);
    expect(dbs['orders-db-restored']).toMatchObject({ pg: 'orders-pg', og: 'orders-og' });
    expect(mock.calls().filter((c) => /Reboot/.test((c.args[0] as object).constructor.name))).toHaveLength(0);
    // The parameter group is set; its parameters take effect at the next reboot, which the steps leave alone.
    expect(entry(result, 'parameterGroup')).toStrictEqual({
      setting: 'parameterGroup',
      restored: { name: 'orders-pg', status: 'pending-reboot' },
      source: 'orders-pg',
      why: "DB parameter group set; it takes full effect at the copy's next reboot (pending-reboot): make-ready does not reboot a recovered database",
    });
    expect(entry(result, 'optionGroup')).toBeUndefined();
    expect(result.diff.map((d) => d.setting)).not.toContain(
      'parameter and option groups where the restore request did not name them',
    );
  });

  it('writes nothing the second time', async () => {
    const dbs = world();
    const mock = fakeRdsInstances(dbs);
    await makeReady(run, rdsReady, target());
    mock.resetHistory();
    const again = await makeReady(run, rdsReady, target());
    expect(mock.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);
    expect(step(again, 'rds.parameter-group')?.status).toBe('unchanged');
    expect(step(again, 'rds.option-group')?.status).toBe('unchanged');
    expect(entry(again, 'parameterGroup')?.why).toMatch(/pending-reboot/);
  });

  it("keeps the copy's groups where the source has its engine's defaults, and says so where they differ", async () => {
    const dbs = world({ pg: DEFAULT_PG, og: DEFAULT_OG });
    Object.assign(dbs['orders-db-restored'] as FakeDb, { pg: 'restore-named-pg' });
    const mock = fakeRdsInstances(dbs);
    const result = await makeReady(run, rdsReady, target());
    expect(result.ready).toBe(true);
    expect(groupWrites(mock)).toStrictEqual([]);
    expect(entry(result, 'parameterGroup')?.why).toBe(
      "the source has its engine's default DB parameter group (default.postgres16): the copy's own (restore-named-pg, the restore's) is kept",
    );
    expect(entry(result, 'optionGroup')).toBeUndefined();
  });

  it('changes nothing where a source group no longer exists: the copy is ready and the diff says why', async () => {
    const dbs = world();
    const mock = fakeRdsInstances(dbs, { groups: new Set(['orders-og']) });
    const result = await makeReady(run, rdsReady, target());
    expect(result.ready).toBe(true);
    expect(step(result, 'rds.parameter-group')).toMatchObject({ status: 'unchanged' });
    expect(dbs['orders-db-restored']).toMatchObject({ pg: DEFAULT_PG, og: 'orders-og' });
    expect(entry(result, 'parameterGroup')).toStrictEqual({
      setting: 'parameterGroup',
      restored: DEFAULT_PG,
      source: 'orders-pg',
      why: `the source's DB parameter group orders-pg no longer exists: the copy keeps ${DEFAULT_PG}`,
    });
    mock.restore();
  });

  it('changes nothing where the source option group no longer exists, and says so', async () => {
    const dbs = world();
    const mock = fakeRdsInstances(dbs, { groups: new Set(['orders-pg']) });
    const result = await makeReady(run, rdsReady, target());
    expect(result.ready).toBe(true);
    expect(step(result, 'rds.option-group')).toMatchObject({ status: 'unchanged' });
    expect(dbs['orders-db-restored']).toMatchObject({ pg: 'orders-pg', og: DEFAULT_OG });
    expect(entry(result, 'optionGroup')?.why).toBe(
      `the source's option group orders-og no longer exists: the copy keeps ${DEFAULT_OG}`,
    );
    mock.restore();
  });

  it('with the source gone (or in another account), reads nothing and records the groups as not known', async () => {
    const dbs = world();
    delete dbs['orders-db'];
    const mock = fakeRdsInstances(dbs);
    for (const source of [ARN('orders-db'), 'arn:aws:rds:eu-west-1:999988887777:db:orders-db']) {
      const result = await makeReady(run, rdsReady, target(source));
      expect(result.ready).toBe(true);
      expect(step(result, 'rds.parameter-group')?.status).toBe('not-known');
      expect(step(result, 'rds.option-group')?.status).toBe('not-known');
    }
    expect(groupWrites(mock)).toStrictEqual([]);
  });

  it('retries a group write that fails once with a retryable error', async () => {
    const dbs = world();
    const mock = fakeRdsInstances(dbs, {
      groupWriteErrors: [clientError('ThrottlingException', 'Rate exceeded')],
    });
    const result = await makeReady(run, rdsReady, target());
    expect(result.ready).toBe(true);
    expect(dbs['orders-db-restored']).toMatchObject({ pg: 'orders-pg', og: 'orders-og' });
    expect(groupWrites(mock)).toHaveLength(3);
  });

  it('waits out a copy that is busy (InvalidDBInstanceStateFault: backing up, modifying), then names the group', async () => {
    const dbs = world();
    const mock = fakeRdsInstances(dbs, {
      groupWriteErrors: [
        clientError('InvalidDBInstanceStateFault', 'Database instance is not in available state.'),
      ],
    });
    const result = await makeReady(run, rdsReady, target());
    expect(result.ready).toBe(true);
    expect(dbs['orders-db-restored']).toMatchObject({ pg: 'orders-pg', og: 'orders-og' });
    expect(groupWrites(mock)).toHaveLength(3);
  });

  it('leaves the copy not ready, naming what to do, when a group write always fails', async () => {
    const refused = () =>
      clientError(
        'InvalidParameterCombination',
        'The parameter group orders-pg with DBParameterGroupFamily postgres15 cannot be used for this instance',
      );
    const dbs = world();
    fakeRdsInstances(dbs, { groupWriteErrors: [refused(), refused(), refused(), refused(), refused()] });
    const result = await makeReady(run, rdsReady, target());
    expect(result.ready).toBe(false);
    expect(step(result, 'rds.parameter-group')).toMatchObject({
      status: 'failed',
      manual: expect.stringMatching(/ModifyDBInstance DBParameterGroupName/),
    });
    expect(entry(result, 'parameterGroup')?.why).toMatch(
      /^the step failed: .*cannot be used for this instance/,
    );
  });

  it('tries the whole run again when a group write is throttled past every try', async () => {
    const dbs = world();
    fakeRdsInstances(dbs, {
      groupWriteErrors: Array.from({ length: 10 }, () => clientError('ThrottlingException', 'Rate exceeded')),
    });
    await expect(makeReady(run, rdsReady, target())).rejects.toThrow(StillWaitingError);
  });

  it('waits while the copy is modifying after each change, so the next change is not refused', async () => {
    const dbs = world({ protection: true });
    const sleeps: number[] = [];
    const mock = fakeRdsInstances(dbs, { modifyingLooks: 2 });
    const result = await makeReady(
      { ...run, sleep: async (ms: number) => void sleeps.push(ms), pollMs: 1000 },
      rdsReady,
      target(),
    );
    expect(result.steps.filter((s) => s.status === 'failed')).toStrictEqual([]);
    expect(result.ready).toBe(true);
    expect(dbs['orders-db-restored']).toMatchObject({ pg: 'orders-pg', og: 'orders-og', protection: true });
    expect(sleeps.filter((ms) => ms === 1000).length).toBeGreaterThanOrEqual(2);
    expect(mock.commandCalls(ModifyDBInstanceCommand)).toHaveLength(3);
  });
});
