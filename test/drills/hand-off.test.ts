/**
 * The tracker hands a drill over at COMPLETED (and only a drill, never an alarm restore), records
 * the completion time on the outcome; the drill schedule's parameter is checked at packaging time.
 */

import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createHandler, type RestoreJobStateChange } from '../../handlers/track-restore-job';
import type { OriginalRequest } from '../../src/arrival/original';
import type { DrillHandOff } from '../../src/outcome/job-event';
import { linkItem } from '../../src/outcome/job-link';
import { context, loadEvent } from '../helpers/fixtures';
import { mockAws, restoreAws } from '../helpers/mocks';

// A CommonJS file of the deployment, loaded as it is.
const schedule: any = require('../../deploy/drill-schedule.js');

const completed = loadEvent<RestoreJobStateChange>('restore-job-completed.json');
const JOB = (completed.detail as { restoreJobId: string }).restoreJobId;

function setup(original: OriginalRequest) {
  const { ddb, deps } = mockAws();
  // The link as the pipeline writes it for a started job.
  const item = linkItem(
    {
      restoreJobId: JOB,
      original,
      trigger: { type: 'sqs', id: 'm', attempt: 1 },
      redriveCount: 0,
      recoveryPointArn: 'p',
      resourceType: 'EBS',
      startedAt: '2026-11-26T10:15:00.000Z',
      fingerprint: 'f',
    },
    new Date('2026-11-26T10:15:00.000Z'),
  );
  ddb.on(GetItemCommand, { Key: { restoreJobId: { S: JOB } } }).resolves({ Item: item });
  ddb.on(GetItemCommand, { Key: { restoreJobId: { S: `${JOB}#outcome` } } }).resolves({});
  const handed: DrillHandOff[] = [];
  const withHandOff = { ...deps, drillHandOff: async (job: DrillHandOff) => void handed.push(job) };
  return { ddb, handed, handler: createHandler(withHandOff) };
}

afterEach(restoreAws);

describe('the tracker at COMPLETED', () => {
  it('hands a drill over with its resource, completion and DeleteAfterHours, and keeps completedAt', async () => {
    const body = JSON.stringify({ RecoveryPointArn: 'p', Metadata: {}, Drill: { DeleteAfterHours: 3 } });
    const { ddb, handed, handler } = setup({ trigger: 'sqs', body });
    await expect(handler(completed, context)).resolves.toBe('completed');
    expect(handed).toStrictEqual([
      {
        restoreJobId: JOB,
        resourceType: completed.detail.resourceType,
        createdResourceArn: completed.detail.createdResourceArn,
        completedAt: completed.detail.completionDate,
        spec: { deleteAfterHours: 3 },
      },
    ]);
    const outcome = ddb
      .commandCalls(PutItemCommand)
      .find((c) => c.args[0].input.Item?.outcome?.S === 'COMPLETED');
    expect(outcome?.args[0].input.Item?.completedAt).toStrictEqual({ S: completed.detail.completionDate });
  });

  it('hands over nothing for a plain request or an alarm restore', async () => {
    for (const original of [
      { trigger: 'sqs', body: JSON.stringify({ RecoveryPointArn: 'p', Metadata: {} }) },
      {
        trigger: 'eventbridge',
        event: { source: 'aws.cloudwatch', detail: { Drill: { DeleteAfterHours: 1 } } },
      },
    ] satisfies OriginalRequest[]) {
      const { handed, handler } = setup(original);
      await expect(handler(completed, context)).resolves.toBe('completed');
      expect(handed).toStrictEqual([]);
      restoreAws();
    }
  });
});

describe('drillSchedule', () => {
  it('refuses a bad entry, listing every problem', () => {
    expect(() =>
      schedule.parseDrillSchedule(
        JSON.stringify([{ resourceArn: 'x', rate: 'weekly', deleteAfterHours: 200, extra: 1 }]),
      ),
    ).toThrow(/unknown field extra[\s\S]*resourceArn[\s\S]*rate[\s\S]*deleteAfterHours/);
    expect(() => schedule.parseDrillSchedule('{')).toThrow(/not JSON/);
    expect(schedule.parseDrillSchedule('')).toStrictEqual([]);
  });
});
