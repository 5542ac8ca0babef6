/** The type modules and their registry: what the rest of the pipeline reads of them. */

import { DROPPED_KEYS } from '../../src/plan/metadata';
import { alarmDimensions, isResourceType, TYPES, typeModule } from '../../src/resources/registry';
import {
  CASE_INSENSITIVE_KEYS,
  COPY_TAGS_UNSUPPORTED,
  DRILL_TYPES,
  POINT_IN_TIME_KEYS,
  REQUIRED_METADATA_KEYS,
  RESOURCE_TYPES,
  TARGET_KEYS,
} from '../../src/resources/rules';
import { drillSteps, readySteps, validationSteps } from '../../src/resources/steps';
import { CHECKED_TYPES, checkedType } from '../../src/validation/verdicts';

describe('the registry', () => {
  it('lists each type once, as StartRestoreJob spells it', () => {
    expect(RESOURCE_TYPES).toStrictEqual([
      'Aurora',
      'CloudFormation',
      'DocumentDB',
      'DynamoDB',
      'EBS',
      'EC2',
      'EFS',
      'EKS',
      'FSx',
      'Neptune',
      'RDS',
      'Redshift',
      'S3',
      'Storage Gateway',
      'Timestream',
      'VirtualMachine',
    ]);
    expect(new Set(RESOURCE_TYPES).size).toBe(TYPES.length);
  });

  it('finds a module by its type only (no prototype names, no other spelling)', () => {
    expect(typeModule('RDS')?.type).toBe('RDS');
    expect(
      ['constructor', '__proto__', 'rds', 'RDS '].map((t) => [typeModule(t), isResourceType(t)]),
    ).toStrictEqual([
      [undefined, false],
      [undefined, false],
      [undefined, false],
      [undefined, false],
    ]);
    expect([validationSteps('constructor'), drillSteps('constructor')]).toStrictEqual([undefined, undefined]);
  });

  it('has steps where a module says it validates, drills or makes ready, and none where it does not', () => {
    const mismatched = TYPES.filter((m) => {
      return (
        m.validated !== (validationSteps(m.type) !== undefined) ||
        m.drillable !== (drillSteps(m.type) !== undefined) ||
        m.madeReady !== (readySteps(m.type) !== undefined)
      );
    }).map((m) => m.type);
    expect(mismatched).toStrictEqual([]);
    expect(TYPES.filter((m) => m.madeReady).map((m) => m.type)).toStrictEqual([
      'Aurora',
      'DynamoDB',
      'EBS',
      'EC2',
      'EFS',
      'RDS',
    ]);
    expect(readySteps('constructor')).toBeUndefined();
  });
});

describe('the tables the modules give', () => {
  it('Metadata: required, target, dropped, case, copy-tags and point-in-time keys', () => {
    expect(REQUIRED_METADATA_KEYS).toStrictEqual({
      Aurora: ['dbClusterIdentifier', 'engine'],
      CloudFormation: ['StackName', 'ChangeSetName'],
      DocumentDB: ['dbClusterIdentifier', 'engine'],
      DynamoDB: ['targetTableName'],
      EBS: ['availabilityZone'],
      EFS: ['newFileSystem', 'CreationToken', 'Encrypted', 'PerformanceMode', 'file-system-id'],
      Neptune: ['dbClusterIdentifier', 'engine'],
      RDS: ['DBInstanceIdentifier'],
      Redshift: ['ClusterIdentifier', 'RestoreType'],
      S3: ['DestinationBucketName'],
      'Storage Gateway': ['gatewayArn', 'targetName'],
      Timestream: ['TableName'],
      VirtualMachine: ['RestoreTo'],
    });
    expect(TARGET_KEYS).toStrictEqual({
      Aurora: ['dbClusterIdentifier'],
      CloudFormation: ['StackName', 'ChangeSetName'],
      DocumentDB: ['dbClusterIdentifier'],
      DynamoDB: ['targetTableName'],
      EBS: [],
      EC2: [],
      EFS: ['newFileSystem', 'CreationToken', 'FileSystemId'],
      EKS: [],
      FSx: [],
      Neptune: ['dbClusterIdentifier'],
      RDS: ['DBInstanceIdentifier'],
      Redshift: ['ClusterIdentifier', 'TargetDatabaseName', 'TargetSchemaName', 'NewTableName'],
      S3: ['DestinationBucketName', 'NewBucket'],
      'Storage Gateway': ['gatewayArn', 'targetName'],
      Timestream: ['DatabaseName', 'TableName'],
      VirtualMachine: ['RestoreTo'],
    });
    expect(DROPPED_KEYS).toStrictEqual({
      Aurora: ['DBSnapshotIdentifier', 'DBClusterSnapshotIdentifier'],
      DocumentDB: ['DBSnapshotIdentifier', 'DBClusterSnapshotIdentifier'],
      EC2: ['CpuOptions'],
      Neptune: ['DBSnapshotIdentifier', 'DBClusterSnapshotIdentifier'],
      RDS: ['DBSnapshotIdentifier', 'EngineVersion', 'KmsKeyId', 'Encrypted', 'vpcId'],
    });
    expect([...CASE_INSENSITIVE_KEYS]).toStrictEqual(['DynamoDB']);
    expect([...COPY_TAGS_UNSUPPORTED]).toStrictEqual(['DynamoDB', 'S3', 'Timestream', 'VirtualMachine']);
    expect(POINT_IN_TIME_KEYS).toStrictEqual({
      Aurora: 'restoreToTime',
      RDS: 'RestoreTime',
      S3: 'RestoreTime',
    });
  });

  it('drills, validations', () => {
    expect([...DRILL_TYPES].sort()).toStrictEqual(
      ['Aurora', 'DocumentDB', 'DynamoDB', 'EBS', 'EC2', 'EFS', 'Neptune', 'RDS', 'S3'].sort(),
    );
    expect([...CHECKED_TYPES].sort()).toStrictEqual(
      ['Aurora', 'DocumentDB', 'DynamoDB', 'EBS', 'EC2', 'EFS', 'Neptune', 'RDS', 'S3'].sort(),
    );
    expect([checkedType('DynamoDB.FullyManaged'), checkedType('FSx'), checkedType(undefined)]).toStrictEqual([
      'DynamoDB',
      undefined,
      undefined,
    ]);
  });

  it('alarm dimensions by namespace, a cluster before an instance under AWS/RDS', () => {
    const where = { partition: 'aws', region: 'eu-west-1', account: '123456789012' };
    const named = Object.fromEntries(
      Object.entries(alarmDimensions()).map(([ns, dims]) => [
        ns,
        dims.map(([d, arnOf]) => [d, arnOf('x', where)]),
      ]),
    );
    expect(named).toStrictEqual({
      'AWS/RDS': [
        ['DBClusterIdentifier', 'arn:aws:rds:eu-west-1:123456789012:cluster:x'],
        ['DBInstanceIdentifier', 'arn:aws:rds:eu-west-1:123456789012:db:x'],
      ],
      'AWS/DocDB': [['DBClusterIdentifier', 'arn:aws:rds:eu-west-1:123456789012:cluster:x']],
      'AWS/DynamoDB': [['TableName', 'arn:aws:dynamodb:eu-west-1:123456789012:table/x']],
      'AWS/EBS': [['VolumeId', 'arn:aws:ec2:eu-west-1:123456789012:volume/x']],
      'AWS/EC2': [['InstanceId', 'arn:aws:ec2:eu-west-1:123456789012:instance/x']],
      'AWS/EFS': [['FileSystemId', 'arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/x']],
      'AWS/FSx': [['FileSystemId', 'arn:aws:fsx:eu-west-1:123456789012:file-system/x']],
      'AWS/Neptune': [['DBClusterIdentifier', 'arn:aws:rds:eu-west-1:123456789012:cluster:x']],
      'AWS/S3': [['BucketName', 'arn:aws:s3:::x']],
    });
  });
});
