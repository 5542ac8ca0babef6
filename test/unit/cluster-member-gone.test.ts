/**
 * A drill cluster whose member instance disappears between DescribeDBClusters and the member's
 * DescribeDBInstances (someone's own instance finishing its deletion) is read as if the CLUSTER
 * were gone: viewResource answers undefined, so tagDrill / cleanupDrill record the drill "gone"
 * ("the resource no longer exists; nothing was deleted"), never revisit it, send no letter: the
 * drill cluster is left behind silently.
 */
import { type DrillClients, viewResource } from '../../src/drills/resources';

const CLUSTER = 'arn:aws:rds:eu-west-1:123456789012:cluster:orders-d1a2b3c4';

function rdsFake() {
  return {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name;
      if (name === 'DescribeDBClustersCommand')
        return {
          DBClusters: [
            {
              DBClusterIdentifier: 'orders-d1a2b3c4',
              ClusterCreateTime: new Date('2026-12-06T10:00:00Z'),
              TagList: [{ Key: 'backup-restore:drill', Value: 'job-1' }],
              DBClusterMembers: [{ DBInstanceIdentifier: 'someones-reader' }],
            },
          ],
        };
      if (name === 'DescribeDBInstancesCommand') {
        // The member finished deleting a moment after the cluster was described.
        throw Object.assign(new Error('DBInstance someones-reader not found.'), {
          name: 'DBInstanceNotFoundFault',
        });
      }
      throw new Error(`unexpected ${name}`);
    },
  };
}

test('a vanished member instance does not make the drill cluster "gone"', async () => {
  const clients = { rds: () => rdsFake() } as unknown as DrillClients;
  const view = await viewResource(clients, 'Aurora', CLUSTER, {
    restoreJobId: 'job-1',
    jobCreatedAt: new Date('2026-12-06T09:59:00Z'),
    accountId: '123456789012',
    deadline: Date.now() + 60_000,
    sleep: async () => {},
  });
  // The cluster exists: it must be seen (and then deleted or refused with a letter).
  expect(view).toBeDefined();
});
