/**
 * Drill cleanup through the real SDK clients against the local endpoint: each type's resource is
 * tagged at hand-off and deleted the way AWS needs; every ownership check refuses a deletion, and a
 * refused or failed cleanup is recorded and dead-lettered.
 */

import { DescribeRestoreJobCommand, StartRestoreJobCommand } from '@aws-sdk/client-backup';
import { sleep } from '../../local/time';
import {
  type CleanupDeps,
  cleanupDueDrills,
  drillValidated,
  findDrillRecord,
  handOffDrill,
} from '../../src/drills/cleanup';
import type { DrillClients } from '../../src/drills/resources';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { createLinkWriter, inputFingerprint } from '../../src/outcome/job-link';
import { deadLetters } from '../helpers/dead-letters';
import { ROLE, startValidationEnv, TABLE, type ValidationEnv } from '../validation/local-env';

let env: ValidationEnv;
let deps: CleanupDeps;
let clients: DrillClients;
const metricLines: string[] = [];

beforeEach(async () => {
  env = await startValidationEnv({
    timing: { availableAfterMs: 0, runningAfterMs: 0, statusOkAfterMs: 0, goneAfterMs: 0 },
  });
  const r = env.deps.resources;
  clients = { ddb: env.deps.ddb, rds: r.rds, ec2: r.ec2, efs: r.efs, s3: r.s3 };
  metricLines.length = 0;
  deps = {
    ddb: env.deps.ddb,
    backup: env.backup,
    sqs: async () => env.sqs,
    clients,
    config: { restoreJobsTable: TABLE, deadLetterQueueUrl: env.deadLetterQueueUrl },
    logger: createLogger({ sink: (l) => env.lines.push(l), level: 'debug' }),
    metrics: createMetrics((l) => metricLines.push(l)),
    now: () => new Date(),
  };
});

afterEach(async () => {
  await env.close();
});

const HOURS_AGO = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

type Original = Parameters<ReturnType<typeof createLinkWriter>['write']>[0]['original'];

/**
 * Restores a point as a drill (or with `original`), links it as the pipeline does, waits for
 * COMPLETED and hands it off as the tracker does, completed `hoursAgo`.
 */
async function drill(
  type: string,
  point: string,
  metadata: Record<string, string>,
  options: { hours?: number; hoursAgo?: number; original?: Original } = {},
) {
  const hours = options.hours ?? 1;
  const { RestoreJobId } = await env.backup.send(
    new StartRestoreJobCommand({
      RecoveryPointArn: point,
      ResourceType: type,
      Metadata: metadata,
      IamRoleArn: ROLE,
    }),
  );
  const restoreJobId = RestoreJobId ?? '';
  const request = {
    RecoveryPointArn: point,
    ResourceType: type,
    Metadata: metadata,
    Drill: { DeleteAfterHours: hours },
  };
  await createLinkWriter(env.deps.ddb, TABLE, () => new Date()).write({
    restoreJobId,
    original: options.original ?? { trigger: 'sqs', body: JSON.stringify(request) },
    trigger: { type: 'sqs', id: `m-${restoreJobId}`, attempt: 1 },
    redriveCount: 0,
    recoveryPointArn: point,
    resourceType: type,
    startedAt: new Date().toISOString(),
    fingerprint: inputFingerprint({
      RecoveryPointArn: point,
      ResourceType: type,
      Metadata: metadata,
      IamRoleArn: ROLE,
    }),
  });
  let arn = '';
  for (let i = 0; i < 300 && arn === ''; i++) {
    const job = await env.backup.send(new DescribeRestoreJobCommand({ RestoreJobId: restoreJobId }));
    if (job.Status === 'COMPLETED') arn = job.CreatedResourceArn ?? '';
    else await sleep(10);
  }
  expect(arn).not.toBe('');
  await handOffDrill(
    { ddb: env.deps.ddb, table: TABLE, clients, now: () => new Date() },
    {
      restoreJobId,
      resourceType: type,
      createdResourceArn: arn,
      completedAt: HOURS_AGO(options.hoursAgo ?? hours + 1),
      spec: { deleteAfterHours: hours },
    },
  );
  return { restoreJobId, arn };
}

const live = (arn: string) => {
  const r = env.aws.resources.store.byArn(arn);
  return r !== undefined && r.deletedAt === undefined;
};

const P = {
  RDS: 'arn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-5f2a9c1e-3b7d-4e8f-9a6b-1c2d3e4f5a6b',
  Aurora:
    'arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:awsbackup:job-0b1c2d3e-3333-4e8f-9a6b-1c2d3e4f5a6b',
  DynamoDB: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/backup/01732617600000-a1b2c3d4',
  EBS: 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718',
  EC2: 'arn:aws:ec2:eu-west-1::image/ami-0abcdef1234567890',
  EFS: 'arn:aws:backup:eu-west-1:123456789012:recovery-point:3c1f7e42-9a0d-4b6e-8f21-5d7a9b0c1e2f',
  S3: 'arn:aws:backup:eu-west-1:123456789012:recovery-point:7a9e0c4b-5d2f-4e1a-8b3c-9d0e1f2a3b4c',
};

describe('each type: tagged at hand-off, deleted when due', () => {
  it.each([
    ['RDS', P.RDS, { DBInstanceIdentifier: 'orders-db-r1a2b3c4' }],
    ['Aurora', P.Aurora, { dbClusterIdentifier: 'ledger-aurora-r1a2b3c4', engine: 'aurora-postgresql' }],
    ['DynamoDB', P.DynamoDB, { targetTableName: 'orders-r1a2b3c4' }],
    ['EBS', P.EBS, { availabilityZone: 'eu-west-1a', volumeSize: '100' }],
    ['EC2', P.EC2, { InstanceType: 't3.micro' }],
    [
      'EFS',
      P.EFS,
      {
        newFileSystem: 'true',
        CreationToken: 'files-r1a2b3c4',
        Encrypted: 'true',
        PerformanceMode: 'generalPurpose',
        'file-system-id': 'fs-0123456789abcdef0',
      },
    ],
    ['S3', P.S3, { DestinationBucketName: 'invoices-r1a2b3c4' }],
  ])('%s', async (type, point, metadata) => {
    const { restoreJobId, arn } = await drill(type, point, metadata);
    const resource = env.aws.resources.store.byArn(arn);
    expect(resource?.tags['backup-restore:drill']).toBe(restoreJobId);
    expect(await cleanupDueDrills(deps)).toMatchObject({ deleted: 1, refused: 0, failed: 0 });
    expect(live(arn)).toBe(false);
    const record = await findDrillRecord(env.deps.ddb, TABLE, restoreJobId);
    expect(record?.drillState).toBe('deleted');
    expect(deadLetters(env)).toHaveLength(0);
    expect(metricLines.some((l) => l.includes('"DrillsCleanedUp":1'))).toBe(true);
    // Done once: the next run finds nothing due.
    expect(await cleanupDueDrills(deps)).toMatchObject({ deleted: 0 });
  });

  it('RDS: deletion protection the restore copied is turned off, and no final snapshot is taken', async () => {
    const { restoreJobId, arn } = await drill('RDS', P.RDS, { DBInstanceIdentifier: 'orders-db-r1a2b3c4' });
    const r = env.aws.resources.store.byArn(arn);
    if (r !== undefined) r.deletionProtection = true;
    expect(await cleanupDueDrills(deps)).toMatchObject({ deleted: 1 });
    expect((await findDrillRecord(env.deps.ddb, TABLE, restoreJobId))?.cleanupReason).toMatch(
      /deletion protection turned off, DeleteDBInstance \(no final snapshot\)/,
    );
  });

  it("Aurora: the cluster's own instances are deleted before the cluster (RDS refuses otherwise)", async () => {
    const { restoreJobId, arn } = await drill('Aurora', P.Aurora, {
      dbClusterIdentifier: 'ledger-aurora-r1a2b3c4',
      engine: 'aurora-postgresql',
    });
    const store = env.aws.resources.store;
    store.put({
      kind: 'db',
      id: 'ledger-aurora-r1a2b3c4-1',
      arn: 'arn:aws:rds:eu-west-1:123456789012:db:ledger-aurora-r1a2b3c4-1',
      tags: { 'backup-restore:drill': restoreJobId },
    });
    const cluster = store.byArn(arn);
    if (cluster !== undefined) cluster.members = ['ledger-aurora-r1a2b3c4-1'];
    expect(await cleanupDueDrills(deps)).toMatchObject({ deleted: 1 });
    expect(live('arn:aws:rds:eu-west-1:123456789012:db:ledger-aurora-r1a2b3c4-1')).toBe(false);
    expect(live(arn)).toBe(false);
  });

  it('is not due before DeleteAfterHours, and a 0-hour drill is due at its verdict', async () => {
    const later = await drill(
      'DynamoDB',
      P.DynamoDB,
      { targetTableName: 'orders-r1a2b3c4' },
      { hours: 4, hoursAgo: 1 },
    );
    const zero = await drill('S3', P.S3, { DestinationBucketName: 'invoices-r1a2b3c4' }, { hours: 0 });
    expect(await cleanupDueDrills(deps)).toMatchObject({ deleted: 0 });
    expect(
      await drillValidated(env.deps.ddb, TABLE, zero.restoreJobId, 'pass', new Date().toISOString()),
    ).toBe(true);
    // A drill with hours keeps its own due time.
    expect(
      await drillValidated(env.deps.ddb, TABLE, later.restoreJobId, 'pass', new Date().toISOString()),
    ).toBe(false);
    expect(await cleanupDueDrills(deps)).toMatchObject({ deleted: 1 });
    expect(live(zero.arn)).toBe(false);
    expect(live(later.arn)).toBe(true);
  });
});

describe('every ownership check refuses a deletion', () => {
  const RDS_META = { DBInstanceIdentifier: 'orders-db-r1a2b3c4' };

  async function refused(arn: string, restoreJobId: string, words: RegExp) {
    expect(await cleanupDueDrills(deps)).toMatchObject({ deleted: 0, refused: 1 });
    expect(live(arn)).toBe(true);
    const record = await findDrillRecord(env.deps.ddb, TABLE, restoreJobId);
    expect(record?.drillState).toBe('refused');
    expect(record?.cleanupReason).toMatch(words);
    const letters = deadLetters(env);
    expect(letters).toHaveLength(1);
    expect(letters[0]?.failure).toBe('drill-cleanup-failed');
    expect(letters[0]?.reason).toMatch(words);
    expect(letters[0]?.restoreJob?.restoreJobId).toBe(restoreJobId);
  }

  it('no tag', async () => {
    const { restoreJobId, arn } = await drill('RDS', P.RDS, RDS_META);
    const r = env.aws.resources.store.byArn(arn);
    if (r !== undefined) r.tags = {};
    await refused(arn, restoreJobId, /does not carry the tag backup-restore:drill/);
  });

  it('another resource: the job created something else than the record names', async () => {
    const { restoreJobId } = await drill('RDS', P.RDS, RDS_META);
    const other = 'arn:aws:rds:eu-west-1:123456789012:db:orders-db-r9f9f9f9';
    env.aws.resources.store.put({
      kind: 'db',
      id: 'orders-db-r9f9f9f9',
      arn: other,
      tags: { 'backup-restore:drill': restoreJobId },
    });
    const { UpdateItemCommand } = await import('@aws-sdk/client-dynamodb');
    await env.deps.ddb.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: { restoreJobId: { S: `${restoreJobId}#drill` } },
        UpdateExpression: 'SET createdResourceArn = :o',
        ExpressionAttributeValues: { ':o': { S: other } },
      }),
    );
    await refused(other, restoreJobId, /DescribeRestoreJob names .* not arn:aws:rds:.*orders-db-r9f9f9f9/);
  });

  it('not a drill: the link holds a request without Drill', async () => {
    const body = JSON.stringify({ RecoveryPointArn: P.RDS, ResourceType: 'RDS', Metadata: RDS_META });
    const { restoreJobId, arn } = await drill('RDS', P.RDS, RDS_META, { original: { trigger: 'sqs', body } });
    await refused(arn, restoreJobId, /does not name it a drill/);
  });

  it('an alarm restore, even one whose event carries a Drill', async () => {
    const event = {
      source: 'aws.cloudwatch',
      'detail-type': 'CloudWatch Alarm State Change',
      detail: { alarmName: 'restore-orders', Drill: { DeleteAfterHours: 1 } },
    };
    const { restoreJobId, arn } = await drill('RDS', P.RDS, RDS_META, {
      original: { trigger: 'eventbridge', event },
    });
    await refused(arn, restoreJobId, /alarm restore/);
  });

  it("a name without the pipeline's restore suffix", async () => {
    const { restoreJobId, arn } = await drill('RDS', P.RDS, { DBInstanceIdentifier: 'orders-db-copy' });
    await refused(arn, restoreJobId, /restore suffix/);
  });

  it('an attached volume is left, not detached', async () => {
    const { restoreJobId, arn } = await drill('EBS', P.EBS, {
      availabilityZone: 'eu-west-1a',
      volumeSize: '100',
    });
    const r = env.aws.resources.store.byArn(arn);
    if (r !== undefined) r.attachedTo = 'i-0123456789abcdef0';
    await refused(arn, restoreJobId, /attached .*not detached/);
  });

  it('a file system someone mounted is left', async () => {
    const { restoreJobId, arn } = await drill('EFS', P.EFS, {
      newFileSystem: 'true',
      CreationToken: 'files-r1a2b3c4',
      Encrypted: 'true',
      PerformanceMode: 'generalPurpose',
      'file-system-id': 'fs-0123456789abcdef0',
    });
    const r = env.aws.resources.store.byArn(arn);
    if (r !== undefined) r.mountTargets = 1;
    await refused(arn, restoreJobId, /mount target/);
  });
});

it('a cleanup that keeps failing is tried on later runs, then recorded failed and dead-lettered', async () => {
  const { restoreJobId, arn } = await drill('RDS', P.RDS, { DBInstanceIdentifier: 'orders-db-r1a2b3c4' });
  env.aws.faults.set({ DeleteDBInstance: { errorRates: { ServiceUnavailable: 1 } } });
  for (let run = 1; run < 4; run++) expect(await cleanupDueDrills(deps)).toMatchObject({ retry: 1 });
  expect(deadLetters(env)).toHaveLength(0);
  expect(await cleanupDueDrills(deps)).toMatchObject({ deleted: 0, failed: 1 });
  expect(live(arn)).toBe(true);
  const record = await findDrillRecord(env.deps.ddb, TABLE, restoreJobId);
  expect(record?.drillState).toBe('failed');
  expect(record?.cleanupReason).toMatch(/DeleteDBInstance/);
  expect(deadLetters(env).map((l) => l.failure)).toStrictEqual(['drill-cleanup-failed']);
});
