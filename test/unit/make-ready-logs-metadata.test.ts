/**
 * makeReady remembers the request's Metadata values as the invocation's secrets (as the tracker
 * does: rememberNamedSecrets(namedSecretsOfOriginal(link.original))): its log lines and its dead
 * letter's reason never print them: here the request's dbClusterIdentifier, in createdResourceArn,
 * and the AWS error text of the failed step.
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

const SECRET = 'ledger-k7Qz9-restored';
const REQUEST = {
  RecoveryPointArn: 'arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:awsbackup:job-1',
  ResourceType: 'Aurora',
  Metadata: { dbClusterIdentifier: SECRET, engine: 'aurora-postgresql' },
};

test('no Metadata value of the request in make-ready log lines or its dead letter', async () => {
  const aws = mockAws();
  const rdsMock = mockClient(RDSClient);
  const items = new Map<string, unknown>();
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
    CreatedResourceArn: `arn:aws:rds:eu-west-1:123456789012:cluster:${SECRET}`,
    RecoveryPointArn: REQUEST.RecoveryPointArn,
    BackupVaultArn: 'arn:aws:backup:eu-west-1:123456789012:backup-vault:Default',
    CreationDate: new Date('2026-11-26T11:00:01.000Z'),
  });
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
  const deps = {
    ...aws.deps,
    rds: () => new RDSClient({ region: 'eu-west-1' }),
    sleep: async () => undefined,
  };
  const handler = createHandler(deps);
  const event = {
    id: 'ev-1',
    'detail-type': 'Restore Job State Change',
    source: 'aws.backup',
    detail: {
      restoreJobId: 'job-1',
      status: 'COMPLETED',
      resourceType: 'Aurora',
      createdResourceArn: `arn:aws:rds:eu-west-1:123456789012:cluster:${SECRET}`,
      completionDate: '2026-11-26T11:59:00.000Z',
      recoveryPointArn: REQUEST.RecoveryPointArn,
      backupVaultArn: 'arn:aws:backup:eu-west-1:123456789012:backup-vault:Default',
    },
  } as unknown as CompletedRestoreEvent;
  expect(await handler(event, undefined as never)).toBe('not-ready');
  const letters = aws.deadLetters();
  rdsMock.restore();
  restoreAws();
  const leaked = {
    logLines: aws.deps.lines.filter((l) => l.includes(SECRET)).length,
    letterReasons: letters.filter((l) =>
      JSON.stringify({ reason: l.reason, error: l.error }).includes(SECRET),
    ).length,
  };
  expect(leaked).toStrictEqual({ logLines: 0, letterReasons: 0 });
});
