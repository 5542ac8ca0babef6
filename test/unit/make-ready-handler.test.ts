/**
 * The makeReady handler with mocked AWS: only COMPLETED events of the pipeline's jobs, and a copy
 * that is not ready dead-lettered with its original request, the step, the resource and what to do.
 */

import {
  DescribeRecoveryPointCommand,
  DescribeRestoreJobCommand,
  GetRecoveryPointRestoreMetadataCommand,
} from '@aws-sdk/client-backup';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeDBClustersCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { type CompletedRestoreEvent, createHandler } from '../../handlers/make-ready';
import { linkItem } from '../../src/table/links';
import { mockAws, restoreAws } from '../helpers/mocks';

const REQUEST = {
  RecoveryPointArn: 'arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:awsbackup:job-1',
  ResourceType: 'Aurora',
  Metadata: { dbClusterIdentifier: 'ledger-restored', engine: 'aurora-postgresql' },
};

const event = (status = 'COMPLETED'): CompletedRestoreEvent =>
  ({
    id: 'ev-1',
    'detail-type': 'Restore Job State Change',
    source: 'aws.backup',
    detail: {
      restoreJobId: 'job-1',
      status,
      resourceType: 'Aurora',
      createdResourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:ledger-restored',
      completionDate: '2026-11-26T11:59:00.000Z',
      recoveryPointArn: REQUEST.RecoveryPointArn,
      backupVaultArn: 'arn:aws:backup:eu-west-1:123456789012:backup-vault:Default',
    },
  }) as never;

function setup(linked: boolean) {
  const aws = mockAws();
  const rdsMock = mockClient(RDSClient);
  const items = new Map<string, unknown>();
  if (linked)
    items.set(
      'job-1',
      linkItem(
        {
          restoreJobId: 'job-1',
          original: { trigger: 'sqs', body: JSON.stringify(REQUEST) },
          trigger: { type: 'sqs', id: 'm-1', attempt: 1 },
          redriveCount: 0,
          recoveryPointArn: REQUEST.RecoveryPointArn,
          resourceType: 'Aurora',
          startedAt: '2026-11-26T11:00:00.000Z',
          fingerprint: 'f',
        },
        new Date('2026-11-26T11:00:00.000Z'),
      ),
    );
  aws.ddb.on(GetItemCommand).callsFake((i) => ({ Item: items.get(i.Key.restoreJobId.S) }));
  aws.ddb.on(PutItemCommand).callsFake((i) => {
    items.set(i.Item.restoreJobId.S, i.Item);
    return {};
  });
  aws.backup
    .on(DescribeRecoveryPointCommand)
    .resolves({ ResourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:ledger' });
  aws.backup.on(GetRecoveryPointRestoreMetadataCommand).resolves({ RestoreMetadata: {} });
  aws.backup.on(DescribeRestoreJobCommand).resolves({
    RestoreJobId: 'job-1',
    Status: 'COMPLETED',
    ResourceType: 'Aurora',
    CreatedResourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:ledger-restored',
    RecoveryPointArn: REQUEST.RecoveryPointArn,
    BackupVaultArn: 'arn:aws:backup:eu-west-1:123456789012:backup-vault:Default',
    CreationDate: new Date('2026-11-26T11:00:01.000Z'),
    CompletionDate: new Date('2026-11-26T11:59:00.000Z'),
  });
  // The source cluster is gone; the copy is there without an instance.
  rdsMock.onAnyCommand().resolves({});
  rdsMock.on(DescribeDBClustersCommand).callsFake((i) => {
    if (i.DBClusterIdentifier === 'ledger')
      throw Object.assign(new Error('gone'), {
        name: 'DBClusterNotFoundFault',
        $metadata: { httpStatusCode: 404 },
      });
    return {
      DBClusters: [{ DBClusterIdentifier: i.DBClusterIdentifier, DBClusterMembers: [], TagList: [] }],
    };
  });
  const handler = createHandler({
    ...aws.deps,
    rds: () => new RDSClient({ region: 'eu-west-1' }),
    sleep: async () => undefined,
  });
  return {
    aws,
    items,
    handler,
    done: () => {
      rdsMock.restore();
      restoreAws();
    },
  };
}

describe('makeReady', () => {
  it('ignores an event that is not a COMPLETED restore job, and a job the pipeline did not start', async () => {
    const s = setup(false);
    expect(await s.handler(event('FAILED'), undefined as never)).toBe('invalid');
    expect(await s.handler(event(), undefined as never)).toBe('not-ours');
    expect(s.aws.deadLetters()).toHaveLength(0);
    s.done();
  });

  it('dead-letters the original request when the copy cannot be made ready, and never records it ready', async () => {
    const s = setup(true);
    expect(await s.handler(event(), undefined as never)).toBe('not-ready');
    const [letter] = s.aws.deadLetters();
    expect(letter).toMatchObject({
      failure: 'make-ready-failed',
      error: { name: 'MakeReadyFailedError', retryable: false },
      original: { trigger: 'eventbridge', event: event() },
      restoreJob: { restoreJobId: 'job-1', status: 'COMPLETED', resourceType: 'Aurora' },
    });
    expect(letter?.reason).toMatch(
      // The copy's name is the request's Metadata value: hidden, under its key.
      /cluster:\[redacted Metadata\.dbClusterIdentifier\] is not ready: aurora\.writer-instance .*CreateDBInstance/,
    );
    expect((s.items.get('job-1#ready') as { state: { S: string } }).state.S).toBe('not-ready');
    expect(letter?.reason).toMatch(/delete item "job-1#ready" .* invoke the makeReady function/);
    // The operator's re-run: the not-ready record deleted, the letter's event sent again.
    s.items.delete('job-1#ready');
    expect(
      await s.handler(
        (letter?.original as unknown as { event: CompletedRestoreEvent } | undefined)
          ?.event as CompletedRestoreEvent,
        undefined as never,
      ),
    ).toBe('not-ready');
    expect(s.aws.deadLetters()).toHaveLength(2);
    s.done();
  });
});
