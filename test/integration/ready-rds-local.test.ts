/**
 * RDS and Aurora groups made ready on the local endpoint, through the real makeReady handler and
 * SDK clients: a restored DB instance gets its source's parameter and option groups (the parameter
 * group pending-reboot, never rebooted), a restored Aurora cluster its source's cluster parameter
 * group and a writer with the source writer's parameter group; and the local RDS refuses a group
 * that does not exist as RDS does.
 */

import {
  CreateDBInstanceCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { addRdsGroup, setInstanceClass } from '../../local/resources/rds';
import { localClientConfig } from '../../local/setup';
import { readReadyRecord } from '../../src/table/ready';
import {
  makeReadyDepsOn,
  makeReadyOn,
  restoreAndLink,
  startValidationEnv,
  TABLE,
  type ValidationEnv,
} from './validation/local-env';

const RDS_POINT =
  'arn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-5f2a9c1e-3b7d-4e8f-9a6b-1c2d3e4f5a6b';
const AURORA_POINT =
  'arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:awsbackup:job-0b1c2d3e-3333-4e8f-9a6b-1c2d3e4f5a6b';
const ARN = (resource: string) => `arn:aws:rds:eu-west-1:123456789012:${resource}`;

let env: ValidationEnv;
let rds: RDSClient;
beforeEach(async () => {
  env = await startValidationEnv({ timing: { availableAfterMs: 0 } });
  rds = new RDSClient({ ...localClientConfig(env.aws.url, 'eu-west-1'), maxAttempts: 1 });
  // The recovery points' sources (local/seed.json), running with their own groups.
  const store = env.aws.resources.store;
  for (const [kind, name] of [
    ['pg', 'orders-pg'],
    ['og', 'orders-og'],
    ['pg', 'ledger-pg'],
    ['cluster-pg', 'ledger-cluster-pg'],
  ] as const)
    addRdsGroup(store, kind, name);
  store.put({
    kind: 'db',
    id: 'orders-db',
    arn: ARN('db:orders-db'),
    engine: 'postgres',
    parameterGroup: 'orders-pg',
    optionGroup: 'orders-og',
  });
  const writer = store.put({
    kind: 'db',
    id: 'ledger-aurora-1',
    arn: ARN('db:ledger-aurora-1'),
    engine: 'aurora-postgresql',
    parameterGroup: 'ledger-pg',
  });
  setInstanceClass(writer, 'db.r6g.large');
  store.put({
    kind: 'cluster',
    id: 'ledger-aurora',
    arn: ARN('cluster:ledger-aurora'),
    engine: 'aurora-postgresql',
    members: ['ledger-aurora-1'],
    clusterParameterGroup: 'ledger-cluster-pg',
  });
});
afterEach(async () => {
  rds.destroy();
  await env.close();
});

async function restoreMadeReady(point: string, type: string, metadata: Record<string, string>) {
  const job = await restoreAndLink(env, { RecoveryPointArn: point, ResourceType: type, Metadata: metadata });
  const outcome = await makeReadyOn(env, job.restoreJobId, makeReadyDepsOn(env, { rds: () => rds }));
  const record = await readReadyRecord(env.deps.ddb, TABLE, job.restoreJobId);
  return { job, outcome, record };
}

describe('RDS and Aurora groups made ready on the local endpoint', () => {
  it("RDS: the copy gets its source's parameter and option groups; the parameter group waits for a reboot nobody makes", async () => {
    const { job, outcome, record } = await restoreMadeReady(RDS_POINT, 'RDS', {
      DBInstanceIdentifier: 'orders-db-restored',
    });
    expect(outcome).toBe('ready');
    const copy = env.aws.resources.store.byArn(job.createdResourceArn);
    expect(copy).toMatchObject({
      parameterGroup: 'orders-pg',
      parameterApplyStatus: 'pending-reboot',
      optionGroup: 'orders-og',
    });
    expect(record?.steps.filter((s) => /group/.test(s.step)).map((s) => [s.step, s.status])).toStrictEqual([
      ['rds.parameter-group', 'changed'],
      ['rds.option-group', 'changed'],
    ]);
    expect(record?.diff.find((d) => d.setting === 'parameterGroup')?.why).toMatch(
      /next reboot \(pending-reboot\)/,
    );
    expect(record?.diff.find((d) => d.setting === 'optionGroup')).toBeUndefined();
  });

  it("Aurora: the cluster gets its source's cluster parameter group before its writer, which gets the source writer's", async () => {
    const { job, outcome, record } = await restoreMadeReady(AURORA_POINT, 'Aurora', {
      dbClusterIdentifier: 'ledger-restored',
      engine: 'aurora-postgresql',
    });
    expect(outcome).toBe('ready');
    const store = env.aws.resources.store;
    const cluster = store.byArn(job.createdResourceArn);
    expect(cluster?.clusterParameterGroup).toBe('ledger-cluster-pg');
    const writer = store.get('db', cluster?.members?.[0] ?? '');
    expect(writer).toMatchObject({ parameterGroup: 'ledger-pg' });
    // Created after the cluster's group was set: nothing waits for a reboot.
    expect(writer?.clusterParameterGroupStatus).toBeUndefined();
    expect(record?.diff.map((d) => d.setting)).not.toContain('clusterParameterGroup');
    expect(record?.diff.map((d) => d.setting)).not.toContain('writer');
  });
});

describe('the local RDS refuses a group that does not exist, as RDS does', () => {
  it('ModifyDBInstance, ModifyDBCluster and CreateDBInstance: the SDK names the fault, and nothing changes', async () => {
    await expect(
      rds.send(
        new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'orders-db', DBParameterGroupName: 'nope' }),
      ),
    ).rejects.toMatchObject({ name: 'DBParameterGroupNotFoundFault', $metadata: { httpStatusCode: 404 } });
    await expect(
      rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: 'orders-db',
          OptionGroupName: 'nope',
          DeletionProtection: true,
          ApplyImmediately: true,
        }),
      ),
    ).rejects.toMatchObject({ name: 'OptionGroupNotFoundFault' });
    await expect(
      rds.send(
        new ModifyDBClusterCommand({
          DBClusterIdentifier: 'ledger-aurora',
          DBClusterParameterGroupName: 'nope',
        }),
      ),
    ).rejects.toMatchObject({ name: 'DBClusterParameterGroupNotFoundFault' });
    await expect(
      rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: 'ledger-aurora-2',
          DBClusterIdentifier: 'ledger-aurora',
          DBInstanceClass: 'db.r6g.large',
          Engine: 'aurora-postgresql',
          DBParameterGroupName: 'nope',
        }),
      ),
    ).rejects.toMatchObject({ name: 'DBParameterGroupNotFoundFault' });
    const store = env.aws.resources.store;
    expect(store.get('db', 'orders-db')).toMatchObject({
      parameterGroup: 'orders-pg',
      optionGroup: 'orders-og',
    });
    expect(store.get('db', 'orders-db')?.deletionProtection).toBeUndefined();
    expect(store.get('cluster', 'ledger-aurora')?.clusterParameterGroup).toBe('ledger-cluster-pg');
    expect(store.get('db', 'ledger-aurora-2')).toBeUndefined();
  });

  it("an option group named without ApplyImmediately waits for a maintenance window (which never comes locally); an engine's default group always exists", async () => {
    await rds.send(
      new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'orders-db', OptionGroupName: 'default:postgres' }),
    );
    expect(env.aws.resources.store.get('db', 'orders-db')?.optionGroup).toBe('orders-og');
    await rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: 'orders-db',
        DBParameterGroupName: 'default.postgres',
      }),
    );
    expect(env.aws.resources.store.get('db', 'orders-db')).toMatchObject({
      parameterGroup: 'default.postgres',
      parameterApplyStatus: 'pending-reboot',
    });
  });
});
