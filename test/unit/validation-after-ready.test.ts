/**
 * The validator judges the ready copy: the tracker asks for a COMPLETED job's validation at once
 * only when nothing is to be made ready (a type without steps, or `"Ready": false`); otherwise
 * make-ready asks for it when the copy is ready (test/unit/ready-job.test.ts).
 */

import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { createHandler } from '../../handlers/track-restore-job';
import { linkItem } from '../../src/table/links';
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
    ['EBS', {}, 1],
    ['Aurora', { Ready: false }, 1],
    ['Aurora', {}, 0],
    ['DynamoDB', { Ready: { AuroraReaders: 1 } }, 0],
  ])('the tracker asks for a %s job (request %j) to be validated %d time(s)', async (type, ready, asked) => {
    const request = {
      RecoveryPointArn: 'arn:aws:backup:eu-west-1:123456789012:recovery-point:p-1',
      Metadata: {},
      ...ready,
    };
    expect(await validationsAsked(type, request)).toBe(asked);
  });
});
