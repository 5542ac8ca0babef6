/**
 * S3 make-ready steps against a stateful fake: the pipeline's tag, then the source bucket's tags;
 * PutBucketTagging replaces the whole set, so every write keeps the tags the copy already has.
 */

import { PutBucketTaggingCommand } from '@aws-sdk/client-s3';
import { makeReady } from '../../src/ready/run';
import { s3Ready } from '../../src/resources/s3';
import { quickRun } from '../helpers/ec2-ready-fakes';
import { fakeS3 } from '../helpers/efs-s3-ready-fakes';
import { clientError, readyTarget } from '../helpers/ready-fakes';

const SOURCE = 'invoices';
const COPY = 'invoices-r1a2b3c4';
const ARN = (name: string) => `arn:aws:s3:::${name}`;

const target = (sourceArn?: string) =>
  readyTarget({ restoreJobId: 'job-6', resourceType: 'S3', restoredArn: ARN(COPY), sourceArn });

const buckets = (copy: Record<string, string> = {}) => ({
  [SOURCE]: {
    team: 'billing',
    cost: 'cc-7',
    'aws:cloudformation:stack-name': 's',
    'backup-restore:drill': 'j',
  },
  [COPY]: { ...copy },
});

describe('S3 make-ready', () => {
  it("puts the ready tag on a bucket without tags (NoSuchTagSet) first, then the source's tags, once", async () => {
    const tags = buckets();
    const writes: string[] = [];
    const mock = fakeS3(tags, writes);
    const result = await makeReady(quickRun(), s3Ready, target(ARN(SOURCE)));
    expect(result.ready).toBe(true);
    expect(result.steps.map((s) => [s.step, s.status])).toStrictEqual([
      ['s3.ready-tag', 'changed'],
      ['s3.tags', 'changed'],
    ]);
    // The whole set each time: the second write keeps the ready tag the first put there.
    expect(writes).toStrictEqual([`${COPY} backup-restore:ready`, `${COPY} backup-restore:ready,team,cost`]);
    expect(tags[COPY]).toStrictEqual({ 'backup-restore:ready': 'job-6', team: 'billing', cost: 'cc-7' });
    mock.resetHistory();
    expect((await makeReady(quickRun(), s3Ready, target(ARN(SOURCE)))).ready).toBe(true);
    expect(mock.commandCalls(PutBucketTaggingCommand)).toHaveLength(0);
    mock.restore();
  });

  it("keeps the copy's own tags and another job's ready tag, and writes only the source's tags it lacks", async () => {
    const tags = buckets({ owner: 'ops', team: 'billing', 'backup-restore:ready': 'job-1' });
    const writes: string[] = [];
    const mock = fakeS3(tags, writes);
    const result = await makeReady(quickRun(), s3Ready, target(ARN(SOURCE)));
    expect(result.steps.map((s) => s.status)).toStrictEqual(['unchanged', 'changed']);
    expect(writes).toHaveLength(1);
    expect(tags[COPY]).toStrictEqual({
      owner: 'ops',
      team: 'billing',
      'backup-restore:ready': 'job-1',
      cost: 'cc-7',
    });
    mock.restore();
  });

  it('retries a PutBucketTagging that is throttled once, and fails the tags step that is always refused, naming it', async () => {
    const tags = buckets();
    const mock = fakeS3(tags);
    const onCopy = tags[COPY] as Record<string, string>;
    mock
      .on(PutBucketTaggingCommand)
      .rejectsOnce(clientError('SlowDown', 'Please reduce your request rate.', 503))
      .callsFake((i) => {
        const set = i.Tagging.TagSet as { Key: string; Value: string }[];
        if (set.some((t) => t.Key !== 'backup-restore:ready'))
          throw clientError('AccessDenied', 'Access Denied', 403);
        for (const t of set) onCopy[t.Key] = t.Value;
        return {};
      });
    const result = await makeReady(quickRun(), s3Ready, target(ARN(SOURCE)));
    expect(onCopy).toStrictEqual({ 'backup-restore:ready': 'job-6' });
    expect(mock.commandCalls(PutBucketTaggingCommand)).toHaveLength(3);
    expect(result.ready).toBe(false);
    const failed = result.steps.filter((s) => s.status === 'failed');
    expect(failed.map((s) => [s.step, s.error?.message])).toStrictEqual([
      ['s3.tags', expect.stringMatching(/^PutBucketTagging failed with AccessDenied/)],
    ]);
    expect(failed[0]?.manual).toMatch(/source's tags/);
    mock.restore();
  });

  it('with the source bucket gone (NoSuchBucket), writes the ready tag and records its tags as not restored', async () => {
    const tags = { [COPY]: { owner: 'ops' } as Record<string, string> };
    const mock = fakeS3(tags);
    const result = await makeReady(quickRun(), s3Ready, target(ARN(SOURCE)));
    expect(result).toMatchObject({ ready: true, sourceRead: false });
    expect(result.steps.map((s) => [s.step, s.status])).toStrictEqual([
      ['s3.ready-tag', 'changed'],
      ['s3.tags', 'not-known'],
    ]);
    expect(tags[COPY]).toStrictEqual({ owner: 'ops', 'backup-restore:ready': 'job-6' });
    mock.restore();
  });
});
