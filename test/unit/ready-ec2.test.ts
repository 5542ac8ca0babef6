/**
 * EC2 make-ready steps against a stateful fake: the pipeline's tag, then the source instance's
 * tags, on the restored instance only; and through the handler, a copy whose tags cannot be copied
 * dead-lettered naming the step.
 */

import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import { makeReady } from '../../src/ready/run';
import { ec2Ready } from '../../src/resources/ec2';
import { fakeEc2, quickRun } from '../helpers/ec2-ready-fakes';
import { completedEvent, fakeReadyJob, makeReadyHandler } from '../helpers/make-ready';
import { mockAws, restoreAws } from '../helpers/mocks';
import { clientError, readyTarget } from '../helpers/ready-fakes';

const ARN = (id: string) => `arn:aws:ec2:eu-west-1:123456789012:instance/${id}`;
const SOURCE = 'i-0aaaaaaaaaaaaaaa1';
const COPY = 'i-0bbbbbbbbbbbbbbb2';
const COPY_VOLUME = 'vol-0bbbbbbbbbbbbbbb0';

const target = (sourceArn?: string) =>
  readyTarget({ restoreJobId: 'job-5', resourceType: 'EC2', restoredArn: ARN(COPY), sourceArn });

const fleet = () => ({
  [SOURCE]: { Name: 'web-1', env: 'prod', 'aws:cloudformation:stack-name': 's' },
  [COPY]: {} as Record<string, string>,
  [COPY_VOLUME]: {} as Record<string, string>,
});

const refuseSourceTags =
  (tags: Record<string, string>) => (i: { Tags: { Key: string; Value: string }[] }) => {
    if (i.Tags.some((t) => t.Key !== 'backup-restore:ready'))
      throw clientError('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403);
    for (const t of i.Tags) tags[t.Key] = t.Value;
    return {};
  };

describe('EC2 make-ready', () => {
  it("puts the ready tag on the instance first, alone, then the source's tags, once; its volumes are left as they are", async () => {
    const tags = fleet();
    const writes: string[] = [];
    const mock = fakeEc2(tags, writes);
    const result = await makeReady(quickRun(), ec2Ready, target(ARN(SOURCE)));
    expect(result.ready).toBe(true);
    expect(writes).toStrictEqual([`${COPY} backup-restore:ready`, `${COPY} Name,env`]);
    expect(tags[COPY]).toStrictEqual({ 'backup-restore:ready': 'job-5', Name: 'web-1', env: 'prod' });
    expect(tags[COPY_VOLUME]).toStrictEqual({});
    mock.resetHistory();
    expect((await makeReady(quickRun(), ec2Ready, target(ARN(SOURCE)))).ready).toBe(true);
    expect(mock.commandCalls(CreateTagsCommand)).toHaveLength(0);
    mock.restore();
  });

  it('retries a throttled CreateTags; a tags step always refused leaves the copy not ready, naming the step', async () => {
    const tags = fleet();
    const mock = fakeEc2(tags);
    mock
      .on(CreateTagsCommand)
      .rejectsOnce(clientError('RequestLimitExceeded', 'Request limit exceeded.', 503))
      .callsFake(refuseSourceTags(tags[COPY]));
    const result = await makeReady(quickRun(), ec2Ready, target(ARN(SOURCE)));
    expect(result.ready).toBe(false);
    expect(result.steps.map((s) => [s.step, s.status])).toStrictEqual([
      ['ec2.ready-tag', 'changed'],
      ['ec2.tags', 'failed'],
    ]);
    expect(mock.commandCalls(CreateTagsCommand)).toHaveLength(3);
    mock.restore();
  });

  it('with the source instance gone, writes the ready tag and records its tags as not restored', async () => {
    const tags = { [COPY]: {} as Record<string, string> };
    const mock = fakeEc2(tags);
    const result = await makeReady(quickRun(), ec2Ready, target(ARN(SOURCE)));
    expect(result).toMatchObject({ ready: true, sourceRead: false });
    expect(result.steps.map((s) => [s.step, s.status])).toStrictEqual([
      ['ec2.ready-tag', 'changed'],
      ['ec2.tags', 'not-known'],
    ]);
    expect(tags[COPY]).toStrictEqual({ 'backup-restore:ready': 'job-5' });
    mock.restore();
  });

  it('through the handler: records the copy not ready and dead-letters it, naming the step and the instance', async () => {
    const aws = mockAws();
    const request = {
      RecoveryPointArn: 'arn:aws:ec2:eu-west-1::image/ami-0123456789abcdef0',
      ResourceType: 'EC2',
      Metadata: {},
    };
    const items = fakeReadyJob(aws, { request, sourceArn: ARN(SOURCE), createdResourceArn: ARN(COPY) });
    const tags = fleet();
    const mock = fakeEc2(tags);
    mock.on(CreateTagsCommand).callsFake(refuseSourceTags(tags[COPY]));
    const event = completedEvent({
      resourceType: 'EC2',
      createdResourceArn: ARN(COPY),
      recoveryPointArn: request.RecoveryPointArn,
    });
    expect(await makeReadyHandler(aws)(event, undefined as never)).toBe('not-ready');
    const [letter] = aws.deadLetters();
    expect(letter).toMatchObject({
      failure: 'make-ready-failed',
      restoreJob: { restoreJobId: 'job-1', resourceType: 'EC2' },
    });
    expect(letter?.reason).toMatch(
      new RegExp(`instance/${COPY} is not ready: ec2\\.tags .*UnauthorizedOperation`),
    );
    expect((items.get('job-1#ready') as { state: { S: string } }).state.S).toBe('not-ready');
    expect(tags[COPY]).toStrictEqual({ 'backup-restore:ready': 'job-1' });
    mock.restore();
    restoreAws();
  });
});
