/**
 * S3: a bucket, restored as a new one (DestinationBucketName, NewBucket). A drill's bucket is read
 * (its creation date by ListBuckets with a prefix, its tags by S3 Control ListTagsForResource),
 * tagged (ABAC switched on first with PutBucketAbac, then S3 Control TagResource, as AWS documents
 * for buckets with ABAC, so IAM can hold the deletes to the drill tag:
 * docs/aws-behaviour.md#s3-abac), and deleted: refused before anything is deleted when Object Lock
 * is on; else every object version and delete marker (ListObjectVersions, DeleteObjects with
 * VersionId), then DeleteBucket (docs/aws-behaviour.md#s3-versioned-delete).
 */

import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetBucketAbacCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketAbacCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  ListTagsForResourceCommand,
  type S3ControlClient,
  TagResourceCommand,
} from '@aws-sdk/client-s3-control';
import { classifyAwsError, RestorePipelineError } from '../errors.js';
import { call, dateOf, NotReadyError, readOrMissing, tagMap } from './calls.js';
import {
  type DrillContext,
  type DrillRules,
  type DrillSteps,
  fail,
  type Missing,
  missing,
  pass,
  type ResourceTypeModule,
  type ResourceView,
  taggedNeed,
  tagWriteNeed,
  type ValidationSteps,
  type Verdict,
} from './module.js';
import { newName } from './names.js';

/** An S3 bucket: ListObjectsV2 with MaxKeys 1. */
export type BucketObservation =
  | Missing
  | { readonly found: true; readonly name: string; readonly objectCount: number };

/** S3 bucket: exists and holds objects. */
export function bucketVerdict(o: BucketObservation): Verdict {
  if (!o.found) return missing('The restored bucket');
  if (o.objectCount === 0) {
    return fail(
      `Bucket ${o.name} is empty: the restore copied no objects. Check the restore job's status message and the restore role's S3 and KMS permissions, then restore again`,
    );
  }
  return pass(`Bucket ${o.name} holds objects`);
}

export async function readBucket(s3: S3Client, name: string): Promise<BucketObservation> {
  const out = await readOrMissing('ListObjectsV2', () =>
    s3.send(new ListObjectsV2Command({ Bucket: name, MaxKeys: 1 })),
  );
  return out === undefined ? { found: false } : { found: true, name, objectCount: out.KeyCount ?? 0 };
}

/** The S3 clients a bucket drill needs. */
export interface S3Clients {
  readonly s3: () => S3Client;
  readonly s3control: () => S3ControlClient;
}

/** The bucket's creation date from ListBuckets (by prefix, every page); undefined: no such bucket. */
async function bucketCreated(s3: S3Client, name: string): Promise<{ created: Date | undefined } | undefined> {
  let token: string | undefined;
  do {
    const out = await call('ListBuckets', () =>
      s3.send(
        new ListBucketsCommand({
          Prefix: name,
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
      ),
    );
    const bucket = (out.Buckets ?? []).find((b) => b.Name === name);
    if (bucket !== undefined) return { created: dateOf(bucket.CreationDate) };
    token = out.ContinuationToken;
  } while (token !== undefined && token !== '');
  return undefined;
}

/** Reads the bucket's creation date and tags; undefined when the account has no such bucket. */
async function viewBucket(
  clients: S3Clients,
  name: string,
  arn: string,
  accountId: string | undefined,
): Promise<ResourceView | undefined> {
  const found = await bucketCreated(clients.s3(), name);
  if (found === undefined) return undefined;
  const tags =
    accountId === undefined
      ? {}
      : tagMap(
          (
            await call('ListTagsForResource (S3 Control)', () =>
              clients
                .s3control()
                .send(new ListTagsForResourceCommand({ AccountId: accountId, ResourceArn: arn })),
            )
          ).Tags,
        );
  // Object Lock refuses the deletion before anything in the bucket is deleted.
  const locked = await lockRefusal(clients.s3(), name);
  return { exists: true, tags, createdAt: found.created, ...(locked === undefined ? {} : { inUse: locked }) };
}

/** Switches ABAC on for the bucket (when it is not yet), then puts the drill tag on with S3 Control. */
export async function tagBucket(
  clients: S3Clients,
  name: string,
  arn: string,
  context: DrillContext,
  rules: Pick<DrillRules, 'tagKey'>,
): Promise<void> {
  if (context.accountId === undefined) {
    throw new RestorePipelineError('DescribeRestoreJob gives no AccountId: the bucket cannot be tagged', {
      retryable: false,
    });
  }
  const abac = await call('GetBucketAbac', () =>
    clients.s3().send(new GetBucketAbacCommand({ Bucket: name })),
  );
  if (abac.AbacStatus?.Status !== 'Enabled') {
    await call('PutBucketAbac', () =>
      clients.s3().send(new PutBucketAbacCommand({ Bucket: name, AbacStatus: { Status: 'Enabled' } })),
    );
  }
  const accountId = context.accountId;
  await call('TagResource (S3 Control)', () =>
    clients.s3control().send(
      new TagResourceCommand({
        AccountId: accountId,
        ResourceArn: arn,
        Tags: [{ Key: rules.tagKey, Value: context.restoreJobId }],
      }),
    ),
  );
}

/** Why the bucket must be left before anything in it is deleted (Object Lock), or undefined. */
async function lockRefusal(s3: S3Client, name: string): Promise<string | undefined> {
  try {
    const out = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: name }));
    if (out.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled') {
      return `the bucket ${name} has Object Lock on: locked versions cannot be deleted, so nothing was`;
    }
    return undefined;
  } catch (error) {
    if ((error as { name?: unknown }).name === 'ObjectLockConfigurationNotFoundError') return undefined;
    throw classifyAwsError('GetObjectLockConfiguration', error);
  }
}

/** Deletes one page of versions and delete markers; throws when S3 reports any it could not delete. */
async function deleteVersions(
  s3: S3Client,
  name: string,
  objects: { Key: string; VersionId: string }[],
): Promise<void> {
  if (objects.length === 0) return;
  const out = await call('DeleteObjects', () =>
    s3.send(new DeleteObjectsCommand({ Bucket: name, Delete: { Objects: objects, Quiet: true } })),
  );
  const errors = out.Errors ?? [];
  if (errors.length > 0) {
    const first = errors[0];
    throw new RestorePipelineError(
      `DeleteObjects left ${errors.length} version(s) of the bucket ${name} (${first?.Code ?? 'error'}: ${first?.Message ?? ''})`,
      { retryable: true },
    );
  }
}

/**
 * Empties the bucket of every version and delete marker (an unversioned bucket's objects are its
 * `null` versions), then deletes it (viewBucket refused a bucket with Object Lock on before).
 * Returns the steps taken. Each page starts before the run's deadline, or the drill is left for the
 * next run (NotReadyError): what was emptied stays emptied.
 */
export async function deleteBucket(
  s3: S3Client,
  name: string,
  context: Pick<DrillContext, 'deadline'>,
): Promise<string[]> {
  const versioning = await call('GetBucketVersioning', () =>
    s3.send(new GetBucketVersioningCommand({ Bucket: name })),
  );
  let removed = 0;
  let markers = 0;
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  do {
    if (Date.now() >= context.deadline) {
      throw new NotReadyError(
        `the bucket ${name} is not empty yet (${removed} version(s) and ${markers} delete marker(s) deleted in this run)`,
      );
    }
    const page = await call('ListObjectVersions', () =>
      s3.send(
        new ListObjectVersionsCommand({
          Bucket: name,
          ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
          ...(versionMarker === undefined ? {} : { VersionIdMarker: versionMarker }),
        }),
      ),
    );
    const versions = (page.Versions ?? []).map((v) => ({
      Key: v.Key ?? '',
      VersionId: v.VersionId ?? 'null',
    }));
    const deleteMarkers = (page.DeleteMarkers ?? []).map((m) => ({
      Key: m.Key ?? '',
      VersionId: m.VersionId ?? 'null',
    }));
    await deleteVersions(s3, name, [...versions, ...deleteMarkers]);
    removed += versions.length;
    markers += deleteMarkers.length;
    const more = page.IsTruncated === true;
    keyMarker = more ? page.NextKeyMarker : undefined;
    versionMarker = more ? page.NextVersionIdMarker : undefined;
  } while (keyMarker !== undefined);
  await call('DeleteBucket', () => s3.send(new DeleteBucketCommand({ Bucket: name })));
  return [
    `versioning ${versioning.Status ?? 'never enabled'}`,
    `DeleteObjects (${removed} version(s), ${markers} delete marker(s))`,
    'DeleteBucket',
  ];
}

// S3 buckets: lowercase letters, digits, hyphens; starts and ends with a letter or digit; 63 at most.
const bucketName = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/-+$/, '');

const BUCKET = 'arn:aws:s3:::invoices-r1234567';

export const s3 = {
  type: 'S3',
  restore: {
    required: ['DestinationBucketName'],
    targetKeys: ['DestinationBucketName', 'NewBucket'],
    copyTags: false,
    pointInTimeKey: 'RestoreTime',
    newIdentity: (metadata, suffix) => {
      metadata.DestinationBucketName = newName(
        metadata.DestinationBucketName,
        suffix,
        63,
        bucketName,
        'restored',
      );
      metadata.NewBucket = 'true';
    },
  },
  alarm: [
    { namespace: 'AWS/S3', dimension: 'BucketName', arnOf: (id, w) => `arn:${w.partition}:s3:::${id}` },
  ],
  validated: true,
  drillable: true,
  madeReady: false,
  iam: [
    { action: 's3:ListBucket', resource: BUCKET, by: 'validate' },
    { action: 's3:ListAllMyBuckets', resource: '*', by: 'cleanup' },
    { action: 's3:ListTagsForResource', resource: BUCKET, by: 'cleanup' },
    { action: 's3:GetBucketObjectLockConfiguration', resource: BUCKET, by: 'cleanup' },
    { action: 's3:GetBucketAbac', resource: BUCKET, by: 'cleanup' },
    { action: 's3:PutBucketAbac', resource: BUCKET, by: 'cleanup' },
    tagWriteNeed('s3:TagResource', BUCKET),
    { action: 's3:GetBucketVersioning', resource: BUCKET, by: 'cleanup' },
    { action: 's3:ListBucketVersions', resource: BUCKET, by: 'cleanup' },
    taggedNeed('s3:DeleteObject', `${BUCKET}/a`),
    taggedNeed('s3:DeleteObjectVersion', `${BUCKET}/a`),
    taggedNeed('s3:DeleteBucket', BUCKET),
  ],
} as const satisfies ResourceTypeModule<'S3'>;

export const s3Validation: ValidationSteps = {
  check: async (clients, id) => bucketVerdict(await readBucket(clients.s3(), id)),
};

export const s3Drill: DrillSteps = {
  view: (clients, { id, arn, context }) => viewBucket(clients, id, arn, context.accountId),
  tag: (clients, { id, arn, context, rules }) => tagBucket(clients, id, arn, context, rules),
  delete: async (clients, { id, context }) => ({ steps: await deleteBucket(clients.s3(), id, context) }),
};
