import {
  BackupClient,
  DescribeRestoreJobCommand,
  ListRecoveryPointsByBackupVaultCommand,
  ListRecoveryPointsByResourceCommand,
  ListRestoreJobsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-backup';
import { mockClient } from 'aws-sdk-client-mock';
import {
  type Candidate,
  describeRestoreJob,
  listRecoveryPointsByResource,
  listRecoveryPointsInVault,
  restoreJobsEndedAfter,
} from '../../src/aws/backup';
import { identitySuffix, prepareMetadata } from '../../src/plan/metadata';
import { chooseRecoveryPoint as choose, type Window, withRestoreTime } from '../../src/plan/recovery-point';
import { choosePointOf, requestForChoice } from '../../src/plan/resource-restore';
import { describeWindow, noRecoveryPoint, windowOf } from '../../src/plan/window';

const now = new Date('2026-11-28T00:00:00Z');
/** The snapshot chosen for a window (no point-in-time moment). */
const chooseRecoveryPoint = (points: Candidate[], window: Window, allowedVaults?: string[]) =>
  choose(points, { window, now, ...(allowedVaults === undefined ? {} : { allowedVaults }) })?.point;

const at = new Date('2026-11-26T10:00:00Z');
const point = (
  id: string,
  created: string,
  Status = 'COMPLETED',
  BackupVaultName = 'Default',
): Candidate => ({
  RecoveryPointArn: id,
  BackupVaultName,
  CreationDate: new Date(created),
  Status,
});

describe('chooseRecoveryPoint', () => {
  // Deliberately not in creation order, as the API does not promise one.
  const points = [
    point('day-before', '2026-11-25T03:00:00Z'),
    point('after-alarm', '2026-11-26T11:00:00Z'),
    point('partial', '2026-11-26T09:30:00Z', 'PARTIAL'),
    point('good', '2026-11-26T03:00:00Z'),
    point('other-vault', '2026-11-26T09:00:00Z', 'COMPLETED', 'Scratch'),
  ];

  it('takes the latest COMPLETED point created before the alarm, never one taken after the damage', () => {
    expect(
      chooseRecoveryPoint(points, windowOf({ mode: 'before-alarm' }, at), ['Default'])?.RecoveryPointArn,
    ).toBe('good');
    expect(chooseRecoveryPoint(points, windowOf({ mode: 'before-alarm' }, at))?.RecoveryPointArn).toBe(
      'other-vault',
    );
  });

  it('takes the latest point of all with the "latest" rule', () => {
    expect(chooseRecoveryPoint(points, windowOf({ mode: 'latest' }, at))?.RecoveryPointArn).toBe(
      'after-alarm',
    );
  });

  it('looks back only as far as the window', () => {
    expect(
      chooseRecoveryPoint(points, windowOf({ mode: 'look-back', hours: 8 }, at), ['Default'])
        ?.RecoveryPointArn,
    ).toBe('good');
    expect(
      chooseRecoveryPoint(points, windowOf({ mode: 'look-back', hours: 6 }, at), ['Default']),
    ).toBeUndefined();
  });

  it('takes AVAILABLE like COMPLETED, and never PARTIAL, EXPIRED, DELETING, CREATING or STOPPED', () => {
    const statuses = ['PARTIAL', 'EXPIRED', 'DELETING', 'CREATING', 'STOPPED'];
    const bad = statuses.map((s, i) => point(s, `2026-11-26T0${i + 5}:00:00Z`, s));
    expect(
      chooseRecoveryPoint([...bad, point('ok', '2026-11-26T01:00:00Z', 'AVAILABLE')], {})?.RecoveryPointArn,
    ).toBe('ok');
    expect(chooseRecoveryPoint(bad, {})).toBeUndefined();
  });

  it('never picks a composite (CloudFormation parent) point; a nested one is restorable', () => {
    const parent = {
      ...point('parent', '2026-11-26T05:00:00Z'),
      IsParent: true,
      ResourceType: 'CloudFormation',
    };
    const nested = {
      ...point('nested', '2026-11-26T04:00:00Z'),
      IsParent: false,
      ResourceType: 'CloudFormation',
    };
    expect(chooseRecoveryPoint([parent, point('old', '2026-11-26T01:00:00Z')], {})?.RecoveryPointArn).toBe(
      'old',
    );
    expect(chooseRecoveryPoint([parent, nested], {})?.RecoveryPointArn).toBe('nested');
  });

  it('restores a continuous point to the moment, to the second, when its window covers it', () => {
    const continuous = point(
      'arn:aws:backup:eu-west-1:1:recovery-point:continuous:db-1',
      '2026-11-20T00:00:00Z',
    );
    const snapshot = point('snap', '2026-11-26T03:00:00Z');
    const moment = new Date('2026-11-26T09:57:00.750Z');
    expect(
      choose([snapshot, continuous], { window: { notAfter: moment }, pointInTime: moment, now }),
    ).toStrictEqual({
      kind: 'point-in-time',
      point: continuous,
      restoreTime: new Date('2026-11-26T09:57:00.000Z'),
    });
    // Without a moment (rule "latest") a continuous point is never chosen.
    expect(choose([continuous], { window: {}, now })).toBeUndefined();
    // Outside its window (before it began, or later than 5 minutes before now): the snapshot.
    const early = new Date('2026-11-19T00:00:00Z');
    expect(choose([snapshot, continuous], { window: {}, pointInTime: early, now })?.kind).toBe('snapshot');
    const recent = new Date(now.getTime() - 60_000);
    expect(choose([continuous], { window: { notAfter: recent }, pointInTime: recent, now })).toBeUndefined();
    // Kept 3 days: a moment 4 days back is no longer restorable.
    const kept = { ...continuous, DeleteAfterDays: 3 };
    expect(
      choose([kept], { window: {}, pointInTime: new Date('2026-11-24T00:00:00Z'), now }),
    ).toBeUndefined();
  });

  it("puts the moment under the type's own key, and drops a stored use-latest flag", () => {
    const at2 = new Date('2026-11-26T09:57:00.750Z');
    expect(withRestoreTime('RDS', { UseLatestRestorableTime: 'true', A: 'b' }, at2)).toStrictEqual({
      A: 'b',
      RestoreTime: '2026-11-26T09:57:00Z',
    });
    expect(withRestoreTime('Aurora', {}, at2)).toStrictEqual({ restoreToTime: '2026-11-26T09:57:00Z' });
    expect(withRestoreTime('EBS', {}, at2)).toBeUndefined();
  });

  it('moves the moment back by the margin', () => {
    expect(windowOf({ mode: 'before-alarm', marginSeconds: 180 }, at)).toStrictEqual({
      notAfter: new Date('2026-11-26T09:57:00Z'),
    });
  });

  it('finds nothing when no point is COMPLETED, and says which resource, vaults and window', () => {
    expect(chooseRecoveryPoint([point('p', '2026-11-26T01:00:00Z', 'EXPIRED')], {})).toBeUndefined();
    const window = windowOf({ mode: 'look-back', hours: 6 }, at);
    expect(describeWindow(window)).toBe(
      'created at or before 2026-11-26T10:00:00.000Z and after 2026-11-26T04:00:00.000Z',
    );
    expect(noRecoveryPoint('arn:aws:rds:eu-west-1:123456789012:db:x', window, ['A', 'B']).message).toBe(
      'No COMPLETED or AVAILABLE recovery point of arn:aws:rds:eu-west-1:123456789012:db:x in the vaults searched (A, B) created at or before 2026-11-26T10:00:00.000Z and after 2026-11-26T04:00:00.000Z: check the backup plan covers the resource, or choose another time or rule (latest, look-back:Nh)',
    );
  });
});

describe('prepareMetadata', () => {
  const suffix = identitySuffix('token-1');

  it('is deterministic per token and short', () => {
    expect(suffix).toMatch(/^r[0-9a-f]{7}$/);
    expect(identitySuffix('token-1')).toBe(suffix);
    expect(identitySuffix('token-2')).not.toBe(suffix);
  });

  it('drops RDS informational keys and gives the instance a new name', () => {
    expect(
      prepareMetadata(
        'RDS',
        {
          DBInstanceIdentifier: 'billing-db',
          DBSnapshotIdentifier: 'awsbackup:job-1',
          EngineVersion: '16.4',
          KmsKeyId: 'k',
          Encrypted: 'true',
          vpcId: 'vpc-1',
          DBInstanceClass: 'db.m6g.large',
        },
        { MultiAZ: 'false' },
        suffix,
      ),
    ).toStrictEqual({
      DBInstanceIdentifier: `billing-db-${suffix}`,
      DBInstanceClass: 'db.m6g.large',
      MultiAZ: 'false',
    });
  });

  it('keeps new names inside the length limits and naming rules of each type', () => {
    const long = `a${'b-'.repeat(40)}`;
    const rds = prepareMetadata('RDS', { DBInstanceIdentifier: long }, {}, suffix).DBInstanceIdentifier ?? '';
    expect(rds.length).toBeLessThanOrEqual(63);
    expect(rds).toMatch(/^[A-Za-z](?!.*--)[A-Za-z0-9-]*[A-Za-z0-9]$/);
    expect(rds.endsWith(suffix)).toBe(true);

    const aurora = prepareMetadata(
      'Aurora',
      { dbClusterIdentifier: 'x'.repeat(63), engine: 'aurora-mysql' },
      {},
      suffix,
    );
    expect(aurora.dbClusterIdentifier).toBe(`${'x'.repeat(54)}-${suffix}`);
    expect(aurora.dbClusterIdentifier?.length).toBe(63);

    const bucket = prepareMetadata(
      'S3',
      { DestinationBucketName: 'Reports_Bucket.2026'.padEnd(63, 'z') },
      {},
      suffix,
    );
    expect(bucket.DestinationBucketName?.length).toBeLessThanOrEqual(63);
    expect(bucket.DestinationBucketName).toMatch(/^[a-z0-9][a-z0-9-]*[a-z0-9]$/);
    expect(bucket.NewBucket).toBe('true');

    const table = prepareMetadata('DynamoDB', { TargetTableName: 't'.repeat(255) }, {}, suffix);
    expect(table.TargetTableName?.length).toBe(255);

    const efs = prepareMetadata(
      'EFS',
      { CreationToken: 'c'.repeat(100), newFileSystem: 'false' },
      {},
      suffix,
    );
    expect(efs.CreationToken?.length).toBe(64);
    expect(efs.newFileSystem).toBe('true');

    expect(prepareMetadata('RDS', { DBInstanceIdentifier: '123' }, {}, suffix).DBInstanceIdentifier).toBe(
      `restored-${suffix}`,
    );
  });

  it('drops EC2 CpuOptions, and NetworkInterfaces only when the subnet or groups are overridden', () => {
    const stored = {
      InstanceType: 't3.micro',
      NetworkInterfaces: '[]',
      CpuOptions: '{}',
      IamInstanceProfileName: 'app',
    };
    expect(prepareMetadata('EC2', stored, {}, suffix)).toStrictEqual({
      InstanceType: 't3.micro',
      NetworkInterfaces: '[]',
      IamInstanceProfileName: 'app',
    });
    expect(prepareMetadata('EC2', stored, { SubnetId: 'subnet-2' }, suffix)).toStrictEqual({
      InstanceType: 't3.micro',
      IamInstanceProfileName: 'app',
      SubnetId: 'subnet-2',
    });
  });

  it('lets overrides win over the new identity', () => {
    expect(
      prepareMetadata('RDS', { DBInstanceIdentifier: 'a' }, { DBInstanceIdentifier: 'chosen' }, suffix)
        .DBInstanceIdentifier,
    ).toBe('chosen');
  });
});

describe('listRecoveryPointsByResource', () => {
  afterEach(() => mockClient(BackupClient).restore());

  it('follows every page', async () => {
    const backup = mockClient(BackupClient);
    const arn = 'arn:aws:ec2:eu-west-1:123456789012:volume/vol-1';
    backup
      .on(ListRecoveryPointsByResourceCommand, { ResourceArn: arn })
      .resolvesOnce({
        RecoveryPoints: [
          { RecoveryPointArn: 'p1', CreationDate: at, Status: 'COMPLETED', BackupVaultName: 'V' },
        ],
        NextToken: 't1',
      })
      .resolvesOnce({
        RecoveryPoints: [
          { RecoveryPointArn: 'p2', CreationDate: at, Status: 'COMPLETED', BackupVaultName: 'V' },
        ],
        NextToken: 't2',
      })
      .resolvesOnce({ RecoveryPoints: [{ RecoveryPointArn: 'p3', CreationDate: at, Status: 'EXPIRED' }] });
    const points = await listRecoveryPointsByResource(new BackupClient({ region: 'eu-west-1' }), arn);
    expect(points.map((p: Candidate) => p.RecoveryPointArn)).toStrictEqual(['p1', 'p2', 'p3']);
    expect(
      backup.commandCalls(ListRecoveryPointsByResourceCommand).map((c) => c.args[0].input),
    ).toStrictEqual([
      { ResourceArn: arn },
      { ResourceArn: arn, NextToken: 't1' },
      { ResourceArn: arn, NextToken: 't2' },
    ]);
  });
});

describe('the recovery points as candidates', () => {
  afterEach(() => mockClient(BackupClient).restore());
  const client = () => new BackupClient({ region: 'eu-west-1' });

  it('from the listing by resource: the vault when it names one, else empty; points without ARN or date left out', async () => {
    mockClient(BackupClient)
      .on(ListRecoveryPointsByResourceCommand)
      .resolves({
        RecoveryPoints: [
          {
            RecoveryPointArn: 'p1',
            CreationDate: at,
            Status: 'COMPLETED',
            BackupVaultName: 'V',
            IsParent: false,
          },
          { RecoveryPointArn: 'p2', CreationDate: at },
          { RecoveryPointArn: 'p3', Status: 'COMPLETED' },
          { CreationDate: at, Status: 'COMPLETED' },
        ],
      });
    await expect(
      listRecoveryPointsByResource(client(), 'arn:aws:ec2:eu-west-1:123456789012:instance/i-1'),
    ).resolves.toStrictEqual([
      {
        RecoveryPointArn: 'p1',
        BackupVaultName: 'V',
        CreationDate: at,
        Status: 'COMPLETED',
        IsParent: false,
      },
      { RecoveryPointArn: 'p2', BackupVaultName: '', CreationDate: at, Status: 'UNKNOWN' },
    ]);
  });

  it('from a vault: the vault searched when the listing does not say, its owner, type and lifecycle', async () => {
    const backup = mockClient(BackupClient);
    backup.on(ListRecoveryPointsByBackupVaultCommand).resolves({
      RecoveryPoints: [
        {
          RecoveryPointArn: 'p1',
          CreationDate: at,
          Status: 'AVAILABLE',
          ResourceType: 'RDS',
          Lifecycle: { DeleteAfterDays: 7 },
        },
        {
          RecoveryPointArn: 'p2',
          BackupVaultName: 'named',
          CreationDate: at,
          Status: 'COMPLETED',
          IsParent: true,
        },
        { RecoveryPointArn: 'p3' },
      ],
    });
    await expect(
      listRecoveryPointsInVault(client(), 'shared-vault', 'arn:r', '444455556666'),
    ).resolves.toStrictEqual([
      {
        RecoveryPointArn: 'p1',
        BackupVaultName: 'shared-vault',
        BackupVaultAccountId: '444455556666',
        CreationDate: at,
        Status: 'AVAILABLE',
        ResourceType: 'RDS',
        DeleteAfterDays: 7,
      },
      {
        RecoveryPointArn: 'p2',
        BackupVaultName: 'named',
        BackupVaultAccountId: '444455556666',
        CreationDate: at,
        Status: 'COMPLETED',
        IsParent: true,
      },
    ]);
    expect(backup.commandCalls(ListRecoveryPointsByBackupVaultCommand)[0]?.args[0].input).toStrictEqual({
      BackupVaultName: 'shared-vault',
      BackupVaultAccountId: '444455556666',
      ByResourceArn: 'arn:r',
    });
    await expect(listRecoveryPointsInVault(client(), 'own-vault', 'arn:r')).resolves.toMatchObject([
      { RecoveryPointArn: 'p1', BackupVaultName: 'own-vault' },
      { RecoveryPointArn: 'p2' },
    ]);
    expect((await listRecoveryPointsInVault(client(), 'own-vault', 'arn:r'))[0]).not.toHaveProperty(
      'BackupVaultAccountId',
    );
  });
});

/** An error as the SDK throws it for an AWS error answer Backup's model does not name. */
const awsError = (name: string, status: number) =>
  Object.assign(new Error(name), { name, $fault: 'client', $metadata: { httpStatusCode: status } });

describe('restoreJobsEndedAfter', () => {
  afterEach(() => mockClient(BackupClient).restore());

  it('follows every page by completion time, and tries a throttled page again', async () => {
    const after = new Date('2026-11-26T00:00:00Z');
    const backup = mockClient(BackupClient);
    backup
      .on(ListRestoreJobsCommand)
      .resolvesOnce({ RestoreJobs: [{ RestoreJobId: 'j1' }], NextToken: 't1' })
      .rejectsOnce(awsError('ThrottlingException', 429))
      .resolvesOnce({ RestoreJobs: [{ RestoreJobId: 'j2' }, { RestoreJobId: 'j3' }], NextToken: '' });
    const jobs = await restoreJobsEndedAfter(new BackupClient({ region: 'eu-west-1' }), after);
    expect(jobs.map((j) => j.RestoreJobId)).toStrictEqual(['j1', 'j2', 'j3']);
    expect(backup.commandCalls(ListRestoreJobsCommand).map((c) => c.args[0].input)).toStrictEqual([
      { ByCompleteAfter: after, MaxResults: 1000, NextToken: undefined },
      { ByCompleteAfter: after, MaxResults: 1000, NextToken: 't1' },
      { ByCompleteAfter: after, MaxResults: 1000, NextToken: 't1' },
    ]);
  });

  it('throws a permanent error at once, sorted', async () => {
    mockClient(BackupClient).on(ListRestoreJobsCommand).rejects(awsError('AccessDeniedException', 403));
    await expect(
      restoreJobsEndedAfter(new BackupClient({ region: 'eu-west-1' }), new Date()),
    ).rejects.toMatchObject({
      name: 'AwsCallError',
      awsErrorName: 'AccessDeniedException',
      retryable: false,
    });
  });
});

describe('describeRestoreJob', () => {
  afterEach(() => mockClient(BackupClient).restore());

  it("answers AWS's description, nothing for a job AWS does not know, and sorts other errors", async () => {
    const backup = mockClient(BackupClient);
    backup
      .on(DescribeRestoreJobCommand, { RestoreJobId: 'j1' })
      .resolves({ RestoreJobId: 'j1', Status: 'RUNNING' });
    backup
      .on(DescribeRestoreJobCommand, { RestoreJobId: 'gone' })
      .rejects(new ResourceNotFoundException({ message: 'not found', $metadata: { httpStatusCode: 400 } }));
    backup
      .on(DescribeRestoreJobCommand, { RestoreJobId: 'denied' })
      .rejects(awsError('AccessDeniedException', 403));
    const client = new BackupClient({ region: 'eu-west-1' });
    await expect(describeRestoreJob(client, 'j1')).resolves.toStrictEqual({
      RestoreJobId: 'j1',
      Status: 'RUNNING',
    });
    await expect(describeRestoreJob(client, 'gone')).resolves.toBeUndefined();
    await expect(describeRestoreJob(client, 'denied')).rejects.toMatchObject({
      name: 'AwsCallError',
      awsErrorName: 'AccessDeniedException',
      retryable: false,
    });
  });
});

describe('a restore by resource, planned (pure)', () => {
  const snapshot: Candidate = {
    RecoveryPointArn: 'arn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-1',
    BackupVaultName: 'prod-vault',
    CreationDate: new Date('2026-11-26T09:00:00Z'),
    Status: 'COMPLETED',
  };
  const continuous: Candidate = {
    RecoveryPointArn: 'arn:aws:backup:eu-west-1:123456789012:recovery-point:continuous:db-1',
    BackupVaultName: 'prod-vault',
    CreationDate: new Date('2026-11-20T00:00:00Z'),
    Status: 'COMPLETED',
  };
  const spec = { overrides: { DBInstanceClass: 'db.r6g.large' }, idempotencyToken: 'alarm-1' };
  const rds = { resourceType: 'RDS', metadata: { DBInstanceIdentifier: 'orders', EngineVersion: '15.4' } };

  it('chooses the continuous point at the moment before the alarm, else says where it looked', () => {
    const found = { points: [snapshot, continuous], vaultsSearched: ['prod-vault'] };
    const options = {
      selection: { mode: 'before-alarm' as const, marginSeconds: 60 },
      at,
      now,
      allowedVaults: undefined,
    };
    expect(choosePointOf('arn:r', found, options)).toStrictEqual({
      kind: 'point-in-time',
      point: continuous,
      restoreTime: new Date('2026-11-26T09:59:00Z'),
    });
    expect(choosePointOf('arn:r', found, { ...options, selection: { mode: 'latest' } })).toStrictEqual({
      kind: 'snapshot',
      point: snapshot,
    });
    expect(() => choosePointOf('arn:r', found, { ...options, allowedVaults: ['other-vault'] })).toThrow(
      noRecoveryPoint('arn:r', windowOf({ mode: 'before-alarm', marginSeconds: 60 }, at), ['prod-vault'])
        .message,
    );
  });

  it('builds the request of a snapshot: stored metadata prepared, a new name, the overrides', () => {
    expect(requestForChoice({ kind: 'snapshot', point: snapshot }, rds, spec, undefined)).toStrictEqual({
      kind: 'recovery-point',
      RecoveryPointArn: snapshot.RecoveryPointArn,
      Metadata: {
        DBInstanceIdentifier: `orders-${identitySuffix('alarm-1')}`,
        DBInstanceClass: 'db.r6g.large',
      },
      IdempotencyToken: 'alarm-1',
      ResourceType: 'RDS',
    });
    // A retry after a failed job: another name, the same token.
    const retried = requestForChoice({ kind: 'snapshot', point: snapshot }, rds, spec, 'failed-job');
    expect(retried.Metadata.DBInstanceIdentifier).toBe(
      `orders-${identitySuffix('alarm-1/after:failed-job')}`,
    );
  });

  it('sets the moment of a point-in-time restore, with the role and the tag flag only when true', () => {
    const choice = {
      kind: 'point-in-time' as const,
      point: continuous,
      restoreTime: new Date('2026-11-26T09:59:00.700Z'),
    };
    const role = 'arn:aws:iam::123456789012:role/restore';
    expect(
      requestForChoice(choice, rds, { ...spec, iamRoleArn: role, copySourceTags: true }, undefined),
    ).toStrictEqual({
      kind: 'recovery-point',
      RecoveryPointArn: continuous.RecoveryPointArn,
      Metadata: {
        DBInstanceIdentifier: `orders-${identitySuffix('alarm-1')}`,
        DBInstanceClass: 'db.r6g.large',
        RestoreTime: '2026-11-26T09:59:00Z',
      },
      IdempotencyToken: 'alarm-1',
      ResourceType: 'RDS',
      IamRoleArn: role,
      CopySourceTagsToRestoredResource: true,
    });
    expect(requestForChoice(choice, rds, { ...spec, copySourceTags: false }, undefined)).not.toHaveProperty(
      'CopySourceTagsToRestoredResource',
    );
  });

  it('refuses what cannot be restored as asked', () => {
    const pit = { kind: 'point-in-time' as const, point: continuous, restoreTime: at };
    expect(() => requestForChoice(pit, { resourceType: 'EBS', metadata: {} }, spec, undefined)).toThrow(
      /is a continuous recovery point of an EBS resource, for which this pipeline knows no point-in-time restore key/,
    );
    expect(() =>
      requestForChoice(
        { kind: 'snapshot', point: snapshot },
        { resourceType: 'EBS', metadata: {} },
        spec,
        undefined,
      ),
    ).toThrow(/lacks availabilityZone for an EBS restore/);
    expect(() =>
      requestForChoice(
        { kind: 'snapshot', point: snapshot },
        { resourceType: 'DynamoDB', metadata: { targetTableName: 'orders' } },
        { ...spec, copySourceTags: true },
        undefined,
      ),
    ).toThrow(
      'CopySourceTagsToRestoredResource: true makes AWS fail DynamoDB restores; set it to false or leave it out',
    );
  });
});
