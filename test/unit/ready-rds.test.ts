/** RDS make-ready steps against a stateful fake: the source instance's tags and deletion protection. */

import {
  AddTagsToResourceCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { createLogger } from '../../src/logger';
import { makeReady } from '../../src/ready/run';
import { rdsReady } from '../../src/resources/rds';
import { addTagsTo, type Protected, protectionAndTags, readyTarget } from '../helpers/ready-fakes';

const ARN = (id: string) => `arn:aws:rds:eu-west-1:123456789012:db:${id}`;

function fake(dbs: Record<string, Protected>) {
  const mock = mockClient(RDSClient);
  const get = (id: unknown) => {
    const db = dbs[String(id).split(':').pop() ?? ''];
    if (db === undefined)
      throw Object.assign(new Error('gone'), {
        name: 'DBInstanceNotFoundFault',
        $metadata: { httpStatusCode: 404 },
      });
    return db;
  };
  mock.on(DescribeDBInstancesCommand).callsFake((i) => ({
    DBInstances: [
      { DBInstanceIdentifier: i.DBInstanceIdentifier, ...protectionAndTags(get(i.DBInstanceIdentifier)) },
    ],
  }));
  mock.on(ModifyDBInstanceCommand).callsFake((i) => {
    get(i.DBInstanceIdentifier).protection = i.DeletionProtection;
    return {};
  });
  mock.on(AddTagsToResourceCommand).callsFake(addTagsTo(get));
  return mock;
}

const target = (sourceArn?: string) =>
  readyTarget({
    restoreJobId: 'job-3',
    resourceType: 'RDS',
    restoredArn: ARN('orders-db-restored'),
    sourceArn,
  });
const run = {
  log: createLogger({ sink: () => undefined }),
  sleep: async () => undefined,
  timeLeftMs: () => 60_000,
};

describe('RDS make-ready', () => {
  it("sets the source instance's tags and deletion protection on the copy, once", async () => {
    const dbs = {
      'orders-db': { protection: true, tags: { team: 'orders', 'aws:x': 'y' } },
      'orders-db-restored': { protection: false, tags: {} as Record<string, string> },
    };
    const mock = fake(dbs);
    expect((await makeReady(run, rdsReady, target(ARN('orders-db')))).ready).toBe(true);
    expect(dbs['orders-db-restored']).toStrictEqual({
      protection: true,
      tags: { 'backup-restore:ready': 'job-3', team: 'orders' },
    });
    // No backup-retention step: the copy keeps the snapshot's, and a change between 0 and a
    // nonzero value is an outage (docs/aws-behaviour.md#rds-restore-backup-retention).
    expect(rdsReady.steps.map((s) => s.name)).toStrictEqual([
      'rds.ready-tag',
      'rds.tags',
      'rds.parameter-group',
      'rds.option-group',
      'rds.deletion-protection',
    ]);
    expect(mock.commandCalls(ModifyDBInstanceCommand).map((c) => c.args[0].input)).toStrictEqual([
      { DBInstanceIdentifier: 'orders-db-restored', DeletionProtection: true, ApplyImmediately: true },
    ]);
    mock.resetHistory();
    await makeReady(run, rdsReady, target(ARN('orders-db')));
    expect(mock.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);
    expect(mock.commandCalls(AddTagsToResourceCommand)).toHaveLength(0);
    mock.restore();
  });

  it('with the source gone, records its settings as not restored', async () => {
    const dbs = { 'orders-db-restored': { protection: false, tags: {} as Record<string, string> } };
    const mock = fake(dbs);
    const result = await makeReady(run, rdsReady, target(ARN('orders-db')));
    expect(result.ready).toBe(true);
    expect(result.steps.filter((s) => s.status === 'not-known').map((s) => s.step)).toStrictEqual([
      'rds.tags',
      'rds.parameter-group',
      'rds.option-group',
      'rds.deletion-protection',
    ]);
    mock.restore();
  });
});
