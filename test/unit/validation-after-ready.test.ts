/**
 * The validator judges the ready copy: the tracker asks for every COMPLETED job's validation, and
 * make-ready asks again once the copy is ready (test/unit/ready-job.test.ts); a copy to be made
 * ready is not judged before its ready record says so (readyGate), until the deadline.
 */

import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { createHandler } from '../../handlers/track-restore-job';
import { validatedAfterReady } from '../../src/ready/request';
import { linkItem } from '../../src/table/links';
import type { ReadyRecord } from '../../src/table/ready';
import { readyGate } from '../../src/validation/validate';
import { context, loadEvent, testConfig } from '../helpers/fixtures';
import { mockAws, restoreAws } from '../helpers/mocks';

const VALIDATIONS = 'https://sqs.eu-west-1.amazonaws.com/123456789012/restore-validations';
const JOB = 'job-after-ready';

afterEach(restoreAws);

async function validationsAsked(resourceType: string, request: Record<string, unknown>): Promise<number> {
  const aws = mockAws({
    config: testConfig({ VALIDATION_QUEUE_URL: VALIDATIONS }),
    now: () => new Date('2026-11-26T10:30:00.000Z'),
  });
  aws.ddb.on(GetItemCommand, { Key: { restoreJobId: { S: JOB } } }).resolves({
    Item: linkItem(
      {
        restoreJobId: JOB,
        original: { trigger: 'sqs', body: JSON.stringify(request) },
        trigger: { type: 'sqs', id: 'm-1', attempt: 1 },
        redriveCount: 0,
        recoveryPointArn: 'arn:aws:backup:eu-west-1:123456789012:recovery-point:p-1',
        resourceType,
        startedAt: '2026-11-26T10:15:00.000Z',
        fingerprint: 'f',
      },
      new Date('2026-11-26T10:15:00.000Z'),
    ),
  });
  const event = loadEvent<{ detail: Record<string, unknown> }>('restore-job-completed.json');
  event.detail.restoreJobId = JOB;
  event.detail.resourceType = resourceType;
  await createHandler(aws.deps)(event as never, context);
  return aws.sqs.commandCalls(SendMessageCommand).filter((c) => c.args[0].input.QueueUrl === VALIDATIONS)
    .length;
}

describe('validation after ready', () => {
  it.each([
    ['Neptune', {}],
    ['EFS', {}],
    ['EBS', {}],
    ['Aurora', { Ready: false }],
    ['Aurora', {}],
    ['DynamoDB', { Ready: { AuroraReaders: 1 } }],
  ])('the tracker asks for a %s job (request %j) to be validated, make-ready or not', async (type, ready) => {
    const request = {
      RecoveryPointArn: 'arn:aws:backup:eu-west-1:123456789012:recovery-point:p-1',
      Metadata: {},
      ...ready,
    };
    expect(await validationsAsked(type, request)).toBe(1);
  });

  const record = (state: ReadyRecord['state']): ReadyRecord => ({
    restoreJobId: JOB,
    state,
    resourceType: 'Aurora',
    restoredArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:c',
    completedAt: '2026-11-26T10:30:00.000Z',
    steps: [],
    diff: [],
  });

  it('judges a copy to be made ready only once its record says ready (or skipped)', () => {
    expect(validatedAfterReady('Aurora', {})).toBe(true);
    expect(validatedAfterReady('Aurora', { Ready: false })).toBe(false);
    expect(validatedAfterReady('EBS', {})).toBe(true);
    expect(validatedAfterReady('EFS', {})).toBe(true);
    expect(validatedAfterReady('EFS', { Ready: false })).toBe(false);
    expect(validatedAfterReady('Neptune', {})).toBe(false);
    expect(readyGate(true, undefined)).toMatchObject({ verdict: 'not-yet', reason: /not made ready yet/ });
    expect(readyGate(true, record('not-ready'))).toMatchObject({
      verdict: 'not-yet',
      reason: /make-ready-failed letter/,
    });
    expect(readyGate(true, record('ready'))).toBeUndefined();
    expect(readyGate(true, record('no-steps'))).toBeUndefined();
    expect(readyGate(false, undefined)).toBeUndefined();
  });
});
