import { BackupClient, ListRecoveryPointsByResourceCommand } from '@aws-sdk/client-backup';
import { mockClient } from 'aws-sdk-client-mock';
import {
  type Candidate,
  chooseRecoveryPoint,
  describeWindow,
  identitySuffix,
  listRecoveryPoints,
  noRecoveryPoint,
  prepareMetadata,
  windowOf,
} from '../src/resolve';

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

  it('finds nothing when no point is COMPLETED, and says which resource and window', () => {
    expect(chooseRecoveryPoint([point('p', '2026-11-26T01:00:00Z', 'EXPIRED')], {})).toBeUndefined();
    const window = windowOf({ mode: 'look-back', hours: 6 }, at);
    expect(describeWindow(window)).toBe(
      'created at or before 2026-11-26T10:00:00.000Z and after 2026-11-26T04:00:00.000Z',
    );
    expect(noRecoveryPoint('arn:aws:rds:eu-west-1:123456789012:db:x', window).message).toBe(
      'No COMPLETED recovery point of arn:aws:rds:eu-west-1:123456789012:db:x created at or before 2026-11-26T10:00:00.000Z and after 2026-11-26T04:00:00.000Z: check the backup plan covers the resource, or choose another time or rule (latest, look-back:Nh)',
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

describe('listRecoveryPoints', () => {
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
    const points = await listRecoveryPoints(new BackupClient({ region: 'eu-west-1' }), arn);
    expect(points.map((p) => p.RecoveryPointArn)).toStrictEqual(['p1', 'p2', 'p3']);
    expect(
      backup.commandCalls(ListRecoveryPointsByResourceCommand).map((c) => c.args[0].input),
    ).toStrictEqual([
      { ResourceArn: arn },
      { ResourceArn: arn, NextToken: 't1' },
      { ResourceArn: arn, NextToken: 't2' },
    ]);
  });
});
