/**
 * A drill can only create: the metadata keys that name or reuse a restore's target are the
 * pipeline's (refused from the caller, set by the pipeline) on both request forms; and a drill is
 * part of the request's identity (token, fingerprint), so a drill and a recovery never share a job.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StartRestoreJobCommand } from '@aws-sdk/client-backup';
import Ajv2020 from 'ajv/dist/2020';
import type { SQSEvent } from 'aws-lambda';
import { createHandler } from '../../handlers/restore-from-queue';
import { parseRestoreRequest } from '../../src/checks/request';
import { InvalidRequestError } from '../../src/errors';
import { inputFingerprint } from '../../src/outcome/job-link';
import { prepareMetadata } from '../../src/plan/metadata';
import type { Choice } from '../../src/plan/recovery-point';
import { requestForChoice } from '../../src/plan/resource-restore';
import { buildStartRestoreJobInput } from '../../src/plan/start-input';
import type { RecoveryPointRequest } from '../../src/request';
import { fakeBackup, fakeJobTable } from '../helpers/fake-aws';
import { ACCOUNT, context, REGION, ROLE, sqsRecord, testConfig, testDeps } from '../helpers/fixtures';
import { mockAws, restoreAws } from '../helpers/mocks';

const POINT = `arn:aws:backup:${REGION}:${ACCOUNT}:recovery-point:3c1f7e42-9a0d-4b6e-8f21-5d7a9b0c1e2f`;
const BUCKET = 'arn:aws:s3:::orders-data';
const policy = testConfig();
const DRILL = { DeleteAfterHours: 2 };
const schema = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'schema', 'restore-request.schema.json'), 'utf8'),
);
const validate = new Ajv2020({ allErrors: true }).compile(schema);

/** Metadata a request of each type could otherwise be restored with. */
const BASE: Record<string, Record<string, string>> = {
  S3: {},
  EFS: { 'file-system-id': 'fs-0123456789abcdef0', Encrypted: 'false', PerformanceMode: 'generalPurpose' },
  RDS: {},
  Aurora: { engine: 'aurora-mysql' },
  DocumentDB: { engine: 'docdb' },
  Neptune: { engine: 'neptune' },
  DynamoDB: {},
};

/** Every key AWS documents as naming or reusing the target of a restore, per type (the brief's list). */
const TARGETS: [string, string, string][] = [
  ['S3', 'DestinationBucketName', 'orders-data-r0a1b2c3'],
  ['S3', 'NewBucket', 'false'],
  ['EFS', 'newFileSystem', 'false'],
  ['EFS', 'CreationToken', 'orders-fs'],
  ['EFS', 'FileSystemId', 'fs-0123456789abcdef0'],
  ['RDS', 'DBInstanceIdentifier', 'orders-db-r0a1b2c3'],
  ['Aurora', 'dbClusterIdentifier', 'orders-r0a1b2c3'],
  ['DocumentDB', 'dbClusterIdentifier', 'orders-r0a1b2c3'],
  ['Neptune', 'dbClusterIdentifier', 'orders-r0a1b2c3'],
  ['DynamoDB', 'targetTableName', 'orders-r0a1b2c3'],
  ['DynamoDB', 'TargetTableName', 'orders-r0a1b2c3'],
];

const choice = (arn: string): Choice =>
  ({
    kind: 'snapshot',
    point: {
      RecoveryPointArn: arn,
      BackupVaultName: 'Default',
      CreationDate: new Date('2026-11-26T09:00:00Z'),
    },
  }) as unknown as Choice;

afterEach(restoreAws);

describe('a drill names no target: refused from the caller', () => {
  it.each(TARGETS)('by recovery point, %s Metadata.%s', (type, key, value) => {
    const body = {
      RecoveryPointArn: POINT,
      ResourceType: type,
      Metadata: { ...BASE[type], [key]: value },
      Drill: DRILL,
    };
    expect(() => parseRestoreRequest(body, policy)).toThrow(InvalidRequestError);
    expect(() => parseRestoreRequest(body, policy)).toThrow(`Metadata.${key}`);
    // The JSON Schema says the same.
    expect(validate(body)).toBe(false);
    const { [key]: _named, ...unnamed } = body.Metadata;
    if (type !== 'DynamoDB' || key === 'targetTableName')
      expect(validate({ ...body, Metadata: unnamed })).toBe(true);
    // The same request for real (a recovery) may still name its target.
    const { Drill: _drill, ...recovery } = body;
    expect(() => parseRestoreRequest(recovery, policy)).not.toThrow('Drill');
  });

  it.each(TARGETS)('by resource, %s Metadata.%s (checked, and again in the plan)', (type, key, value) => {
    const body = { ResourceArn: BUCKET, Metadata: { [key]: value }, Drill: DRILL };
    expect(() => parseRestoreRequest(body, policy)).toThrow(`Metadata.${key}`);
    expect(validate(body)).toBe(false);
    const stored = { resourceType: type, metadata: { ...BASE[type] } };
    expect(() =>
      requestForChoice(
        choice(POINT),
        stored,
        { overrides: { [key]: value }, idempotencyToken: 't-1', drill: DRILL },
        undefined,
      ),
    ).toThrow(InvalidRequestError);
  });

  it('refuses a drill by recovery point without ResourceType (the pipeline names the new resource by type)', () => {
    const body = { RecoveryPointArn: POINT, Metadata: { availabilityZone: 'eu-west-1a' }, Drill: DRILL };
    expect(() => parseRestoreRequest(body, policy)).toThrow('Drill needs ResourceType');
  });

  it.each([
    'Storage Gateway', // no documented way to make its restore create only
    'Redshift', // no cleanup steps: nothing would delete its cluster
  ])('refuses drills of a type the pipeline cannot both restore as new and delete: %s', (type) => {
    const body = { RecoveryPointArn: POINT, ResourceType: type, Metadata: {}, Drill: DRILL };
    expect(() => parseRestoreRequest(body, policy)).toThrow('never drilled');
  });
});

describe('a drill names no target: set by the pipeline', () => {
  it('by recovery point: a new bucket the pipeline names, whatever is missing from Metadata', () => {
    const request = parseRestoreRequest(
      { RecoveryPointArn: POINT, ResourceType: 'S3', Metadata: {}, Drill: DRILL },
      policy,
    ) as RecoveryPointRequest;
    const input = buildStartRestoreJobInput(request, { restoreRoleArn: ROLE });
    expect(input.Metadata?.NewBucket).toBe('true');
    expect(input.Metadata?.DestinationBucketName).toMatch(/^restored-d[0-9a-f]{7}$/);
  });

  it('by recovery point: EFS restored to a new file system, RDS to a new instance', () => {
    const efs = parseRestoreRequest(
      { RecoveryPointArn: POINT, ResourceType: 'EFS', Metadata: BASE.EFS, Drill: DRILL },
      policy,
    ) as RecoveryPointRequest;
    const efsInput = buildStartRestoreJobInput(efs, { restoreRoleArn: ROLE });
    expect(efsInput.Metadata?.newFileSystem).toBe('true');
    expect(efsInput.Metadata?.CreationToken).toMatch(/-d[0-9a-f]{7}$/);
    const rds = parseRestoreRequest(
      { RecoveryPointArn: POINT, ResourceType: 'RDS', Metadata: {}, Drill: DRILL },
      policy,
    ) as RecoveryPointRequest;
    expect(buildStartRestoreJobInput(rds, { restoreRoleArn: ROLE }).Metadata?.DBInstanceIdentifier).toMatch(
      /-d[0-9a-f]{7}$/,
    );
  });

  it('by resource: the stored target replaced, "restore to new" switched on, overrides that name none kept', () => {
    const stored = {
      resourceType: 'S3',
      metadata: { DestinationBucketName: 'orders-data', NewBucket: 'false' },
    };
    const request = requestForChoice(
      choice(POINT),
      stored,
      { overrides: { EncryptionType: 'SSE_S3' }, idempotencyToken: 't-1', drill: DRILL },
      undefined,
    );
    expect(request.Metadata).toStrictEqual({
      DestinationBucketName: expect.stringMatching(/^orders-data-d[0-9a-f]{7}$/),
      NewBucket: 'true',
      EncryptionType: 'SSE_S3',
    });
    // The same request for real gets another name: a drill never takes the recovery's name.
    const real = requestForChoice(
      choice(POINT),
      stored,
      { overrides: {}, idempotencyToken: 't-1' },
      undefined,
    );
    expect(real.Metadata.DestinationBucketName).not.toBe(request.Metadata.DestinationBucketName);
  });

  it('prepareMetadata refuses a drill override that reuses a target, after the new identity', () => {
    expect(() =>
      prepareMetadata(
        'S3',
        { DestinationBucketName: 'orders-data' },
        { NewBucket: 'false' },
        'r0a1b2c3',
        true,
      ),
    ).toThrow(InvalidRequestError);
  });

  it('a drill request that names a bucket ends in the dead-letter queue with its original, and starts nothing', async () => {
    const mocks = mockAws();
    const body = JSON.stringify({
      RecoveryPointArn: POINT,
      ResourceType: 'S3',
      Metadata: { DestinationBucketName: 'orders-data-r0a1b2c3', NewBucket: 'false' },
      Drill: DRILL,
    });
    const event: SQSEvent = { Records: [sqsRecord(body, 'm-1')] };
    await createHandler(mocks.deps)(event, context);
    expect(mocks.backup.commandCalls(StartRestoreJobCommand)).toHaveLength(0);
    const [letter] = mocks.deadLetters();
    expect(letter?.failure).toBe('rejected');
    expect(letter?.reason).toContain('Metadata.DestinationBucketName, Metadata.NewBucket');
    expect(letter?.original).toStrictEqual({ trigger: 'sqs', body });
  });
});

describe('a drill is part of the request identity', () => {
  const base = { RecoveryPointArn: POINT, ResourceType: 'EBS', Metadata: { availabilityZone: 'eu-west-1a' } };
  const input = (body: object) =>
    buildStartRestoreJobInput(parseRestoreRequest(body, policy) as RecoveryPointRequest, {
      restoreRoleArn: ROLE,
    });

  it.each([
    ['a derived token', {}],
    ["the caller's own token", { IdempotencyToken: 'ticket-4711' }],
  ])('with %s, the drill and the same request for real get different tokens', (_name, extra) => {
    const drill = input({ ...base, ...extra, Drill: DRILL });
    const real = input({ ...base, ...extra });
    expect(drill.IdempotencyToken).not.toBe(real.IdempotencyToken);
    // And the same drill sent again keeps its token (a redelivery reuses the job).
    expect(input({ ...base, ...extra, Drill: DRILL }).IdempotencyToken).toBe(drill.IdempotencyToken);
  });

  it('a retry after a failed job of a drill gets a new token, still not the recovery one', () => {
    const request = parseRestoreRequest(
      { ...base, IdempotencyToken: 'ticket-4711', Drill: DRILL },
      policy,
    ) as RecoveryPointRequest;
    const retry = buildStartRestoreJobInput(request, { restoreRoleArn: ROLE, generation: 'job-1' });
    const { Drill: _d, ...real } = request;
    const realRetry = buildStartRestoreJobInput(real, { restoreRoleArn: ROLE, generation: 'job-1' });
    expect(retry.IdempotencyToken).not.toBe(realRetry.IdempotencyToken);
  });

  it("the link's fingerprint tells a drill from the recovery, and is unchanged without a drill", () => {
    const { IdempotencyToken: _t, ...asked } = input(base);
    expect(inputFingerprint(asked, DRILL)).not.toBe(inputFingerprint(asked));
    expect(inputFingerprint(asked, DRILL)).not.toBe(inputFingerprint(asked, { DeleteAfterHours: 3 }));
    expect(inputFingerprint(asked, undefined)).toBe(inputFingerprint(asked));
  });

  it('the same request sent for real after its drill gets its own job, with its own link', async () => {
    const ddb = await fakeJobTable('jobs');
    const backup = fakeBackup('EBS', { availabilityZone: 'eu-west-1a' });
    const deps = testDeps({ ddb, backup, config: testConfig({ RESTORE_JOBS_TABLE: 'jobs' }) });
    const handler = createHandler(deps);
    const request = { ...base, IdempotencyToken: 'ticket-4711' };
    await handler({ Records: [sqsRecord(JSON.stringify({ ...request, Drill: DRILL }), 'm-drill')] }, context);
    await handler({ Records: [sqsRecord(JSON.stringify(request), 'm-real')] }, context);
    expect(backup.jobs.map((j) => j.RestoreJobId)).toStrictEqual(['job-1', 'job-2']);
    expect(await ddb.db.item('jobs', { restoreJobId: { S: 'job-2' } })).toBeDefined();
    expect(deps.lines.join('\n')).not.toContain('already linked');
    ddb.destroy();
  });
});
