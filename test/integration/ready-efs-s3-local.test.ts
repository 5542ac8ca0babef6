/**
 * EFS and S3 make-ready on the local endpoint, through the real makeReady handler and SDK clients:
 * a restored file system and a restored bucket get the pipeline's tag and their source's tags, the
 * validator judges each only once it is ready; and the local EFS and S3 answer these steps' calls as
 * AWS does (an unknown id or bucket refused, a bucket without tags NoSuchTagSet, PutBucketTagging
 * replacing the whole set).
 */

import { TagResourceCommand } from '@aws-sdk/client-efs';
import { GetBucketTaggingCommand, PutBucketTaggingCommand } from '@aws-sdk/client-s3';
import { createHandler, type MakeReadyDeps } from '../../handlers/make-ready';
import { restoreJobEvent } from '../../local/pipeline';
import { localRequestSettings } from '../../local/settings';
import { loadConfig } from '../../src/checks/config';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { readReadyRecord } from '../../src/table/ready';
import { validateRestore } from '../../src/validation/validate';
import { restoreAndLink, startValidationEnv, TABLE, type ValidationEnv } from './validation/local-env';

const EFS_POINT = 'arn:aws:backup:eu-west-1:123456789012:recovery-point:3c1f7e42-9a0d-4b6e-8f21-5d7a9b0c1e2f';
const S3_POINT = 'arn:aws:backup:eu-west-1:123456789012:recovery-point:7a9e0c4b-5d2f-4e1a-8b3c-9d0e1f2a3b4c';
const SOURCE_TAGS = { team: 'files', Name: 'shared', 'aws:backup:source-resource': 'x' };

let env: ValidationEnv;
beforeEach(async () => {
  env = await startValidationEnv({ timing: { availableAfterMs: 0 } });
  // The recovery points' sources (local/seed.json), with their tags.
  const store = env.aws.resources.store;
  store.put({
    kind: 'file-system',
    id: 'fs-0123456789abcdef0',
    arn: 'arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0123456789abcdef0',
    tags: { ...SOURCE_TAGS },
  });
  store.put({
    kind: 'bucket',
    id: 'invoices-bucket',
    arn: 'arn:aws:s3:::invoices-bucket',
    tags: { ...SOURCE_TAGS },
  });
});
afterEach(async () => {
  await env.close();
});

function makeReadyDeps(): MakeReadyDeps {
  const validate = env.deps;
  return {
    config: loadConfig({
      ...localRequestSettings(),
      AWS_REGION: 'eu-west-1',
      DEAD_LETTER_QUEUE_URL: env.deadLetterQueueUrl,
      VALIDATION_QUEUE_URL: env.validationQueueUrl,
      RESTORE_JOBS_TABLE: TABLE,
    }),
    backup: env.backup,
    sqs: async () => env.sqs,
    ddb: validate.ddb,
    rds: validate.resources.rds,
    ec2: validate.resources.ec2,
    efs: validate.resources.efs,
    s3: validate.resources.s3,
    logger: createLogger({ sink: () => undefined }),
    metrics: createMetrics(() => undefined),
    now: () => new Date(),
    pollMs: 10,
  };
}

const validate = (job: { restoreJobId: string; createdResourceArn: string }, type: string, attempt: number) =>
  validateRestore(
    env.deps,
    {
      kind: 'restore-validation',
      version: 1,
      restoreJobId: job.restoreJobId,
      resourceType: type,
      createdResourceArn: job.createdResourceArn,
      requestedAt: new Date().toISOString(),
      attempt,
    },
    createLogger({ sink: () => undefined }),
  );

describe('EFS and S3 restores made ready on the local endpoint', () => {
  it.each([
    ['EFS', EFS_POINT, {}],
    ['S3', S3_POINT, { DestinationBucketName: 'invoices-bucket-r0000001' }],
  ])(
    "%s: the copy gets the ready tag and its source's tags; the validator judges it only once ready",
    async (type, point, metadata) => {
      const job = await restoreAndLink(env, {
        RecoveryPointArn: point,
        ResourceType: type,
        Metadata: metadata,
      });
      expect(await validate(job, type, 1)).toBe('requeued');
      const local = env.aws.backup.jobs.find((j) => j.RestoreJobId === job.restoreJobId);
      if (local === undefined) throw new Error('no local job');
      const outcome = await createHandler(makeReadyDeps())(
        restoreJobEvent(local, false) as never,
        undefined as never,
      );
      expect(outcome).toBe('ready');
      expect(env.aws.resources.store.byArn(job.createdResourceArn)?.tags).toStrictEqual({
        'backup-restore:ready': job.restoreJobId,
        team: 'files',
        Name: 'shared',
      });
      const record = await readReadyRecord(env.deps.ddb, TABLE, job.restoreJobId);
      const prefix = type.toLowerCase();
      expect(record?.steps.map((s) => [s.step, s.status])).toStrictEqual([
        [`${prefix}.ready-tag`, 'changed'],
        [`${prefix}.tags`, 'changed'],
      ]);
      expect(await validate(job, type, 2)).toBe('passed');
    },
  );
});

describe('the local EFS and S3 answer these calls as AWS does', () => {
  it('EFS TagResource of an unknown file system: FileSystemNotFound', async () => {
    await expect(
      env.deps.resources
        .efs()
        .send(
          new TagResourceCommand({ ResourceId: 'fs-0ffffffffffffffff', Tags: [{ Key: 'x', Value: '1' }] }),
        ),
    ).rejects.toMatchObject({ name: 'FileSystemNotFound' });
  });

  it('S3: an unknown bucket is NoSuchBucket, one without tags NoSuchTagSet, and PutBucketTagging replaces the set', async () => {
    const s3 = env.deps.resources.s3();
    await expect(s3.send(new GetBucketTaggingCommand({ Bucket: 'no-such-bucket-x' }))).rejects.toMatchObject({
      name: 'NoSuchBucket',
    });
    await expect(
      s3.send(new PutBucketTaggingCommand({ Bucket: 'no-such-bucket-x', Tagging: { TagSet: [] } })),
    ).rejects.toMatchObject({ name: 'NoSuchBucket' });
    env.aws.resources.store.put({ kind: 'bucket', id: 'empty-r0000002', arn: 'arn:aws:s3:::empty-r0000002' });
    await expect(s3.send(new GetBucketTaggingCommand({ Bucket: 'empty-r0000002' }))).rejects.toMatchObject({
      name: 'NoSuchTagSet',
    });
    await s3.send(
      new PutBucketTaggingCommand({
        Bucket: 'invoices-bucket',
        Tagging: { TagSet: [{ Key: 'only', Value: '1' }] },
      }),
    );
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: 'invoices-bucket' }))).TagSet).toStrictEqual([
      { Key: 'only', Value: '1' },
    ]);
  });
});
