/** EFS make-ready steps against a stateful fake: the pipeline's tag, then the source file system's tags. */

import { TagResourceCommand } from '@aws-sdk/client-efs';
import { makeReady } from '../../src/ready/run';
import { efsReady } from '../../src/resources/efs';
import { readySteps } from '../../src/resources/steps';
import { quickRun } from '../helpers/ec2-ready-fakes';
import { clientError, fakeEfs, readyTarget } from '../helpers/ready-fakes';

const ARN = (id: string) => `arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/${id}`;
const SOURCE = 'fs-0aaaaaaaaaaaaaaa1';
const COPY = 'fs-0bbbbbbbbbbbbbbb2';

const target = (sourceArn?: string) =>
  readyTarget({ restoreJobId: 'job-5', resourceType: 'EFS', restoredArn: ARN(COPY), sourceArn });

const systems = (copy: Record<string, string> = {}) => ({
  [SOURCE]: {
    team: 'files',
    Name: 'shared-home',
    'aws:elasticfilesystem:default-backup': 'enabled',
    'backup-restore:drill': 'j',
  },
  [COPY]: { ...copy },
});

describe('EFS make-ready', () => {
  it('is the registered make-ready of EFS', () => {
    expect(readySteps('EFS')).toBe(efsReady);
  });

  it("puts the ready tag on the file system first, alone, then the source's tags it lacks, once", async () => {
    const tags = systems();
    const writes: string[] = [];
    const mock = fakeEfs(tags, writes);
    const result = await makeReady(quickRun(), efsReady, target(ARN(SOURCE)));
    expect(result.ready).toBe(true);
    expect(result.steps.map((s) => [s.step, s.status])).toStrictEqual([
      ['efs.ready-tag', 'changed'],
      ['efs.tags', 'changed'],
    ]);
    // The ready tag alone first: IAM lets only that key onto a file system without it. The source's
    // aws: and backup-restore: keys (the drill key among them) are never copied.
    expect(writes).toStrictEqual([`${COPY} backup-restore:ready`, `${COPY} team,Name`]);
    expect(tags[COPY]).toStrictEqual({ 'backup-restore:ready': 'job-5', team: 'files', Name: 'shared-home' });
    mock.resetHistory();
    expect((await makeReady(quickRun(), efsReady, target(ARN(SOURCE)))).ready).toBe(true);
    expect(mock.commandCalls(TagResourceCommand)).toHaveLength(0);
    mock.restore();
  });

  it('writes only the tags a restore with CopySourceTagsToRestoredResource did not bring', async () => {
    const tags = systems({ team: 'files', 'backup-restore:ready': 'job-1' });
    const writes: string[] = [];
    const mock = fakeEfs(tags, writes);
    const result = await makeReady(quickRun(), efsReady, target(ARN(SOURCE)));
    expect(result.steps.map((s) => s.status)).toStrictEqual(['unchanged', 'changed']);
    // Another job's ready tag stays: it is written only where none is.
    expect(writes).toStrictEqual([`${COPY} Name`]);
    expect(tags[COPY]?.['backup-restore:ready']).toBe('job-1');
    mock.restore();
  });

  it("never copies the pipeline's keys in another case (IAM would read them as its own) nor AWS's keys", async () => {
    const tags = {
      [SOURCE]: { team: 'files', 'Backup-Restore:Drill': 'j', 'BACKUP-RESTORE:READY': 'x', 'AWS:owner': 'o' },
      [COPY]: {} as Record<string, string>,
    };
    const writes: string[] = [];
    const mock = fakeEfs(tags, writes);
    const result = await makeReady(quickRun(), efsReady, target(ARN(SOURCE)));
    expect(result.ready).toBe(true);
    expect(writes).toStrictEqual([`${COPY} backup-restore:ready`, `${COPY} team`]);
    expect(tags[COPY]).toStrictEqual({ 'backup-restore:ready': 'job-5', team: 'files' });
    mock.restore();
  });

  it('retries a TagResource that is throttled once, and fails the tags step that is always refused, naming it', async () => {
    const tags = systems();
    const mock = fakeEfs(tags);
    const onCopy = tags[COPY] as Record<string, string>;
    mock
      .on(TagResourceCommand)
      .rejectsOnce(clientError('ThrottlingException', 'Rate exceeded', 429))
      .callsFake((i) => {
        if (i.Tags.some((t: { Key: string }) => t.Key !== 'backup-restore:ready'))
          throw clientError(
            'AccessDeniedException',
            'User is not authorized to perform: elasticfilesystem:TagResource',
            403,
          );
        for (const t of i.Tags) onCopy[t.Key] = t.Value;
        return {};
      });
    const result = await makeReady(quickRun(), efsReady, target(ARN(SOURCE)));
    expect(onCopy).toStrictEqual({ 'backup-restore:ready': 'job-5' });
    expect(mock.commandCalls(TagResourceCommand)).toHaveLength(3);
    expect(result.ready).toBe(false);
    const failed = result.steps.filter((s) => s.status === 'failed');
    expect(failed.map((s) => [s.step, s.error?.message])).toStrictEqual([
      ['efs.tags', expect.stringMatching(/^TagResource \(EFS\) failed with AccessDeniedException/)],
    ]);
    expect(failed[0]?.manual).toMatch(/source's tags/);
    mock.restore();
  });

  it('with the source file system gone, writes the ready tag and records its tags as not restored', async () => {
    const tags = { [COPY]: {} as Record<string, string> };
    const mock = fakeEfs(tags);
    const result = await makeReady(quickRun(), efsReady, target(ARN(SOURCE)));
    expect(result).toMatchObject({ ready: true, sourceRead: false });
    expect(result.steps.map((s) => [s.step, s.status])).toStrictEqual([
      ['efs.ready-tag', 'changed'],
      ['efs.tags', 'not-known'],
    ]);
    expect(tags[COPY]).toStrictEqual({ 'backup-restore:ready': 'job-5' });
    mock.restore();
  });
});
