/**
 * The check before a drill of a bucket starts, alone in its module: the restore functions load it
 * (and S3's client) on the first drill of a bucket, and their bundles carry neither S3 Control nor
 * the drill cleanup's S3 steps (src/resources/s3.ts). docs/performance.md
 */

import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { classifyAwsError } from '../errors.js';

/**
 * Why a drill may not start into its new bucket (undefined: it may), read before StartRestoreJob:
 * HeadBucket with ExpectedBucketOwner this account. 404: no such bucket, the restore creates it.
 * 200: the bucket is this account's (a bucket named from this very request's token: an earlier
 * delivery's job, whose deletion the cleanup's evidence decides). 403, 400 or 301: it exists and is
 * not this account's (or is hidden from this role): the drill's data must not land there.
 * docs/aws-behaviour.md#s3-head-bucket-owner
 */
export async function drillBucketProblem(
  s3: S3Client,
  bucket: string,
  accountId: string,
): Promise<string | undefined> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket, ExpectedBucketOwner: accountId }));
    return undefined;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
    if (status === 404) return undefined;
    if (status === 403 || status === 400 || status === 301)
      return `Drill: the bucket it would restore into (Metadata.DestinationBucketName) exists and is not this account's, or this role may not see it (HeadBucket answered ${status}); a drill restores only into a new bucket, so nothing was started. Bucket names are global: find out who created it, then send the drill with another IdempotencyToken (its bucket's name comes from the token)`;
    throw classifyAwsError('HeadBucket', error);
  }
}
