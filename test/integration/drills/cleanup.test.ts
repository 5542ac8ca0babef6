/**
 * Drill cleanup through the real SDK clients against the local endpoint: the tracker's hand-off
 * writes an untagged drill record; each cleanup run tags the untagged drills' resources and deletes
 * each type's due resource the way AWS needs; every ownership check refuses a tag or a deletion, a
 * refused or failed cleanup is recorded and dead-lettered, a resource that cannot be tagged is
 * never deleted, and a run that dies between a tag and its record is repaired by the next run.
 */

import { DescribeRestoreJobCommand, StartRestoreJobCommand } from '@aws-sdk/client-backup';
import { AddTagsToResourceCommand } from '@aws-sdk/client-rds';
import { localS3ControlClient } from '../../../local/resources/s3';
import { sleep } from '../../../local/time';
import { type CleanupDeps, cleanupDueDrills } from '../../../src/drills/cleanup';
import { drillValidated, recordCompletedDrill } from '../../../src/drills/record';
import { type DrillClients, tagDrillResource } from '../../../src/drills/resources';
import { createLogger } from '../../../src/logger';
import { createMetrics } from '../../../src/metrics';
import { findDrillRecord } from '../../../src/table/drills';
import { createLinkWriter, inputFingerprint } from '../../../src/table/links';
import { deadLetters } from '../../helpers/dead-letters';
import { ROLE, startValidationEnv, TABLE, type ValidationEnv } from '../validation/local-env';

let env: ValidationEnv;
let deps: CleanupDeps;
let clients: DrillClients;
let s3control: ReturnType<typeof localS3ControlClient>;
const metricLines: string[] = [];

beforeEach(async () => {
  env = await startValidationEnv({
    timing: { availableAfterMs: 0, runningAfterMs: 0, statusOkAfterMs: 0, goneAfterMs: 0, updatingMs: 30 },
  });
  const r = env.deps.resources;
  s3control = localS3ControlClient(env.aws.url, 'eu-west-1');
  clients = { ddb: env.deps.ddb, rds: r.rds, ec2: r.ec2, efs: r.efs, s3: r.s3, s3control: () => s3control };
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
    // The run waits out a table UPDATING in short real steps here (AWS: seconds).
    sleep: () => sleep(10),
  };
});

afterEach(async () => {
  s3control.destroy();
  await env.close();
});

const HOURS_AGO = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

type Original = Parameters<ReturnType<typeof createLinkWriter>['write']>[0]['original'];

/**
 * Restores a point as a drill (or with `original`), links it as the pipeline does, waits for
 * COMPLETED and hands it off as the tracker does (the untagged drill record), completed `hoursAgo`.
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
  await recordCompletedDrill(
    env.deps.ddb,
    TABLE,
    {
      restoreJobId,
      resourceType: type,
      createdResourceArn: arn,
      completedAt: HOURS_AGO(options.hoursAgo ?? hours + 1),
      spec: { deleteAfterHours: hours },
    },
    new Date(),
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

const tagOf = (arn: string) => env.aws.resources.store.byArn(arn)?.tags['backup-restore:drill'];

describe('each type: tagged by the first cleanup run, deleted when due', () => {
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
    // The tracker only wrote the record: the resource is untagged until the cleanup's run.
    const resource = env.aws.resources.store.byArn(arn);
    expect(resource?.tags['backup-restore:drill']).toBeUndefined();
    expect((await findDrillRecord(env.deps.ddb, TABLE, restoreJobId))?.drillState).toBe('untagged');
    // Already due: tagged, then deleted (the delete checks the tag) in the same run.
    expect(await cleanupDueDrills(deps)).toMatchObject({ tagged: 1, deleted: 1, refused: 0, failed: 0 });
    expect(live(arn)).toBe(false);
    // The store forgets a deleted resource; the object it held shows the tag the run put on.
    expect(resource?.tags['backup-restore:drill']).toBe(restoreJobId);
    const record = await findDrillRecord(env.deps.ddb, TABLE, restoreJobId);
    expect(record?.drillState).toBe('deleted');
    expect(record?.taggedAt).toEqual(expect.any(String));
    expect(deadLetters(env)).toHaveLength(0);
    expect(metricLines.some((l) => l.includes('"DrillsCleanedUp":1'))).toBe(true);
    // Done once: the next run finds nothing due.
    expect(await cleanupDueDrills(deps)).toMatchObject({ tagged: 0, deleted: 0 });
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
    // Both are tagged by the first run, whether due or not; neither is due yet.
    expect(await cleanupDueDrills(deps)).toMatchObject({ tagged: 2, deleted: 0 });
    expect(tagOf(later.arn)).toBe(later.restoreJobId);
    expect(tagOf(zero.arn)).toBe(zero.restoreJobId);
    expect((await findDrillRecord(env.deps.ddb, TABLE, later.restoreJobId))?.drillState).toBe('waiting');
    expect(
      await drillValidated(env.deps.ddb, TABLE, zero.restoreJobId, 'pass', new Date().toISOString()),
    ).toBe(true);
    // A drill with hours keeps its own due time.
    expect(
      await drillValidated(env.deps.ddb, TABLE, later.restoreJobId, 'pass', new Date().toISOString()),
    ).toBe(false);
    expect(await cleanupDueDrills(deps)).toMatchObject({ tagged: 0, deleted: 1 });
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

  it('no tag: the tag the first run put on was taken off before the drill was due', async () => {
    const { restoreJobId, arn } = await drill('RDS', P.RDS, RDS_META, { hours: 4, hoursAgo: 1 });
    expect(await cleanupDueDrills(deps)).toMatchObject({ tagged: 1, deleted: 0 });
    const r = env.aws.resources.store.byArn(arn);
    if (r !== undefined) r.tags = {};
    deps = { ...deps, now: () => new Date(Date.now() + 4 * 3_600_000) };
    await refused(arn, restoreJobId, /does not carry the tag backup-restore:drill/);
    // A waiting record is never tagged again: the tag is put on once, by the record's first run.
    expect(tagOf(arn)).toBeUndefined();
  });

  it("another job's tag is never overwritten", async () => {
    const { restoreJobId, arn } = await drill('RDS', P.RDS, RDS_META);
    const r = env.aws.resources.store.byArn(arn);
    if (r !== undefined) r.tags = { 'backup-restore:drill': 'another-job' };
    await refused(arn, restoreJobId, /not tagged: .*names job another-job/);
    expect(tagOf(arn)).toBe('another-job');
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
    expect(env.aws.resources.store.byArn(other)?.tags).toStrictEqual({
      'backup-restore:drill': restoreJobId,
    });
  });

  it('not a drill: the link holds a request without Drill', async () => {
    const body = JSON.stringify({ RecoveryPointArn: P.RDS, ResourceType: 'RDS', Metadata: RDS_META });
    const { restoreJobId, arn } = await drill('RDS', P.RDS, RDS_META, { original: { trigger: 'sqs', body } });
    await refused(arn, restoreJobId, /does not name it a drill/);
    expect(tagOf(arn)).toBeUndefined();
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
    expect(tagOf(arn)).toBeUndefined();
  });

  it("a name is no evidence: a resource with the pipeline's restore suffix, created before the job started", async () => {
    const { restoreJobId, arn } = await drill('RDS', P.RDS, RDS_META);
    // The job names it, yet AWS says it existed before the job started: the job did not create it.
    const r = env.aws.resources.store.byArn(arn);
    if (r !== undefined) r.createdAt = Date.now() - 86_400_000;
    await refused(arn, restoreJobId, /created at .* before the job started/);
    expect(tagOf(arn)).toBeUndefined();
  });

  it("a name without the restore suffix is no reason to refuse: the evidence is AWS's", async () => {
    const { restoreJobId, arn } = await drill('RDS', P.RDS, { DBInstanceIdentifier: 'orders-db-copy' });
    expect(await cleanupDueDrills(deps)).toMatchObject({ tagged: 1, deleted: 1, refused: 0 });
    expect(live(arn)).toBe(false);
    expect((await findDrillRecord(env.deps.ddb, TABLE, restoreJobId))?.drillState).toBe('deleted');
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

it('one drill that cannot be worked on holds none of the others back, and the run still fails', async () => {
  const broken = await drill('RDS', P.RDS, { DBInstanceIdentifier: 'orders-db-r1a2b3c4' });
  const fine = await drill('DynamoDB', P.DynamoDB, { targetTableName: 'orders-r1a2b3c4' });
  const ddb = env.deps.ddb;
  // The first drill's record takes no update (it is tagged, then cannot be marked); all else answers.
  type Command = { constructor: { name: string }; input: { Key?: { restoreJobId?: { S?: string } } } };
  const recordRefused = {
    send: (command: Command) =>
      command.constructor.name === 'UpdateItemCommand' &&
      command.input.Key?.restoreJobId?.S === `${broken.restoreJobId}#drill`
        ? Promise.reject(new Error('record refused'))
        : ddb.send(command as never),
  };
  await expect(cleanupDueDrills({ ...deps, ddb: recordRefused as never })).rejects.toThrow(/record refused/);
  expect(live(fine.arn)).toBe(false);
  expect(live(broken.arn)).toBe(true);
  expect((await findDrillRecord(ddb, TABLE, broken.restoreJobId))?.drillState).toBe('untagged');
  expect(
    env.lines.some((l) => l.includes('Drill cleanup step failed') && l.includes(broken.restoreJobId)),
  ).toBe(true);
  // The next run, with the record writable again, finds its own tag and cleans it up.
  expect(await cleanupDueDrills(deps)).toMatchObject({ tagged: 1, deleted: 1, failed: 0 });
  expect(live(broken.arn)).toBe(false);
});

describe('tagging in the cleanup', () => {
  it('a resource that cannot be tagged (retryable errors on 4 runs) is recorded tag-failed, logged, counted, never deleted, not dead-lettered', async () => {
    const { restoreJobId, arn } = await drill('RDS', P.RDS, { DBInstanceIdentifier: 'orders-db-r1a2b3c4' });
    env.aws.faults.set({ AddTagsToResource: { errorRates: { ServiceUnavailable: 1 } } });
    for (let run = 1; run < 4; run++) expect(await cleanupDueDrills(deps)).toMatchObject({ retry: 1 });
    expect(await cleanupDueDrills(deps)).toMatchObject({ tagged: 0, deleted: 0, failed: 1 });
    const record = await findDrillRecord(env.deps.ddb, TABLE, restoreJobId);
    expect(record?.drillState).toBe('tag-failed');
    expect(record?.cleanupReason).toMatch(/AddTagsToResource/);
    expect(env.lines.some((l) => l.includes('could not be tagged: the pipeline will not delete it'))).toBe(
      true,
    );
    expect(metricLines.some((l) => l.includes('"DrillCleanupsFailed":1'))).toBe(true);
    expect(deadLetters(env)).toHaveLength(0);
    // Later runs leave it: not open any more, even with AWS answering again.
    env.aws.faults.set({});
    expect(await cleanupDueDrills(deps)).toMatchObject({ tagged: 0, deleted: 0, failed: 0, retry: 0 });
    expect(live(arn)).toBe(true);
    expect(tagOf(arn)).toBeUndefined();
  });

  it('a permanent tagging error fails the tagging at once', async () => {
    const { restoreJobId, arn } = await drill('RDS', P.RDS, { DBInstanceIdentifier: 'orders-db-r1a2b3c4' });
    const real = clients.rds();
    // The role without rds:AddTagsToResource: AWS answers AccessDenied (a permanent error).
    const denying = {
      send: (command: unknown) =>
        command instanceof AddTagsToResourceCommand
          ? Promise.reject(
              Object.assign(new Error('not authorized'), { name: 'AccessDenied', $fault: 'client' }),
            )
          : real.send(command as never),
    } as unknown as typeof real;
    deps = { ...deps, clients: { ...clients, rds: () => denying } };
    expect(await cleanupDueDrills(deps)).toMatchObject({ tagged: 0, deleted: 0, failed: 1 });
    expect((await findDrillRecord(env.deps.ddb, TABLE, restoreJobId))?.drillState).toBe('tag-failed');
    expect(live(arn)).toBe(true);
  });

  it('a run that died between the tag and the record: the next run finds its tag, tags nothing again, and goes on', async () => {
    const { restoreJobId, arn } = await drill('EBS', P.EBS, {
      availabilityZone: 'eu-west-1a',
      volumeSize: '100',
    });
    // What the dead run did: the tag, and not the record's update.
    await tagDrillResource(clients, 'EBS', arn, {
      restoreJobId,
      jobCreatedAt: undefined,
      accountId: undefined,
      deadline: Date.now(),
      sleep: async () => undefined,
    });
    expect((await findDrillRecord(env.deps.ddb, TABLE, restoreJobId))?.drillState).toBe('untagged');
    const tagCalls = () => env.aws.faults.counts.CreateTags?.calls ?? 0;
    const before = tagCalls();
    expect(await cleanupDueDrills(deps)).toMatchObject({ tagged: 1, deleted: 1 });
    // IAM may allow the tag only where the key is missing: it is never put on twice.
    expect(tagCalls()).toBe(before);
    expect(live(arn)).toBe(false);
    expect(deadLetters(env)).toHaveLength(0);
  });

  it('two runs one after the other tag once and delete once', async () => {
    const { restoreJobId, arn } = await drill(
      'DynamoDB',
      P.DynamoDB,
      { targetTableName: 'orders-r1a2b3c4' },
      {
        hours: 2,
        hoursAgo: 1,
      },
    );
    expect(await cleanupDueDrills(deps)).toMatchObject({ tagged: 1, deleted: 0 });
    // The table's creation time, as DynamoDB reported it once tagged: the deletion requires the same.
    const tagged = await findDrillRecord(env.deps.ddb, TABLE, restoreJobId);
    expect(Date.parse(tagged?.resourceCreatedAt ?? '')).toBe(env.aws.resources.store.byArn(arn)?.createdAt);
    expect(await cleanupDueDrills(deps)).toMatchObject({ tagged: 0, deleted: 0 });
    const later = { ...deps, now: () => new Date(Date.now() + 2 * 3_600_000) };
    expect(await cleanupDueDrills(later)).toMatchObject({ tagged: 0, deleted: 1 });
    expect(await cleanupDueDrills(later)).toMatchObject({ tagged: 0, deleted: 0 });
    expect(live(arn)).toBe(false);
    expect((await findDrillRecord(env.deps.ddb, TABLE, restoreJobId))?.drillState).toBe('deleted');
  });

  it('a resource gone before it was tagged is recorded gone', async () => {
    const { restoreJobId, arn } = await drill('RDS', P.RDS, { DBInstanceIdentifier: 'orders-db-r1a2b3c4' });
    const r = env.aws.resources.store.byArn(arn);
    if (r !== undefined) r.deletedAt = Date.now();
    expect(await cleanupDueDrills(deps)).toMatchObject({ tagged: 0, gone: 1 });
    expect((await findDrillRecord(env.deps.ddb, TABLE, restoreJobId))?.drillState).toBe('gone');
  });
});

describe('EC2: the instance and every volume the restore created', () => {
  const volumesOf = (instanceArn: string) => {
    const id = instanceArn.split('/').pop() ?? '';
    return env.aws.resources.store.list('volume').filter((v) => v.attachedTo === id);
  };

  it('tags and records the attached volumes, terminates, then deletes the volume TerminateInstances left', async () => {
    // Termination takes a while here, as on AWS: the volume it leaves is detached only then.
    (env.aws.resources.store.timing as { goneAfterMs: number }).goneAfterMs = 150;
    const { restoreJobId, arn } = await drill('EC2', P.EC2, { InstanceType: 't3.micro' });
    const volumes = volumesOf(arn);
    expect(volumes.map((v) => v.deleteOnTermination)).toStrictEqual([true, false]);
    expect(await cleanupDueDrills(deps)).toMatchObject({ tagged: 1, terminating: 1, deleted: 0 });
    for (const v of volumes) expect(v.tags['backup-restore:drill']).toBe(restoreJobId);
    let record = await findDrillRecord(env.deps.ddb, TABLE, restoreJobId);
    expect(record?.drillState).toBe('terminating');
    expect(record?.volumeIds).toStrictEqual(volumes.map((v) => v.id));
    await sleep(200);
    expect(await cleanupDueDrills(deps)).toMatchObject({ deleted: 1, leftovers: 0 });
    expect(live(arn)).toBe(false);
    for (const v of volumes) expect(live(v.arn)).toBe(false);
    record = await findDrillRecord(env.deps.ddb, TABLE, restoreJobId);
    expect(record?.drillState).toBe('deleted');
    expect(record?.cleanupReason).toMatch(
      /TerminateInstances.*DeleteVolume vol-\w+ \(left by TerminateInstances\)/,
    );
    expect(deadLetters(env)).toHaveLength(0);
  });

  it('a volume attached to the drill instance after it was recorded refuses the deletion, before anything is terminated', async () => {
    const { restoreJobId, arn } = await drill(
      'EC2',
      P.EC2,
      { InstanceType: 't3.micro' },
      { hours: 2, hoursAgo: 1 },
    );
    expect(await cleanupDueDrills(deps)).toMatchObject({ tagged: 1 });
    const store = env.aws.resources.store;
    store.put({
      kind: 'volume',
      id: 'vol-0production0000001',
      arn: 'arn:aws:ec2:eu-west-1:123456789012:volume/vol-0production0000001',
      createdAt: Date.now() - 86_400_000,
      attachedTo: arn.split('/').pop() ?? '',
      deleteOnTermination: true,
    });
    deps = { ...deps, now: () => new Date(Date.now() + 2 * 3_600_000) };
    expect(await cleanupDueDrills(deps)).toMatchObject({ refused: 1, deleted: 0 });
    expect(live(arn)).toBe(true);
    expect(live('arn:aws:ec2:eu-west-1:123456789012:volume/vol-0production0000001')).toBe(true);
    expect((await findDrillRecord(env.deps.ddb, TABLE, restoreJobId))?.cleanupReason).toMatch(
      /vol-0production0000001 was attached after the drill was recorded/,
    );
  });

  it('a left volume attached elsewhere meanwhile is a leftover: listed on the record, in the report and in a dead letter', async () => {
    (env.aws.resources.store.timing as { goneAfterMs: number }).goneAfterMs = 150;
    const { restoreJobId, arn } = await drill('EC2', P.EC2, { InstanceType: 't3.micro' });
    const [, data] = volumesOf(arn);
    expect(await cleanupDueDrills(deps)).toMatchObject({ terminating: 1 });
    await sleep(200);
    // Someone attached it to their own instance meanwhile.
    if (data !== undefined) {
      data.detachAt = undefined;
      data.attachedTo = 'i-0someoneelse000001';
    }
    const lines: string[] = [];
    const counts = await cleanupDueDrills({
      ...deps,
      logger: createLogger({ sink: (l) => lines.push(l), level: 'debug' }),
    });
    expect(counts).toMatchObject({ deleted: 1, leftovers: 1 });
    expect(live(data?.arn ?? '')).toBe(true);
    const record = await findDrillRecord(env.deps.ddb, TABLE, restoreJobId);
    expect(record?.leftovers).toStrictEqual([
      `${data?.id}: attached to i-0someoneelse000001; it is not detached`,
    ]);
    const report = lines.map((l) => JSON.parse(l)).find((l) => l.message === 'Drill cleanup run');
    expect(report?.leftovers).toStrictEqual([`${restoreJobId}: ${record?.leftovers?.[0]}`]);
    expect(deadLetters(env).map((l) => [l.failure, l.reason])).toStrictEqual([
      ['drill-cleanup-failed', expect.stringContaining(`left: ${data?.id}`)],
    ]);
  });
});

describe('S3: versioned buckets, and ABAC before the tag', () => {
  const META = { DestinationBucketName: 'invoices-r1a2b3c4' };

  it('switches ABAC on, tags with S3 Control, then empties every version and delete marker and deletes the bucket', async () => {
    const { restoreJobId, arn } = await drill('S3', P.S3, META);
    const bucket = env.aws.resources.store.byArn(arn);
    if (bucket !== undefined) {
      bucket.versioning = 'Enabled';
      bucket.versions = [
        { key: 'data/a.csv', versionId: 'v1' },
        { key: 'data/a.csv', versionId: 'v2' },
        { key: 'data/b.csv', versionId: 'v3' },
        { key: 'data/b.csv', versionId: 'v4', deleteMarker: true },
        ...Array.from({ length: 1200 }, (_, i) => ({ key: `bulk/${i}`, versionId: `b${i}` })),
      ];
    }
    expect(await cleanupDueDrills(deps)).toMatchObject({ tagged: 1, deleted: 1, failed: 0 });
    expect(bucket?.abac).toBe(true);
    expect(bucket?.tags['backup-restore:drill']).toBe(restoreJobId);
    expect(bucket?.versions).toStrictEqual([]);
    expect(live(arn)).toBe(false);
    expect((await findDrillRecord(env.deps.ddb, TABLE, restoreJobId))?.cleanupReason).toMatch(
      /versioning Enabled, DeleteObjects \(1203 version\(s\), 1 delete marker\(s\)\), DeleteBucket/,
    );
  });

  it('a bucket with Object Lock is refused before anything in it is deleted', async () => {
    const { restoreJobId, arn } = await drill('S3', P.S3, META);
    const bucket = env.aws.resources.store.byArn(arn);
    if (bucket !== undefined) {
      bucket.versioning = 'Enabled';
      bucket.objectLock = true;
      bucket.versions = [{ key: 'data/a.csv', versionId: 'v1' }];
    }
    expect(await cleanupDueDrills(deps)).toMatchObject({ deleted: 0, refused: 1 });
    expect(bucket?.versions).toStrictEqual([{ key: 'data/a.csv', versionId: 'v1' }]);
    expect(live(arn)).toBe(true);
    expect((await findDrillRecord(env.deps.ddb, TABLE, restoreJobId))?.cleanupReason).toMatch(/Object Lock/);
  });
});

describe('DynamoDB: a table UPDATING after its deletion protection is turned off', () => {
  it('is left for the next run, not failed, when it is not ACTIVE again in time; then deleted', async () => {
    const { restoreJobId, arn } = await drill('DynamoDB', P.DynamoDB, { targetTableName: 'orders-r1a2b3c4' });
    const table = env.aws.resources.store.byArn(arn);
    if (table !== undefined) table.deletionProtection = true;
    (env.aws.resources.store.timing as { updatingMs: number }).updatingMs = 60_000;
    // Too little time left in this run to wait for it.
    expect(await cleanupDueDrills({ ...deps, deadline: Date.now() + 1_000 })).toMatchObject({
      retry: 1,
      failed: 0,
    });
    let record = await findDrillRecord(env.deps.ddb, TABLE, restoreJobId);
    expect(record?.drillState).toBe('waiting');
    expect(record?.attempts).toBe(0);
    expect(table?.deletionProtection).toBe(false);
    expect(live(arn)).toBe(true);
    // The next run waits until the table is ACTIVE again, then deletes it.
    if (table !== undefined) table.updatingUntil = Date.now() + 50;
    expect(await cleanupDueDrills(deps)).toMatchObject({ deleted: 1 });
    expect(live(arn)).toBe(false);
    record = await findDrillRecord(env.deps.ddb, TABLE, restoreJobId);
    expect(record?.drillState).toBe('deleted');
  });
});

describe('a drill record without a due time', () => {
  it('gets one from its completion on the next run (waiting records included), or is failed and dead-lettered', async () => {
    const { PutItemCommand } = await import('@aws-sdk/client-dynamodb');
    const { restoreJobId, arn } = await drill('RDS', P.RDS, { DBInstanceIdentifier: 'orders-db-r1a2b3c4' });
    const completedAt = HOURS_AGO(30);
    // As records were written for 0-hour drills: tagged already, no due time, the verdict never came.
    const put = (id: string, completed: string) =>
      env.deps.ddb.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: {
            restoreJobId: { S: `${id}#drill` },
            jobId: { S: id },
            resourceType: { S: 'RDS' },
            createdResourceArn: { S: arn },
            deleteAfterHours: { N: '0' },
            completedAt: { S: completed },
            drillState: { S: 'waiting' },
            attempts: { N: '0' },
          },
        }),
      );
    await put(restoreJobId, completedAt);
    await tagDrillResource(clients, 'RDS', arn, {
      restoreJobId,
      jobCreatedAt: undefined,
      accountId: undefined,
      deadline: Date.now(),
      sleep: async () => undefined,
    });
    await put('job-without-completion', 'not a time');
    expect(await cleanupDueDrills(deps)).toMatchObject({ scheduled: 1, deleted: 1, failed: 1 });
    expect((await findDrillRecord(env.deps.ddb, TABLE, restoreJobId))?.dueAt).toBe(
      new Date(Date.parse(completedAt) + 24 * 3_600_000).toISOString(),
    );
    expect(live(arn)).toBe(false);
    const broken = await findDrillRecord(env.deps.ddb, TABLE, 'job-without-completion');
    expect(broken?.drillState).toBe('failed');
    expect(broken?.cleanupReason).toMatch(/no due time and no completion time/);
  });
});

describe('the drill-cleanup-failed letter', () => {
  /** An RDS drill whose resource carries another job's drill tag: the cleanup refuses to tag it. */
  async function foreignTagged() {
    const made = await drill('RDS', P.RDS, { DBInstanceIdentifier: 'orders-db-r1a2b3c4' });
    const r = env.aws.resources.store.byArn(made.arn);
    if (r !== undefined) r.tags['backup-restore:drill'] = 'another-job';
    return made;
  }

  it('is sent once when the record cannot be marked on the first run', async () => {
    const { restoreJobId } = await foreignTagged();
    const ddb = env.deps.ddb;
    type Command = { constructor: { name: string }; input: { Key?: { restoreJobId?: { S?: string } } } };
    const recordRefused = {
      send: (command: Command) =>
        command.constructor.name === 'UpdateItemCommand' &&
        command.input.Key?.restoreJobId?.S === `${restoreJobId}#drill`
          ? Promise.reject(new Error('record refused'))
          : ddb.send(command as never),
    };
    await expect(cleanupDueDrills({ ...deps, ddb: recordRefused as never })).rejects.toThrow(
      /record refused/,
    );
    expect(await cleanupDueDrills(deps)).toMatchObject({ refused: 1 });
    expect((await findDrillRecord(ddb, TABLE, restoreJobId))?.drillState).toBe('refused');
    expect(deadLetters(env).map((l) => [l.failure, l.restoreJob?.restoreJobId])).toStrictEqual([
      ['drill-cleanup-failed', restoreJobId],
    ]);
    // A later run has nothing more to say about it.
    await cleanupDueDrills(deps);
    expect(deadLetters(env)).toHaveLength(1);
  });

  it('that could not be sent after the record was marked is sent by the next run, once', async () => {
    const { restoreJobId } = await foreignTagged();
    env.aws.faults.set({ SendMessage: { errorRates: { ServiceUnavailable: 1 } } });
    await cleanupDueDrills(deps).catch(() => undefined);
    expect(deadLetters(env)).toHaveLength(0);
    env.aws.faults.set({});
    await cleanupDueDrills(deps);
    await cleanupDueDrills(deps);
    const record = await findDrillRecord(env.deps.ddb, TABLE, restoreJobId);
    expect(record?.drillState).toBe('refused');
    expect(deadLetters(env).map((l) => [l.failure, l.restoreJob?.restoreJobId])).toStrictEqual([
      ['drill-cleanup-failed', restoreJobId],
    ]);
  });
});

/**
 * A drill's resource that is never ready (a DynamoDB table UPDATING past every run's deadline): the
 * waits are counted apart from the attempts and, at CLEANUP_NOT_READY_MAX_RUNS, the cleanup stops,
 * deletes nothing more and dead-letters drill-cleanup-failed with the reason.
 */
test('a table UPDATING on every run (never ready): counted, then dead-lettered drill-cleanup-failed at the bound, never deleted', async () => {
  const { restoreJobId, arn } = await drill('DynamoDB', P.DynamoDB, { targetTableName: 'orders-r1a2b3c4' });
  const table = env.aws.resources.store.byArn(arn);
  if (table !== undefined) table.deletionProtection = true;
  (env.aws.resources.store.timing as { updatingMs: number }).updatingMs = 3_600_000;
  const bounded = { ...deps, config: { ...deps.config, cleanupNotReadyMaxRuns: 3 } };
  const run = () => cleanupDueDrills({ ...bounded, deadline: Date.now() + 200 });
  expect(await run()).toMatchObject({ retry: 1, failed: 0 });
  expect(await run()).toMatchObject({ retry: 1, failed: 0 });
  expect((await findDrillRecord(env.deps.ddb, TABLE, restoreJobId))?.notReadyRuns).toBe(2);
  expect(await deadLetters(env)).toStrictEqual([]);
  // The third run that finds it not ready is the last.
  expect(await run()).toMatchObject({ retry: 0, failed: 1 });
  const record = await findDrillRecord(env.deps.ddb, TABLE, restoreJobId);
  expect(record?.drillState).toBe('failed');
  expect(record?.cleanupReason).toMatch(/not ready after 3 runs .*CLEANUP_NOT_READY_MAX_RUNS/);
  expect(live(arn)).toBe(true);
  const letters = await deadLetters(env);
  expect(letters.map((l) => [l.failure, l.restoreJob?.restoreJobId])).toStrictEqual([
    ['drill-cleanup-failed', restoreJobId],
  ]);
  expect(letters[0]?.reason).toMatch(/UPDATING|not ready/);
  // A later run does nothing more to it.
  expect(await run()).toMatchObject({ retry: 0, failed: 0, deleted: 0 });
  expect(live(arn)).toBe(true);
});
