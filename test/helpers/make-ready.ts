/**
 * The makeReady handler under test with mocked AWS (mockAws): job job-1 of a request, its link in a
 * job table kept in a Map, what AWS Backup says of the job and its recovery point, the COMPLETED
 * event, and the handler itself.
 */

import {
  DescribeRecoveryPointCommand,
  DescribeRestoreJobCommand,
  GetRecoveryPointRestoreMetadataCommand,
} from '@aws-sdk/client-backup';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EFSClient } from '@aws-sdk/client-efs';
import { DescribeDBClustersCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { type CompletedRestoreEvent, createHandler } from '../../handlers/make-ready';
import { linkItem } from '../../src/table/links';
import { REGION } from './fixtures';
import type { mockAws } from './mocks';

type Aws = ReturnType<typeof mockAws>;

const VAULT = 'arn:aws:backup:eu-west-1:123456789012:backup-vault:Default';
const STARTED = '2026-11-26T11:00:00.000Z';

/** What the restore request asked for (the link's original SQS body). */
export interface ReadyRequest {
  readonly RecoveryPointArn: string;
  readonly ResourceType: string;
  readonly Metadata: Readonly<Record<string, string>>;
}

/** Job job-1 of a request, as AWS Backup describes it. */
export interface ReadyJob {
  readonly request: ReadyRequest;
  /** The recovery point's ResourceArn (the source). */
  readonly sourceArn: string;
  /** The job's CreatedResourceArn. */
  readonly createdResourceArn: string;
  /** The job's RecoveryPointArn; the request's unless given. */
  readonly recoveryPointArn?: string;
  /** The job's CompletionDate; none unless given. */
  readonly completionDate?: string;
  /** The pipeline started it: its link is in the job table (default true). */
  readonly linked?: boolean;
}

/** Job job-1 on `aws`: the job table's items in a Map behind GetItem/PutItem (returned), and AWS Backup's answers. */
export function fakeReadyJob(aws: Aws, job: ReadyJob): Map<string, unknown> {
  const { request } = job;
  const items = new Map<string, unknown>();
  if (job.linked !== false)
    items.set(
      'job-1',
      linkItem(
        {
          restoreJobId: 'job-1',
          original: { trigger: 'sqs', body: JSON.stringify(request) },
          trigger: { type: 'sqs', id: 'm-1', attempt: 1 },
          redriveCount: 0,
          recoveryPointArn: request.RecoveryPointArn,
          resourceType: request.ResourceType,
          startedAt: STARTED,
          fingerprint: 'f',
        },
        new Date(STARTED),
      ),
    );
  aws.ddb.on(GetItemCommand).callsFake((i) => ({ Item: items.get(i.Key.restoreJobId.S) }));
  aws.ddb.on(PutItemCommand).callsFake((i) => {
    items.set(i.Item.restoreJobId.S, i.Item);
    return {};
  });
  aws.backup.on(DescribeRecoveryPointCommand).resolves({ ResourceArn: job.sourceArn });
  aws.backup.on(GetRecoveryPointRestoreMetadataCommand).resolves({ RestoreMetadata: {} });
  aws.backup.on(DescribeRestoreJobCommand).resolves({
    RestoreJobId: 'job-1',
    Status: 'COMPLETED',
    ResourceType: request.ResourceType,
    CreatedResourceArn: job.createdResourceArn,
    RecoveryPointArn: job.recoveryPointArn ?? request.RecoveryPointArn,
    BackupVaultArn: VAULT,
    CreationDate: new Date('2026-11-26T11:00:01.000Z'),
    ...(job.completionDate === undefined ? {} : { CompletionDate: new Date(job.completionDate) }),
  });
  return items;
}

/** What a Restore Job State Change event of job-1 says. */
export interface EventDetail {
  readonly id?: string;
  readonly status?: string;
  readonly resourceType: string;
  readonly createdResourceArn: string;
  readonly completionDate?: string;
  readonly recoveryPointArn: string;
}

/** A Restore Job State Change event of job-1 (COMPLETED, id ev-1, unless given). */
export function completedEvent(d: EventDetail): CompletedRestoreEvent {
  return {
    id: d.id ?? 'ev-1',
    'detail-type': 'Restore Job State Change',
    source: 'aws.backup',
    detail: {
      restoreJobId: 'job-1',
      status: d.status ?? 'COMPLETED',
      resourceType: d.resourceType,
      createdResourceArn: d.createdResourceArn,
      ...(d.completionDate === undefined ? {} : { completionDate: d.completionDate }),
      recoveryPointArn: d.recoveryPointArn,
      backupVaultArn: VAULT,
    },
  } as unknown as CompletedRestoreEvent;
}

/** The makeReady handler over `aws`, with RDS, EC2 and EFS clients and sleeps that return at once. */
export function makeReadyHandler(aws: Aws) {
  return createHandler({
    ...aws.deps,
    rds: () => new RDSClient({ region: REGION }),
    ec2: () => new EC2Client({ region: REGION }),
    efs: () => new EFSClient({ region: REGION }),
    sleep: async () => undefined,
  });
}

/** RDS where the cluster `source` is gone and any other is a copy without an instance; every other call succeeds. */
export function auroraSourceGone(source: string) {
  const rds = mockClient(RDSClient);
  rds.onAnyCommand().resolves({});
  rds.on(DescribeDBClustersCommand).callsFake((i) => {
    if (i.DBClusterIdentifier === source)
      throw Object.assign(new Error('gone'), {
        name: 'DBClusterNotFoundFault',
        $metadata: { httpStatusCode: 404 },
      });
    return {
      DBClusters: [{ DBClusterIdentifier: i.DBClusterIdentifier, DBClusterMembers: [], TagList: [] }],
    };
  });
  return rds;
}
