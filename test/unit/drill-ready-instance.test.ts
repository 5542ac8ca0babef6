/**
 * A drill's Aurora cluster made ready holds the writer make-ready added: it carries
 * backup-restore:ready (the job id), not the drill tag. The cleanup deletes it, then the cluster,
 * when AWS's evidence says make-ready created it for THIS job: the tag's value, a creation time
 * after the job completed, and membership of the drill's cluster; anything else is refused as not
 * the drill's.
 */

import { type DrillClients, deleteResource, viewResource } from '../../src/drills/resources';
import { madeReadyRefusal } from '../../src/resources/rds-family';

const CLUSTER = 'arn:aws:rds:eu-west-1:123456789012:cluster:orders-d1a2b3c4';
const COMPLETED = new Date('2026-12-06T10:00:00Z');
const READY_INSTANCE = {
  DBInstanceIdentifier: 'orders-d1a2b3c4-writer',
  DBInstanceArn: 'arn:aws:rds:eu-west-1:123456789012:db:orders-d1a2b3c4-writer',
  DBClusterIdentifier: 'orders-d1a2b3c4',
  InstanceCreateTime: new Date('2026-12-06T10:01:00Z'),
  TagList: [{ Key: 'backup-restore:ready', Value: 'job-1' }],
};
const context = {
  restoreJobId: 'job-1',
  jobCreatedAt: new Date('2026-12-06T09:00:00Z'),
  jobCompletedAt: COMPLETED,
  accountId: '123456789012',
  deadline: Date.now() + 60_000,
  sleep: async () => {},
};

function rdsFake(member: Record<string, unknown>) {
  const calls: string[] = [];
  const send = async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    const name = command.constructor.name.replace(/Command$/, '');
    calls.push(
      `${name} ${String(command.input.DBInstanceIdentifier ?? command.input.DBClusterIdentifier ?? command.input.ResourceName)}`,
    );
    if (name === 'DescribeDBClusters')
      return {
        DBClusters: [
          {
            DBClusterIdentifier: 'orders-d1a2b3c4',
            ClusterCreateTime: new Date('2026-12-06T09:30:00Z'),
            TagList: [
              { Key: 'backup-restore:drill', Value: 'job-1' },
              { Key: 'backup-restore:ready', Value: 'job-1' },
            ],
            DBClusterMembers: [{ DBInstanceIdentifier: member.DBInstanceIdentifier }],
          },
        ],
      };
    if (name === 'DescribeDBInstances') return { DBInstances: [member] };
    return {};
  };
  return { clients: { rds: () => ({ send }) } as unknown as DrillClients, calls };
}

describe("a drill cluster with make-ready's instance", () => {
  it("is the drill's: the instance is deleted first, then the cluster", async () => {
    const fake = rdsFake(READY_INSTANCE);
    const view = await viewResource(fake.clients, 'Aurora', CLUSTER, context);
    expect(view?.inUse).toBeUndefined();
    const deletion = await deleteResource(fake.clients, 'Aurora', CLUSTER, context);
    expect(fake.calls.filter((c) => c.startsWith('Delete'))).toStrictEqual([
      'DeleteDBInstance orders-d1a2b3c4-writer',
      'DeleteDBCluster orders-d1a2b3c4',
    ]);
    expect(deletion.steps[0]).toMatch(
      /DeleteDBInstance orders-d1a2b3c4-writer \(cluster member make-ready added, drill tag put on it, first\)/,
    );
    // The drill tag goes on before the delete: IAM holds the delete to it.
    const tagged = fake.calls.indexOf(`AddTagsToResource ${READY_INSTANCE.DBInstanceArn}`);
    expect(tagged).toBeGreaterThanOrEqual(0);
    expect(tagged).toBeLessThan(fake.calls.indexOf('DeleteDBInstance orders-d1a2b3c4-writer'));
  });

  it.each([
    [
      'another job in the tag',
      { TagList: [{ Key: 'backup-restore:ready', Value: 'job-2' }] },
      /does not carry backup-restore:ready=job-1/,
    ],
    [
      'created before the job completed',
      { InstanceCreateTime: new Date('2026-12-06T09:59:00Z') },
      /before the job completed/,
    ],
    ['no creation time', { InstanceCreateTime: undefined }, /no creation time/],
    [
      'a member of another cluster',
      { DBClusterIdentifier: 'other' },
      /not a member of cluster orders-d1a2b3c4/,
    ],
  ])('is refused when the instance has %s', async (_what, patch, why) => {
    const member = { ...READY_INSTANCE, ...patch };
    expect(madeReadyRefusal(member, 'orders-d1a2b3c4', 'job-1', COMPLETED)).toMatch(why);
    const fake = rdsFake(member);
    const view = await viewResource(fake.clients, 'Aurora', CLUSTER, context);
    expect(view?.inUse).toMatch(/instances the drill did not create \(orders-d1a2b3c4-writer\)/);
    await deleteResource(fake.clients, 'Aurora', CLUSTER, context);
    expect(fake.calls).not.toContain('DeleteDBInstance orders-d1a2b3c4-writer');
  });

  it('is refused without the job completion time', () => {
    expect(madeReadyRefusal(READY_INSTANCE, 'orders-d1a2b3c4', 'job-1', undefined)).toMatch(
      /no completion time/,
    );
  });
});
