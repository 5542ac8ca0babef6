/**
 * The source cluster still lists a writer whose instance is gone (deleted in the incident the
 * recovery is for): readSource's DescribeDBInstances throws DBInstanceNotFoundFault, which is not
 * read as "the source does not tell" (readIfExists wraps only the cluster read), so makeReady
 * throws, the handler throws, Lambda retries the same failure twice and the event ends as an
 * on-failure record: no `not-ready` record and no letter with the original request and the step.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EFSClient } from '@aws-sdk/client-efs';
import {
  AddTagsToResourceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { createLogger } from '../../src/logger';
import { makeReady } from '../../src/ready/run';
import { auroraReady } from '../../src/resources/aurora';

const ARN = (id: string) => `arn:aws:rds:eu-west-1:123456789012:cluster:${id}`;

test('a source cluster whose writer instance is gone: a result (writer not known), never a throw', async () => {
  const mock = mockClient(RDSClient);
  mock.on(DescribeDBClustersCommand).callsFake((i) => ({
    DBClusters: [
      {
        DBClusterIdentifier: i.DBClusterIdentifier,
        DeletionProtection: false,
        TagList: [],
        DBClusterMembers:
          i.DBClusterIdentifier === 'ledger'
            ? [{ DBInstanceIdentifier: 'ledger-1', IsClusterWriter: true }]
            : [],
      },
    ],
  }));
  mock.on(DescribeDBInstancesCommand).rejects(
    Object.assign(new Error('DBInstance ledger-1 not found.'), {
      name: 'DBInstanceNotFoundFault',
      $fault: 'client',
      $metadata: { httpStatusCode: 404 },
    }),
  );
  mock.on(AddTagsToResourceCommand).resolves({});
  const outcome = await makeReady(
    {
      log: createLogger({ sink: () => undefined }),
      sleep: async () => undefined,
      timeLeftMs: () => 600_000,
      pollMs: 1000,
    },
    auroraReady,
    {
      restoreJobId: 'job-1',
      resourceType: 'Aurora',
      restoredArn: ARN('ledger-restored'),
      sourceArn: ARN('ledger'),
      pointMetadata: {},
      options: { readers: 0 },
      clients: {
        rds: () => new RDSClient({ region: 'eu-west-1' }),
        ddb: () => new DynamoDBClient({ region: 'eu-west-1' }),
        ec2: () => new EC2Client({ region: 'eu-west-1' }),
        efs: () => new EFSClient({ region: 'eu-west-1' }),
      },
    },
  ).then(
    (r) => ({ ready: r.ready, writer: r.steps.find((s) => s.step === 'aurora.writer-instance')?.status }),
    (e: unknown) => ({ thrown: (e as Error).name }),
  );
  mock.restore();
  expect(outcome).toStrictEqual({ ready: false, writer: 'failed' });
});
