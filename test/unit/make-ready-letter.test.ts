/**
 * A make-ready-failed letter: its own kind, an id apart from the job's validation letter, and a
 * redrive that never starts a second restore (through the pipeline or through the CLI).
 */

import { StartRestoreJobCommand } from '@aws-sdk/client-backup';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describeLetter, moveOne } from '../../cli/dead-letters';
import { createHandler } from '../../handlers/restore-from-queue';
import { buildDeadLetter } from '../../src/letters/dead-letters';
import { context, sqsRecord } from '../helpers/fixtures';
import { mockAws, restoreAws } from '../helpers/mocks';

const JOB = { restoreJobId: 'job-7', status: 'COMPLETED', resourceType: 'Aurora' };
const EVENT = {
  id: 'ev-7',
  'detail-type': 'Restore Job State Change',
  source: 'aws.backup',
  detail: {
    restoreJobId: 'job-7',
    status: 'COMPLETED',
    resourceType: 'Aurora',
    createdResourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:ledger-r',
  },
};
const at = new Date('2026-11-28T10:00:00Z');
const letterOf = (failure: 'make-ready-failed' | 'restore-validation-failed') =>
  buildDeadLetter({
    failure,
    error: new Error('not ready'),
    trigger: { type: 'restore-job-event', id: 'job-7', attempt: 1 },
    original:
      failure === 'make-ready-failed'
        ? { trigger: 'eventbridge', event: EVENT }
        : { trigger: 'sqs', body: '{"RecoveryPointArn":"x","Metadata":{}}' },
    now: at,
    restoreJob: JOB,
  });

afterEach(restoreAws);

describe('a make-ready-failed letter', () => {
  it('has an id of its own, apart from the validation letter of the same job', () => {
    const ready = letterOf('make-ready-failed');
    expect(ready.failure).toBe('make-ready-failed');
    expect(ready.deadLetterId).toMatch(/^[0-9a-f]{32}$/);
    expect(ready.deadLetterId).not.toBe(letterOf('restore-validation-failed').deadLetterId);
  });

  it('redriven to the request queue, starts no restore however often it comes back', async () => {
    const mocks = mockAws();
    mocks.backup.on(StartRestoreJobCommand).resolves({ RestoreJobId: 'job-second-restore' });
    const handler = createHandler(mocks.deps);
    const letter = JSON.stringify(letterOf('make-ready-failed'));
    for (let redrive = 1; redrive <= 2; redrive++)
      await handler({ Records: [sqsRecord(letter, `m-${redrive}`)] }, context);
    expect(mocks.backup.commandCalls(StartRestoreJobCommand)).toHaveLength(0);
  });

  it('is left in the dead-letter queue by the CLI redrive, with what to do instead', async () => {
    const sqs = mockClient(SQSClient);
    const body = JSON.stringify(letterOf('make-ready-failed'));
    const info = describeLetter('m-1', body, {}, at);
    expect(info).toMatchObject({ failure: 'make-ready-failed', restoreJobId: 'job-7' });
    const result = await moveOne(new SQSClient({ region: 'eu-west-1' }), 'from', 'to', {
      info,
      body,
      receiptHandle: 'r',
    });
    expect(result).toMatchObject({ result: 'not-moved', failure: 'make-ready-failed' });
    expect(result.error).toMatch(/restore job job-7 succeeded .*invoke the makeReady function/);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    sqs.restore();
  });
});
