import { BackupClient, ListRecoveryPointsByResourceCommand } from '@aws-sdk/client-backup';
import { mockClient } from 'aws-sdk-client-mock';
import { listRecoveryPointsByResource } from '../src/aws/backup';
import { identitySuffix, prepareMetadata } from '../src/plan/metadata';
import {
  type Candidate,
  chooseRecoveryPoint as choose,
  type Window,
  withRestoreTime,
} from '../src/plan/recovery-point';
import { describeWindow, noRecoveryPoint, windowOf } from '../src/plan/window';

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
