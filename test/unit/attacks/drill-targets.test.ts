/**
 * Attack: a drill that names or reuses a target, so that it writes into (and its cleanup deletes)
 * a resource it did not create. Tried through every door: a ResourceType that has no target keys
 * of its own (EBS) beside another type's keys, keys in other cases, duplicate keys differing in case,
 * Unicode look-alikes that fold to a target key, the other request fields, ResourceArn beside
 * RecoveryPointArn, and a "Restore Requested" event instead of an SQS body.
 */

import { StartRestoreJobCommand } from '@aws-sdk/client-backup';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { EventBridgeEvent } from 'aws-lambda';
import { createHandler as eventHandler } from '../../../handlers/restore-from-event';
import { parseRestoreRequest } from '../../../src/checks/request';
import { InvalidRequestError } from '../../../src/errors';
import { prepareMetadata } from '../../../src/plan/metadata';
import { buildStartRestoreJobInput } from '../../../src/plan/start-input';
import type { RecoveryPointRequest } from '../../../src/request';
import { DRILL_TYPES } from '../../../src/resource-types';
import { ACCOUNT, context, loadEvent, OTHER_ROLE, REGION, ROLE, testConfig } from '../../helpers/fixtures';
import { mockAws, restoreAws } from '../../helpers/mocks';

const POINT = `arn:aws:backup:${REGION}:${ACCOUNT}:recovery-point:3c1f7e42-9a0d-4b6e-8f21-5d7a9b0c1e2f`;
const BUCKET = 'arn:aws:s3:::orders-data';
const DRILL = { DeleteAfterHours: 2 };
const policy = testConfig();

afterEach(restoreAws);

/** Metadata that is otherwise enough for a drill of each type by recovery point. */
const BASE: Record<string, Record<string, string>> = {
  EBS: { availabilityZone: 'eu-west-1a' },
  EC2: {},
  RDS: {},
  DynamoDB: {},
  S3: {},
  EFS: { 'file-system-id': 'fs-0123456789abcdef0', Encrypted: 'false', PerformanceMode: 'generalPurpose' },
  Aurora: { engine: 'aurora-mysql' },
  DocumentDB: { engine: 'docdb' },
  Neptune: { engine: 'neptune' },
};

const byPoint = (type: string, metadata: Record<string, string>, extra: object = {}) => ({
  RecoveryPointArn: POINT,
  ResourceType: type,
  Metadata: { ...BASE[type], ...metadata },
  Drill: DRILL,
  ...extra,
});

describe('a drill by recovery point never carries another type’s target keys', () => {
  // The point's type is AWS's: the ResourceType a caller declares is not proven to be it.
  it.each([
    ['EBS', { DestinationBucketName: 'orders-data', NewBucket: 'false' }],
    ['EBS', { newFileSystem: 'false' }],
    ['EC2', { FileSystemId: 'fs-0123456789abcdef0' }],
    ['RDS', { dbClusterIdentifier: 'orders' }],
    ['DynamoDB', { DBInstanceIdentifier: 'orders-db' }],
    ['S3', { targetTableName: 'orders' }],
  ])('declared %s, Metadata %j: refused', (type, metadata) => {
    expect(() => parseRestoreRequest(byPoint(type, metadata), policy)).toThrow(/Drill: Metadata\./);
  });
});

/** Keys that name a target in another spelling. */
const SPELLINGS: [string, string, string][] = [
  ['lower case', 'destinationbucketname', 'S3'],
  ['upper case', 'NEWBUCKET', 'S3'],
  ['long s (U+017F), upper-cases to S', 'De\u017ftinationBucketName', 'S3'],
  ['dotless i (U+0131), upper-cases to I', 'newF\u0131leSystem', 'EFS'],
  ['dotted capital I (U+0130), lower-cases to i and a mark', 'DBInstance\u0130dentifier', 'RDS'],
  ['Kelvin sign (U+212A), lower-cases to k', 'NewBuc\u212aet', 'S3'],
  ['fullwidth letters, NFKC-equal', '\uff24BInstanceIdentifier', 'RDS'],
];

describe('target keys in any spelling', () => {
  it.each(SPELLINGS)('by recovery point, %s: %s', (_name, key) => {
    for (const type of ['S3', 'EFS', 'RDS', 'EBS']) {
      expect(() => parseRestoreRequest(byPoint(type, { [key]: 'orders' }), policy)).toThrow(
        InvalidRequestError,
      );
    }
  });

  it.each(SPELLINGS)(
    'by resource, %s: %s (checked, and again in the plan of a %s point)',
    (_name, key, type) => {
      expect(() =>
        parseRestoreRequest({ ResourceArn: BUCKET, Metadata: { [key]: 'orders' }, Drill: DRILL }, policy),
      ).toThrow(InvalidRequestError);
      expect(() => prepareMetadata(type, {}, { [key]: 'orders' }, 'r0a1b2c3', true)).toThrow(
        InvalidRequestError,
      );
    },
  );

  it('duplicate keys differing in case: refused, not resolved in favour of either', () => {
    const metadata = { NewBucket: 'true', newbucket: 'false' };
    expect(() => parseRestoreRequest(byPoint('S3', metadata), policy)).toThrow('Metadata.NewBucket');
    expect(() => prepareMetadata('S3', {}, { newBucket: 'false' }, 'r0a1b2c3', true)).toThrow(
      InvalidRequestError,
    );
  });
});

describe('a stored target key in another spelling never survives beside the pipeline’s', () => {
  it.each([
    [
      'S3',
      {
        DestinationBucketName: 'orders-data',
        NewBucket: 'false',
        newbucket: 'false',
        destinationBucketName: 'orders-data',
      },
    ],
    ['EFS', { 'file-system-id': 'fs-0123456789abcdef0', newfilesystem: 'false', NewFileSystem: 'false' }],
    ['DynamoDB', { targetTableName: 'orders', TARGETTABLENAME: 'orders' }],
  ])('%s', (type, stored) => {
    const metadata = prepareMetadata(type, stored, {}, 'r0a1b2c3', true);
    const values = Object.entries(metadata).filter(([k]) => /^(newbucket|newfilesystem)$/i.test(k));
    expect(values.every(([, v]) => v === 'true')).toBe(true);
    const names = Object.entries(metadata).filter(([k]) =>
      /^(destinationbucketname|targettablename)$/i.test(k),
    );
    expect(names.every(([, v]) => v.endsWith('-r0a1b2c3'))).toBe(true);
  });
});

describe('no other field brings a target into a drill', () => {
  it.each([...DRILL_TYPES])('%s: every target key of the input is the pipeline’s', (type) => {
    const request = parseRestoreRequest(
      byPoint(
        type,
        {},
        { IdempotencyToken: 'orders-data', IamRoleArn: OTHER_ROLE, Validator: 'orders-data' },
      ),
      policy,
    ) as RecoveryPointRequest;
    const metadata = buildStartRestoreJobInput(request, { restoreRoleArn: ROLE }).Metadata ?? {};
    for (const [key, value] of Object.entries(metadata)) {
      if (
        /^(DestinationBucketName|CreationToken|DBInstanceIdentifier|dbClusterIdentifier|targetTableName)$/.test(
          key,
        )
      )
        expect(value).toMatch(/-d[0-9a-f]{7}$/);
    }
    if (type === 'S3') expect(metadata.NewBucket).toBe('true');
    if (type === 'EFS') expect(metadata.newFileSystem).toBe('true');
    expect(Object.keys(metadata).filter((k) => /filesystemid/i.test(k))).toStrictEqual([]);
  });

  it('ResourceArn beside RecoveryPointArn is refused, not read as a drill by resource without checks', () => {
    const body = { ...byPoint('S3', {}), ResourceArn: BUCKET };
    expect(() => parseRestoreRequest(body, policy)).toThrow(/unknown field/);
  });

  it('a "Restore Requested" event gets the same refusal as an SQS body, and starts nothing', async () => {
    const mocks = mockAws();
    const event = loadEvent<EventBridgeEvent<string, Record<string, unknown>>>('restore-requested.json');
    event.detail = byPoint('S3', { NewBucket: 'false' });
    await eventHandler(mocks.deps)(event, context);
    expect(mocks.backup.commandCalls(StartRestoreJobCommand)).toHaveLength(0);
    const body = JSON.parse(mocks.sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody ?? '{}');
    expect(body.failure).toBe('rejected');
    expect(body.reason).toContain('Drill: Metadata.');
  });
});
