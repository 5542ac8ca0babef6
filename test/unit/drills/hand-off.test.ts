/**
 * The tracker hands a drill over at COMPLETED (and only a drill, never an alarm restore) by writing
 * its drill record, untagged, with DynamoDB alone (the cleanup tags the resource), and records the
 * completion time on the outcome; the drill schedule's parameter is checked at packaging time.
 */

import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { createHandler, type RestoreJobStateChange } from '../../../handlers/track-restore-job';
import type { OriginalRequest } from '../../../src/arrival/original';
import { linkItem } from '../../../src/outcome/job-link';
import { context, loadEvent } from '../../helpers/fixtures';
import { mockAws, restoreAws } from '../../helpers/mocks';

// A CommonJS file of the deployment, loaded as it is.
const schedule: any = require('../../../deploy/drill-schedule.js');

const completed = loadEvent<RestoreJobStateChange>('restore-job-completed.json');
const JOB = (completed.detail as { restoreJobId: string }).restoreJobId;

function setup(original: OriginalRequest) {
  const { ddb, deps, backup, sqs } = mockAws();
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
  /** The drill records the tracker wrote (PutItem of `<jobId>#drill`). */
  const drillPuts = () =>
    ddb
      .commandCalls(PutItemCommand)
      .map((c) => c.args[0].input)
      .filter((input) => input.Item?.restoreJobId?.S === `${JOB}#drill`);
  return { ddb, backup, sqs, deps, drillPuts, handler: createHandler(deps) };
}

afterEach(restoreAws);

describe('the tracker at COMPLETED', () => {
  it('writes the drill record, untagged, with the resource AWS reported and its due time, and keeps completedAt', async () => {
    const body = JSON.stringify({ RecoveryPointArn: 'p', Metadata: {}, Drill: { DeleteAfterHours: 3 } });
    const { ddb, deps, drillPuts, handler } = setup({ trigger: 'sqs', body });
    await expect(handler(completed, context)).resolves.toBe('completed');
    expect(drillPuts()).toStrictEqual([
      {
        TableName: deps.config.restoreJobsTable,
        Item: {
          restoreJobId: { S: `${JOB}#drill` },
          jobId: { S: JOB },
          resourceType: { S: 'EBS' },
          createdResourceArn: { S: completed.detail.createdResourceArn },
          deleteAfterHours: { N: '3' },
          completedAt: { S: completed.detail.completionDate },
          // completion (10:25) + 3 hours
          dueAt: { S: '2026-11-26T13:25:00.000Z' },
          drillState: { S: 'untagged' },
          attempts: { N: '0' },
          expiresAt: { N: String(Math.floor(deps.now().getTime() / 1000) + 30 * 86_400) },
        },
        ConditionExpression: 'attribute_not_exists(restoreJobId)',
      },
    ]);
    const outcome = ddb
      .commandCalls(PutItemCommand)
      .find((c) => c.args[0].input.Item?.outcome?.S === 'COMPLETED');
    expect(outcome?.args[0].input.Item?.completedAt).toStrictEqual({ S: completed.detail.completionDate });
  });

  it('writes a 0-hour drill with a due time too: completion plus the bounded wait for its verdict', async () => {
    const body = JSON.stringify({ RecoveryPointArn: 'p', Metadata: {}, Drill: { DeleteAfterHours: 0 } });
    const { drillPuts, handler } = setup({ trigger: 'sqs', body });
    await expect(handler(completed, context)).resolves.toBe('completed');
    expect(drillPuts()).toHaveLength(1);
    // completion (10:25) + 24 hours, whatever the validation does; its verdict may bring it forward.
    expect(drillPuts()[0]?.Item?.dueAt).toStrictEqual({ S: '2026-11-27T10:25:00.000Z' });
    expect(drillPuts()[0]?.Item?.deleteAfterHours).toStrictEqual({ N: '0' });
  });

  it('a drill AWS names no created resource for is dead-lettered with the reason, not only logged', async () => {
    const body = JSON.stringify({ RecoveryPointArn: 'p', Metadata: {}, Drill: { DeleteAfterHours: 1 } });
    const { drillPuts, handler, sqs } = setup({ trigger: 'sqs', body });
    const event = structuredClone(completed);
    delete (event.detail as { createdResourceArn?: string }).createdResourceArn;
    await expect(handler(event, context)).resolves.toBe('completed');
    expect(drillPuts()).toStrictEqual([]);
    const letters = sqs
      .commandCalls(SendMessageCommand)
      .map((c) => JSON.parse(c.args[0].input.MessageBody ?? '{}') as { failure?: string; reason?: string });
    expect(letters).toMatchObject([
      { failure: 'drill-cleanup-failed', reason: expect.stringMatching(/names no created resource/) },
    ]);
  });

  it('hands over nothing for a plain request or an alarm restore', async () => {
    for (const original of [
      { trigger: 'sqs', body: JSON.stringify({ RecoveryPointArn: 'p', Metadata: {} }) },
      {
        trigger: 'eventbridge',
        event: { source: 'aws.cloudwatch', detail: { Drill: { DeleteAfterHours: 1 } } },
      },
    ] satisfies OriginalRequest[]) {
      const { drillPuts, handler } = setup(original);
      await expect(handler(completed, context)).resolves.toBe('completed');
      expect(drillPuts()).toStrictEqual([]);
      restoreAws();
    }
  });

  it('a repeated event finds the record written and leaves it; a permanent failure is logged, a retryable one retries the event', async () => {
    const body = JSON.stringify({ RecoveryPointArn: 'p', Metadata: {}, Drill: { DeleteAfterHours: 1 } });
    const isDrill = { Item: { restoreJobId: { S: `${JOB}#drill` } } };
    // Repeated: the record exists (the condition fails), the job still completes.
    let s = setup({ trigger: 'sqs', body });
    s.ddb
      .on(PutItemCommand, isDrill, false)
      .rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    await expect(s.handler(completed, context)).resolves.toBe('completed');
    restoreAws();
    // Permanent: never deleted by the pipeline (no record): logged and dead-lettered, the job still completes.
    s = setup({ trigger: 'sqs', body });
    s.ddb
      .on(PutItemCommand, isDrill, false)
      .rejects(Object.assign(new Error('no'), { name: 'AccessDeniedException', $fault: 'client' }));
    await expect(s.handler(completed, context)).resolves.toBe('completed');
    expect(s.deps.lines.some((l) => l.includes('Drill not handed to the cleanup'))).toBe(true);
    expect(
      s.sqs
        .commandCalls(SendMessageCommand)
        .map((c) => JSON.parse(c.args[0].input.MessageBody ?? '{}').failure),
    ).toStrictEqual(['drill-cleanup-failed']);
    restoreAws();
    // Retryable (after its retries): the event fails, so Lambda delivers it again.
    s = setup({ trigger: 'sqs', body });
    s.ddb
      .on(PutItemCommand, isDrill, false)
      .rejects(Object.assign(new Error('busy'), { name: 'InternalServerError', $fault: 'server' }));
    await expect(s.handler(completed, context)).rejects.toThrow();
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
