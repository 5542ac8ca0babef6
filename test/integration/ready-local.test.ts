/**
 * Make-ready on the local endpoint: the demo's Aurora and DynamoDB restores made ready through the
 * real handler, and the local RDS and DynamoDB refusing what AWS refuses for these steps.
 */

import {
  DescribeContinuousBackupsCommand,
  DynamoDBClient,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { type LocalAws, startLocalAws } from '../../local/endpoint';
import { defaultSeed } from '../../local/pipeline';
import { readyDemo } from '../../local/ready-demo';
import { localClientConfig } from '../../local/setup';

describe('the make-ready demo (npm start)', () => {
  it('makes an Aurora restore ready with an instance and a DynamoDB restore with PITR, stream and TTL back, timed, with the diff', async () => {
    const lines: string[] = [];
    const { aurora, table } = await readyDemo((l) => lines.push(l));
    expect(aurora?.state).toBe('ready');
    expect(aurora?.readySeconds).toBeGreaterThan(0);
    expect(aurora?.steps.find((s) => s.step === 'aurora.writer-instance')?.status).toBe('changed');
    // The source's own parameter groups: the cluster's named on the copy, the writer's on its new writer.
    expect(aurora?.steps.find((s) => s.step === 'aurora.cluster-parameter-group')?.status).toBe('changed');
    expect(lines).toContain(
      '    parameter groups now: cluster ledger-cluster-params, writer ledger-writer-params',
    );
    expect(table?.state).toBe('ready');
    expect(table?.diff.map((d) => d.setting)).toContain('name');
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {4}instances now: ledger-aurora-restored-[0-9a-f]{8}-writer$/),
    );
    expect(lines).toContain('    PITR on, stream NEW_AND_OLD_IMAGES, TTL expiresAt');
  }, 60_000);
});

describe('the local endpoint refuses what AWS refuses', () => {
  let aws: LocalAws;
  let rds: RDSClient;
  let ddb: DynamoDBClient;
  beforeAll(async () => {
    aws = await startLocalAws({
      seed: defaultSeed(),
      port: 0,
      resourceTiming: { availableAfterMs: 0, updatingMs: 0 },
    });
    rds = new RDSClient({ ...localClientConfig(aws.url, 'eu-west-1'), maxAttempts: 1 });
    ddb = new DynamoDBClient({ ...localClientConfig(aws.url, 'eu-west-1'), maxAttempts: 1 });
    const store = aws.resources.store;
    store.put({
      kind: 'cluster',
      id: 'c1',
      arn: 'arn:aws:rds:eu-west-1:123456789012:cluster:c1',
      engine: 'aurora-postgresql',
    });
    store.put({
      kind: 'cluster',
      id: 'busy',
      arn: 'arn:aws:rds:eu-west-1:123456789012:cluster:busy',
      engine: 'aurora-postgresql',
      state: 'creating',
    });
    store.put({ kind: 'table', id: 't1', arn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/t1' });
  });
  afterAll(async () => {
    rds.destroy();
    ddb.destroy();
    await aws.close();
  });
  const create = (id: string, cluster: string, engine = 'aurora-postgresql') =>
    rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: id,
        DBClusterIdentifier: cluster,
        DBInstanceClass: 'db.r6g.large',
        Engine: engine,
      }),
    );

  it('CreateDBInstance: only in an available cluster, of its engine, under a new identifier', async () => {
    await expect(create('i0', 'busy')).rejects.toMatchObject({ name: 'InvalidDBClusterStateFault' });
    await expect(create('i0', 'c1', 'aurora-mysql')).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
    });
    await expect(create('i0', 'nope')).rejects.toMatchObject({ name: 'DBClusterNotFoundFault' });
    await create('i1', 'c1');
    await expect(create('i1', 'c1')).rejects.toMatchObject({ name: 'DBInstanceAlreadyExistsFault' });
    expect(aws.resources.store.get('cluster', 'c1')?.members).toStrictEqual(['i1']);
  });

  it('UpdateTimeToLive once an hour; a stream enabled once; continuous backups of a missing table: TableNotFoundException', async () => {
    const ttl = (Enabled: boolean) =>
      ddb.send(
        new UpdateTimeToLiveCommand({
          TableName: 't1',
          TimeToLiveSpecification: { AttributeName: 'exp', Enabled },
        }),
      );
    await ttl(true);
    await expect(ttl(true)).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(ttl(false)).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/multiple times/),
    });
    const stream = () =>
      ddb.send(
        new UpdateTableCommand({
          TableName: 't1',
          StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' },
        }),
      );
    await stream();
    await expect(stream()).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(ddb.send(new DescribeContinuousBackupsCommand({ TableName: 'gone' }))).rejects.toMatchObject(
      { name: 'TableNotFoundException' },
    );
  });
});
