/**
 * One COMPLETED job made ready: only the pipeline's jobs, `"Ready": false` skipped, a repeated
 * event leaves the record as it is, and a copy that is not ready is dead-lettered before its
 * record says so (never reported ready).
 */

import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EFSClient } from '@aws-sdk/client-efs';
import { DescribeDBClustersCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { createLogger } from '../../src/logger';
import { type CompletedJob, type ReadyJobDeps, readyCompletedJob } from '../../src/ready/job';
import { readyOptionsOf } from '../../src/ready/request';
import { readyFromItem } from '../../src/table/ready';

const JOB: CompletedJob = {
  restoreJobId: 'job-9',
  resourceType: 'Aurora',
  createdResourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:gone-restored',
  completionDate: '2026-12-07T01:00:00.000Z',
  recoveryPointArn: 'arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:awsbackup:job-9',
};

function setup(request: unknown | undefined) {
  const items = new Map<string, Record<string, any>>();
  const ddb = mockClient(DynamoDBClient);
  ddb.on(GetItemCommand).callsFake((i) => ({ Item: items.get(i.Key.restoreJobId.S) }));
  ddb.on(PutItemCommand).callsFake((i) => {
    items.set(i.Item.restoreJobId.S, i.Item);
    return {};
  });
  const rds = mockClient(RDSClient);
  // The source cluster is gone; the restored one is there, with no instance.
  const gone = Object.assign(new Error('gone'), {
    name: 'DBClusterNotFoundFault',
    $metadata: { httpStatusCode: 404 },
  });
  rds.onAnyCommand().resolves({});
  rds.on(DescribeDBClustersCommand).callsFake((i) => {
    if (i.DBClusterIdentifier === 'gone') throw gone;
    return {
      DBClusters: [{ DBClusterIdentifier: i.DBClusterIdentifier, DBClusterMembers: [], TagList: [] }],
    };
  });
  const order: string[] = [];
  const deps: ReadyJobDeps = {
    ddb: new DynamoDBClient({ region: 'eu-west-1' }),
    table: 'jobs',
    clients: {
      rds: () => new RDSClient({ region: 'eu-west-1' }),
      ddb: () => new DynamoDBClient({ region: 'eu-west-1' }),
      ec2: () => new EC2Client({ region: 'eu-west-1' }),
      efs: () => new EFSClient({ region: 'eu-west-1' }),
    },
    log: createLogger({ sink: () => undefined }),
    now: () => new Date('2026-12-07T01:05:00.000Z'),
    run: { sleep: async () => undefined, timeLeftMs: () => 60_000 },
    requestOf: async () =>
      request === undefined
        ? undefined
        : { request, recoveryPointArn: JOB.recoveryPointArn ?? '', startedAt: '2026-12-07T00:00:00.000Z' },
    describe: async () => ({ ...JOB, status: 'COMPLETED', creationDate: '2026-12-07T00:00:01.000Z' }),
    pointOf: async () => ({ sourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:gone', metadata: {} }),
    deadLetter: async (_job, reason) => {
      order.push(`letter: ${reason}`);
    },
    requestValidation: async (job) => {
      order.push(`validation: ${job.restoreJobId}`);
    },
  };
  ddb.on(PutItemCommand).callsFake((i) => {
    order.push(`record: ${i.Item.state.S}`);
    items.set(i.Item.restoreJobId.S, i.Item);
    return {};
  });
  return {
    deps,
    items,
    order,
    restore: () => {
      ddb.restore();
      rds.restore();
    },
  };
}

describe('a COMPLETED job made ready', () => {
  it('leaves a job the pipeline did not start alone', async () => {
    const s = setup(undefined);
    expect(await readyCompletedJob(s.deps, JOB)).toBe('not-ours');
    expect(s.items.size).toBe(0);
    s.restore();
  });

  it('skips the steps when the request says "Ready": false, and records it', async () => {
    const s = setup({ Ready: false });
    expect(await readyCompletedJob(s.deps, JOB)).toBe('skipped');
    expect(readyFromItem(s.items.get('job-9#ready'))?.state).toBe('skipped');
    s.restore();
  });

  it('with the Aurora source gone before the request, dead-letters first, naming the step, the resource and what to do, then records not-ready', async () => {
    const s = setup({});
    expect(await readyCompletedJob(s.deps, JOB)).toBe('not-ready');
    expect(s.order).toHaveLength(2);
    expect(s.order[0]).toMatch(
      /^letter: .*cluster:gone-restored is not ready: aurora\.writer-instance .*CreateDBInstance/,
    );
    expect(s.order[1]).toBe('record: not-ready');
    const record = readyFromItem(s.items.get('job-9#ready'));
    expect(record?.readyAt).toBeUndefined();
    expect(record?.sourceRead).toBe(false);
    // A repeated event changes nothing and sends no second letter.
    expect(await readyCompletedJob(s.deps, JOB)).toBe('duplicate');
    expect(s.order).toHaveLength(2);
    s.restore();
  });

  it.each([
    ['Aurora', {}, ['validation: job-9', 'record: no-steps']],
    ['Aurora', { Ready: false }, ['record: skipped']],
    ['Neptune', {}, ['record: no-steps']],
  ])(
    'asks for the validation of a %s job (request %j) only where the tracker left it to make-ready',
    async (type, request, order) => {
      const s = setup(request);
      const { createdResourceArn: _, ...noCopy } = JOB;
      // AWS's record of the job is what counts (DescribeRestoreJob): here, no copy.
      const described = {
        ...noCopy,
        resourceType: type,
        status: 'COMPLETED',
        creationDate: '2026-12-07T00:00:01.000Z',
      };
      await readyCompletedJob(
        { ...s.deps, describe: async () => described },
        { ...noCopy, resourceType: type },
      );
      expect(s.order).toStrictEqual(order);
      s.restore();
    },
  );

  it('reads the Ready option: absent or true runs the steps, readers only when asked', () => {
    expect(readyOptionsOf({})).toStrictEqual({ readers: 0 });
    expect(readyOptionsOf({ Ready: true })).toStrictEqual({ readers: 0 });
    expect(readyOptionsOf({ Ready: { AuroraReaders: 2 } })).toStrictEqual({ readers: 2 });
    expect(readyOptionsOf({ Ready: { AuroraReaders: -1 } })).toStrictEqual({ readers: 0 });
    expect(readyOptionsOf({ Ready: false })).toBeUndefined();
  });
});
