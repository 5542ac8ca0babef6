/**
 * Stateful fakes of the EFS and S3 calls the EFS and S3 make-ready steps make (aws-sdk-client-mock):
 * file systems and buckets by id or name, each with its tags; an unknown one is the service's
 * not-found error, as AWS answers it (FileSystemNotFound, NoSuchBucket); a bucket without tags
 * answers NoSuchTagSet, and PutBucketTagging replaces the whole set, as S3 does.
 */

import { DescribeFileSystemsCommand, EFSClient, TagResourceCommand } from '@aws-sdk/client-efs';
import { GetBucketTaggingCommand, PutBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { clientError } from './ready-fakes';

/** Tags by file system id or bucket name. */
export type TagsById = Record<string, Record<string, string>>;

const tagList = (tags: Record<string, string>) =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** EFS over `systems`: DescribeFileSystems answers their tags, TagResource adds to them and is listed in `writes` ("fs-1 backup-restore:ready"). */
export function fakeEfs(systems: TagsById, writes: string[] = []) {
  const mock = mockClient(EFSClient);
  const get = (id: string) => {
    const tags = systems[id];
    if (tags !== undefined) return tags;
    throw clientError('FileSystemNotFound', `File system '${id}' does not exist.`, 404);
  };
  mock.on(DescribeFileSystemsCommand).callsFake((i) => ({
    FileSystems: [
      { FileSystemId: i.FileSystemId, LifeCycleState: 'available', Tags: tagList(get(i.FileSystemId)) },
    ],
  }));
  mock.on(TagResourceCommand).callsFake((i) => {
    const tags = get(i.ResourceId);
    writes.push(`${i.ResourceId} ${i.Tags.map((t: { Key: string }) => t.Key).join(',')}`);
    for (const t of i.Tags) tags[t.Key] = t.Value;
    return {};
  });
  return mock;
}

/** S3 over `buckets`: GetBucketTagging answers their tags (NoSuchTagSet when none), PutBucketTagging replaces them and is listed in `writes` ("b-1 k1,k2"). */
export function fakeS3(buckets: TagsById, writes: string[] = []) {
  const mock = mockClient(S3Client);
  const get = (name: string) => {
    const tags = buckets[name];
    if (tags !== undefined) return tags;
    throw clientError('NoSuchBucket', 'The specified bucket does not exist', 404);
  };
  mock.on(GetBucketTaggingCommand).callsFake((i) => {
    const tags = get(i.Bucket);
    if (Object.keys(tags).length === 0) throw clientError('NoSuchTagSet', 'The TagSet does not exist', 404);
    return { TagSet: tagList(tags) };
  });
  mock.on(PutBucketTaggingCommand).callsFake((i) => {
    const tags = get(i.Bucket);
    const set = i.Tagging.TagSet as { Key: string; Value: string }[];
    writes.push(`${i.Bucket} ${set.map((t) => t.Key).join(',')}`);
    for (const k of Object.keys(tags)) delete tags[k];
    for (const t of set) tags[t.Key] = t.Value;
    return {};
  });
  return mock;
}
