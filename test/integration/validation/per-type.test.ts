/**
 * Each type's built-in check through the real SDK clients against the local endpoint: pass, fail
 * and not-yet, from resources in the states AWS documents; and a COMPLETED restore job's resource
 * coming into existence in the local store.
 */

import { BackupClient, DescribeRestoreJobCommand, StartRestoreJobCommand } from '@aws-sdk/client-backup';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EFSClient } from '@aws-sdk/client-efs';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { type LocalAws, startLocalAws } from '../../../local/endpoint';
import { defaultSeed } from '../../../local/pipeline';
import type { LocalResource } from '../../../local/resources/index';
import { localClientConfig } from '../../../local/setup';
import { sleep } from '../../../local/time';
import {
  checkResource,
  type Expectations,
  type ResourceClients,
} from '../../../src/validation/read-resources';
import type { CheckedType } from '../../../src/validation/verdicts';

const A = 'arn:aws:rds:eu-west-1:123456789012';
const E = 'arn:aws:ec2:eu-west-1:123456789012';

let aws: LocalAws;
let clients: ResourceClients & { destroy(): void };

beforeEach(async () => {
  // Available after an hour: a resource is "creating" unless a test says otherwise.
  aws = await startLocalAws({
    seed: { ...defaultSeed(), timing: { runningAfterMs: 10, doneAfterMs: 30 } },
    resourceTiming: { availableAfterMs: 3_600_000, runningAfterMs: 3_600_000, statusOkAfterMs: 3_600_000 },
  });
  const config = { ...localClientConfig(aws.url, 'eu-west-1'), maxAttempts: 1 };
  const made = {
    backup: new BackupClient(config),
    ddb: new DynamoDBClient(config),
    rds: new RDSClient(config),
    ec2: new EC2Client(config),
    efs: new EFSClient(config),
    s3: new S3Client(config),
  };
  clients = {
    backup: made.backup,
    ddb: made.ddb,
    rds: () => made.rds,
    ec2: () => made.ec2,
    efs: () => made.efs,
    s3: () => made.s3,
    destroy: () => {
      for (const c of Object.values(made)) c.destroy();
    },
  };
});

afterEach(async () => {
  clients.destroy();
  await aws.close();
});

type Setup = Omit<LocalResource, 'createdAt' | 'tags'> & Partial<LocalResource>;
const ready = { createdAt: 0 };

interface Case {
  type: CheckedType;
  arn: string;
  expect?: Expectations;
  pass: Setup;
  fail: Setup;
  failReason: RegExp;
  notYet: Setup;
}

const cases: Case[] = [
  {
    type: 'RDS',
    arn: `${A}:db:orders-db-r1a2b3c4`,
    pass: { kind: 'db', id: 'orders-db-r1a2b3c4', arn: `${A}:db:orders-db-r1a2b3c4`, ...ready },
    fail: {
      kind: 'db',
      id: 'orders-db-r1a2b3c4',
      arn: `${A}:db:orders-db-r1a2b3c4`,
      state: 'incompatible-restore',
    },
    failReason: /incompatible-restore: it cannot serve/,
    notYet: { kind: 'db', id: 'orders-db-r1a2b3c4', arn: `${A}:db:orders-db-r1a2b3c4` },
  },
  {
    type: 'Aurora',
    arn: `${A}:cluster:ledger-r1a2b3c4`,
    pass: { kind: 'cluster', id: 'ledger-r1a2b3c4', arn: `${A}:cluster:ledger-r1a2b3c4`, ...ready },
    fail: {
      kind: 'cluster',
      id: 'ledger-r1a2b3c4',
      arn: `${A}:cluster:ledger-r1a2b3c4`,
      state: 'inaccessible-encryption-credentials',
    },
    failReason: /inaccessible-encryption-credentials/,
    notYet: { kind: 'cluster', id: 'ledger-r1a2b3c4', arn: `${A}:cluster:ledger-r1a2b3c4` },
  },
  {
    type: 'DynamoDB',
    arn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders-r1a2b3c4',
    expect: { sourceHadItems: true },
    pass: {
      kind: 'table',
      id: 'orders-r1a2b3c4',
      arn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders-r1a2b3c4',
      items: 5,
      ...ready,
    },
    fail: {
      kind: 'table',
      id: 'orders-r1a2b3c4',
      arn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders-r1a2b3c4',
      items: 0,
      ...ready,
    },
    failReason: /ACTIVE but empty/,
    notYet: {
      kind: 'table',
      id: 'orders-r1a2b3c4',
      arn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders-r1a2b3c4',
      items: 5,
    },
  },
  {
    type: 'EBS',
    arn: `${E}:volume/vol-0123456789abcdef0`,
    expect: { volumeSizeGiB: 100 },
    pass: {
      kind: 'volume',
      id: 'vol-0123456789abcdef0',
      arn: `${E}:volume/vol-0123456789abcdef0`,
      sizeGiB: 100,
      ...ready,
    },
    fail: {
      kind: 'volume',
      id: 'vol-0123456789abcdef0',
      arn: `${E}:volume/vol-0123456789abcdef0`,
      sizeGiB: 8,
      ...ready,
    },
    failReason: /8 GiB, expected 100 GiB/,
    notYet: {
      kind: 'volume',
      id: 'vol-0123456789abcdef0',
      arn: `${E}:volume/vol-0123456789abcdef0`,
      sizeGiB: 100,
    },
  },
  {
    type: 'EFS',
    arn: 'arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0123456789abcdef0',
    pass: {
      kind: 'file-system',
      id: 'fs-0123456789abcdef0',
      arn: 'arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0123456789abcdef0',
      ...ready,
    },
    fail: {
      kind: 'file-system',
      id: 'fs-0123456789abcdef0',
      arn: 'arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0123456789abcdef0',
      state: 'error',
    },
    failReason: /is error: it cannot be mounted/,
    notYet: {
      kind: 'file-system',
      id: 'fs-0123456789abcdef0',
      arn: 'arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0123456789abcdef0',
    },
  },
  {
    type: 'S3',
    arn: 'arn:aws:s3:::invoices-bucket-r1a2b3c4',
    pass: {
      kind: 'bucket',
      id: 'invoices-bucket-r1a2b3c4',
      arn: 'arn:aws:s3:::invoices-bucket-r1a2b3c4',
      objects: ['a.csv'],
    },
    fail: {
      kind: 'bucket',
      id: 'invoices-bucket-r1a2b3c4',
      arn: 'arn:aws:s3:::invoices-bucket-r1a2b3c4',
      objects: [],
    },
    failReason: /is empty: the restore copied no objects/,
    // A bucket that is not visible yet: AWS named it, S3 does not know it (yet).
    notYet: { kind: 'bucket', id: 'another-bucket', arn: 'arn:aws:s3:::another-bucket', objects: ['a'] },
  },
  {
    type: 'EC2',
    arn: `${E}:instance/i-0123456789abcdef0`,
    pass: { kind: 'instance', id: 'i-0123456789abcdef0', arn: `${E}:instance/i-0123456789abcdef0`, ...ready },
    fail: {
      kind: 'instance',
      id: 'i-0123456789abcdef0',
      arn: `${E}:instance/i-0123456789abcdef0`,
      ...ready,
      statusChecks: 'impaired',
    },
    failReason: /status checks fail/,
    notYet: { kind: 'instance', id: 'i-0123456789abcdef0', arn: `${E}:instance/i-0123456789abcdef0` },
  },
];

describe.each(cases)('$type', (c) => {
  it('passes a usable resource', async () => {
    aws.resources.store.put(c.pass);
    const v = await checkResource(clients, c.type, c.arn, c.expect ?? {});
    expect(v.verdict).toBe('pass');
  });

  it('fails an unusable one, saying why', async () => {
    aws.resources.store.put(c.fail);
    const v = await checkResource(clients, c.type, c.arn, c.expect ?? {});
    expect(v).toEqual({ verdict: 'fail', reason: expect.stringMatching(c.failReason) });
  });

  it('says not-yet while it is still being created (or not visible yet)', async () => {
    aws.resources.store.put(c.notYet);
    const v = await checkResource(clients, c.type, c.arn, c.expect ?? {});
    expect(v.verdict).toBe('not-yet');
  });
});

describe('a COMPLETED restore job', () => {
  it.each([
    [
      'EBS',
      'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718',
      { availabilityZone: 'eu-west-1a' },
      'volume',
    ],
    ['EC2', 'arn:aws:ec2:eu-west-1::image/ami-0abcdef1234567890', {}, 'instance'],
    [
      'RDS',
      'arn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-5f2a9c1e-3b7d-4e8f-9a6b-1c2d3e4f5a6b',
      { DBInstanceIdentifier: 'orders-db-r0000001' },
      'db',
    ],
    [
      'Aurora',
      'arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:awsbackup:job-0b1c2d3e-3333-4e8f-9a6b-1c2d3e4f5a6b',
      { dbClusterIdentifier: 'ledger-r0000001', engine: 'aurora-postgresql' },
      'cluster',
    ],
    [
      'DynamoDB',
      'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/backup/01732617600000-a1b2c3d4',
      { targetTableName: 'orders-r0000001' },
      'table',
    ],
    [
      'EFS',
      'arn:aws:backup:eu-west-1:123456789012:recovery-point:3c1f7e42-9a0d-4b6e-8f21-5d7a9b0c1e2f',
      {},
      'file-system',
    ],
    [
      'S3',
      'arn:aws:backup:eu-west-1:123456789012:recovery-point:7a9e0c4b-5d2f-4e1a-8b3c-9d0e1f2a3b4c',
      { DestinationBucketName: 'invoices-r0000001' },
      's3-bucket',
    ],
  ])('of type %s makes the resource it names exist, still creating', async (type, point, metadata, kind) => {
    const { RestoreJobId } = await clients.backup.send(
      new StartRestoreJobCommand({ RecoveryPointArn: point, ResourceType: type, Metadata: metadata }),
    );
    let arn: string | undefined;
    for (let i = 0; i < 200 && arn === undefined; i++) {
      await sleep(10);
      arn = (await clients.backup.send(new DescribeRestoreJobCommand({ RestoreJobId }))).CreatedResourceArn;
    }
    const r = aws.resources.store.byArn(arn ?? '');
    expect(r?.kind).toBe(kind === 's3-bucket' ? 'bucket' : kind);
    const v = await checkResource(clients, type as CheckedType, arn ?? '', {});
    expect(v.verdict).toBe(type === 'S3' ? 'pass' : 'not-yet');
  });
});
