/** EBS make-ready steps against a stateful fake: the pipeline's tag, then the source volume's tags. */

import { CreateTagsCommand, DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { makeReady } from '../../src/ready/run';
import { ebsReady } from '../../src/resources/ebs';
import { fakeEc2, quickRun } from '../helpers/ec2-ready-fakes';
import { clientError, readyTarget } from '../helpers/ready-fakes';

const ARN = (id: string) => `arn:aws:ec2:eu-west-1:123456789012:volume/${id}`;
const SOURCE = 'vol-0aaaaaaaaaaaaaaa1';
const COPY = 'vol-0bbbbbbbbbbbbbbb2';

const target = (sourceArn?: string) =>
  readyTarget({ restoreJobId: 'job-4', resourceType: 'EBS', restoredArn: ARN(COPY), sourceArn });

const volumes = (copy: Record<string, string> = {}) => ({
  [SOURCE]: {
    team: 'orders',
    Name: 'orders-data',
    'aws:backup:source-resource': 'x',
    'backup-restore:drill': 'j',
  },
  [COPY]: { ...copy },
});

describe('EBS make-ready', () => {
  it("puts the ready tag on the volume first, alone, then the source's tags it lacks, once", async () => {
    const tags = volumes();
    const writes: string[] = [];
    const mock = fakeEc2(tags, writes);
    const result = await makeReady(quickRun(), ebsReady, target(ARN(SOURCE)));
    expect(result.ready).toBe(true);
    expect(result.steps.map((s) => [s.step, s.status])).toStrictEqual([
      ['ebs.ready-tag', 'changed'],
      ['ebs.tags', 'changed'],
    ]);
    // The ready tag alone first: IAM lets only that key onto a volume without it.
    expect(writes).toStrictEqual([`${COPY} backup-restore:ready`, `${COPY} team,Name`]);
    expect(tags[COPY]).toStrictEqual({
      'backup-restore:ready': 'job-4',
      team: 'orders',
      Name: 'orders-data',
    });
    mock.resetHistory();
    expect((await makeReady(quickRun(), ebsReady, target(ARN(SOURCE)))).ready).toBe(true);
    expect(mock.commandCalls(CreateTagsCommand)).toHaveLength(0);
    mock.restore();
  });

  it('writes only the tags a restore with CopySourceTagsToRestoredResource did not bring', async () => {
    const tags = volumes({ team: 'orders', 'backup-restore:ready': 'job-1' });
    const writes: string[] = [];
    const mock = fakeEc2(tags, writes);
    const result = await makeReady(quickRun(), ebsReady, target(ARN(SOURCE)));
    expect(result.steps.map((s) => s.status)).toStrictEqual(['unchanged', 'changed']);
    // Another job's ready tag stays: it is written only where none is.
    expect(writes).toStrictEqual([`${COPY} Name`]);
    expect(tags[COPY]?.['backup-restore:ready']).toBe('job-1');
    mock.restore();
  });

  it('retries a CreateTags that is throttled once, and fails the tags step that is always refused, naming it', async () => {
    const tags = volumes();
    const mock = fakeEc2(tags);
    const tagsOnCopy = tags[COPY] as Record<string, string>;
    mock
      .on(CreateTagsCommand)
      .rejectsOnce(clientError('RequestLimitExceeded', 'Request limit exceeded.', 503))
      .callsFake((i) => {
        if (i.Tags.some((t: { Key: string }) => t.Key !== 'backup-restore:ready'))
          throw clientError(
            'UnauthorizedOperation',
            'You are not authorized to perform this operation.',
            403,
          );
        for (const t of i.Tags) tagsOnCopy[t.Key] = t.Value;
        return {};
      });
    const result = await makeReady(quickRun(), ebsReady, target(ARN(SOURCE)));
    expect(tagsOnCopy).toStrictEqual({ 'backup-restore:ready': 'job-4' });
    expect(mock.commandCalls(CreateTagsCommand)).toHaveLength(3);
    expect(result.ready).toBe(false);
    const failed = result.steps.filter((s) => s.status === 'failed');
    expect(failed.map((s) => [s.step, s.error?.message])).toStrictEqual([
      ['ebs.tags', expect.stringMatching(/^CreateTags failed with UnauthorizedOperation/)],
    ]);
    expect(failed[0]?.manual).toMatch(/source's tags/);
    expect(result.diff).toContainEqual(
      expect.objectContaining({ setting: 'tags', why: expect.stringMatching(/^the step failed/) }),
    );
    mock.restore();
  });

  it('with the source volume gone, writes the ready tag and records its tags as not restored', async () => {
    const tags = { [COPY]: {} as Record<string, string> };
    const mock = fakeEc2(tags);
    const result = await makeReady(quickRun(), ebsReady, target(ARN(SOURCE)));
    expect(result).toMatchObject({ ready: true, sourceRead: false });
    expect(result.steps.map((s) => [s.step, s.status])).toStrictEqual([
      ['ebs.ready-tag', 'changed'],
      ['ebs.tags', 'not-known'],
    ]);
    expect(tags[COPY]).toStrictEqual({ 'backup-restore:ready': 'job-4' });
    expect(result.diff).toContainEqual({
      setting: 'tags',
      why: 'the source is gone (or in another account) and the recovery point does not tell it',
    });
    mock.restore();
  });

  it('a copy EC2 does not know yet is looked at again, never a failed step: ready once it shows', async () => {
    const copy: Record<string, string> = {};
    const tags: Record<string, Record<string, string>> = { [SOURCE]: { team: 'orders' } };
    const mock = fakeEc2(tags);
    let looks = 0;
    mock.on(DescribeVolumesCommand, { VolumeIds: [COPY] }).callsFake(() => {
      looks += 1;
      // EC2 is eventually consistent: the id AWS Backup just created shows on the third look.
      if (looks < 3) throw clientError('InvalidVolume.NotFound', `The volume '${COPY}' does not exist.`);
      tags[COPY] = copy;
      return {
        Volumes: [{ VolumeId: COPY, Tags: Object.entries(copy).map(([Key, Value]) => ({ Key, Value })) }],
      };
    });
    const result = await makeReady(quickRun(), ebsReady, target(ARN(SOURCE)));
    expect(result.ready).toBe(true);
    expect(copy).toMatchObject({ 'backup-restore:ready': 'job-4', team: 'orders' });
    mock.restore();
  });

  it('a copy EC2 never shows makes the run be tried again (the invocation fails), never ready nor failed', async () => {
    const mock = fakeEc2({ [SOURCE]: { team: 'orders' } });
    await expect(makeReady(quickRun(), ebsReady, target(ARN(SOURCE)))).rejects.toMatchObject({
      name: 'StillWaitingError',
      retryable: true,
      message: expect.stringMatching(/ebs\.ready-tag/),
    });
    expect(mock.commandCalls(CreateTagsCommand)).toHaveLength(0);
    mock.restore();
  });
});
