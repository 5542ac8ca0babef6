/**
 * The bad-input campaign: malformed and hostile inputs, each a named case. Every one must end in
 * the dead-letter queue with its original content and a reason a person can act on, leave the
 * other record of its batch alone, and never make the handler throw.
 */

import { gunzipSync } from 'node:zlib';
import { StartRestoreJobCommand } from '@aws-sdk/client-backup';
import { createHandler as createEventHandler } from '../handlers/restore-from-event';
import { createHandler as createQueueHandler } from '../handlers/restore-from-queue';
import { createHandler as createAlarmHandler } from '../handlers/restore-on-alarm';
import type { DeadLetter } from '../src/letters/dead-letters';
import { BODIES, ENVELOPES, GOOD, SECRET } from './helpers/bad-inputs';
import { deadLetters } from './helpers/dead-letters';
import { context, loadEvent, sqsRecord } from './helpers/fixtures';
import { mockAws, restoreAws } from './helpers/mocks';
import { localPipelines } from './helpers/pipeline';

function setup() {
  const mocks = mockAws();
  mocks.backup.on(StartRestoreJobCommand).resolves({ RestoreJobId: 'job-good' });
  return { ...mocks, letters: mocks.deadLetters };
}

afterEach(restoreAws);

function originalText(letter: DeadLetter | undefined): string | undefined {
  const original = letter?.original as { body?: string; bodyGzipBase64?: string } | undefined;
  if (original?.bodyGzipBase64 !== undefined)
    return gunzipSync(Buffer.from(original.bodyGzipBase64, 'base64')).toString();
  return original?.body;
}

describe('bad queue messages', () => {
  it('has at least 50 named cases', () => {
    expect(BODIES.length).toBeGreaterThanOrEqual(50);
    expect(new Set(BODIES.map(([name]) => name)).size).toBe(BODIES.length);
  });

  it.each(BODIES)(
    'dead-letters %s with its original and a reason, and leaves the good record alone',
    async (_name, body, reason) => {
      const { backup, deps, letters } = setup();
      const handler = createQueueHandler(deps);
      const response = await handler({ Records: [sqsRecord(body, 'bad'), sqsRecord(GOOD, 'good')] }, context);

      expect(response).toStrictEqual({ batchItemFailures: [] });
      expect(
        backup.commandCalls(StartRestoreJobCommand).map((c) => c.args[0].input.IdempotencyToken),
      ).toStrictEqual(['the-good-one']);
      const [letter, ...more] = letters();
      expect(more).toStrictEqual([]);
      expect(letter).toMatchObject({
        failure: 'rejected',
        error: { retryable: false },
        trigger: { type: 'sqs', id: 'bad' },
      });
      expect(letter?.reason).toMatch(reason);
      const redriven = body.includes('"kind":"restore-dead-letter"') ? JSON.parse(body).original.body : body;
      expect(originalText(letter)).toBe(redriven);
    },
  );
});

describe('bad events', () => {
  const restoreRequested = () => loadEvent<Record<string, any>>('restore-requested.json');
  const alarm = () => loadEvent<Record<string, any>>('alarm-rds-instance.json');
  /** The alarm, tagged to restore the billing database, with `tags` besides. */
  const taggedAlarm = (tags: Record<string, string>) => ({
    ...alarm(),
    detail: {
      ...alarm().detail,
      alarmTags: {
        'backup-restore:resource-arn': 'arn:aws:rds:eu-west-1:123456789012:db:billing-db',
        ...tags,
      },
    },
  });
  const EVENTS: [string, 'event' | 'alarm', () => Record<string, any>, RegExp][] = [
    [
      'a restore-requested event without detail',
      'event',
      () => ({ ...restoreRequested(), detail: undefined }),
      /has no detail/,
    ],
    [
      'a restore-requested event with a string detail',
      'event',
      () => ({ ...restoreRequested(), detail: 'restore' }),
      /must be a JSON object/,
    ],
    [
      'a restore-requested event without detail-type',
      'event',
      () => ({ ...restoreRequested(), 'detail-type': undefined }),
      /detail-type is "undefined"/,
    ],
    [
      'a restore-requested event with a bad detail',
      'event',
      () => ({ ...restoreRequested(), detail: { RecoveryPointArn: 'x' } }),
      /not a recovery point ARN/,
    ],
    [
      'an alarm event without detail',
      'alarm',
      () => ({ ...alarm(), detail: undefined }),
      /has no detail\.alarmName|has no detail/,
    ],
    [
      'an alarm event without a name',
      'alarm',
      () => ({ ...alarm(), detail: { ...alarm().detail, alarmName: undefined } }),
      /has no detail\.alarmName/,
    ],
    [
      'an alarm event without any timestamp',
      'alarm',
      () => {
        const e = alarm();
        delete e.detail.state.timestamp;
        delete e.time;
        return e;
      },
      /has no readable state timestamp/,
    ],
    [
      'an alarm of another account',
      'alarm',
      () => ({ ...alarm(), account: '210987654321' }),
      /account "210987654321"/,
    ],
    [
      'an alarm without metrics',
      'alarm',
      () => ({ ...alarm(), detail: { ...alarm().detail, configuration: {} } }),
      /no dimension naming a restorable resource/,
    ],
    // Hostile alarm input ends in a dead letter with a reason, never a crash.
    [
      'an alarm tag asking to look back 99999999999 hours',
      'alarm',
      () => taggedAlarm({ 'backup-restore:recovery-point': 'look-back:99999999999h' }),
      /looks back 99999999999 hours/,
    ],
    [
      'an alarm whose configuration.metrics is an object',
      'alarm',
      () => ({
        ...alarm(),
        detail: {
          ...alarm().detail,
          configuration: { metrics: { m1: alarm().detail.configuration.metrics[0] } },
        },
      }),
      /configuration\.metrics that is not a list/,
    ],
    [
      'an alarm whose dimensions are a list',
      'alarm',
      () => {
        const e = alarm();
        e.detail.configuration.metrics[0].metricStat.metric.dimensions = ['billing-db'];
        return e;
      },
      /no dimension naming a restorable resource/,
    ],
    [
      'an alarm tag margin that is not a number of seconds',
      'alarm',
      () => taggedAlarm({ 'backup-restore:margin-seconds': '-5' }),
      /margin-seconds must be a whole number of seconds/,
    ],
    [
      'an alarm of another partition',
      'alarm',
      () => ({ ...alarm(), resources: ['arn:aws-us-gov:cloudwatch:eu-west-1:123456789012:alarm:x'] }),
      /partition "aws-us-gov"/,
    ],
  ];

  it.each(EVENTS)('dead-letters %s and the invocation succeeds', async (_name, kind, make, reason) => {
    const { backup, deps, letters } = setup();
    const event = make();
    const handler = kind === 'event' ? createEventHandler(deps) : createAlarmHandler(deps);
    await expect(handler(event as never, context)).resolves.toBeUndefined();
    expect(backup.commandCalls(StartRestoreJobCommand)).toHaveLength(0);
    const [letter] = letters();
    expect(letter?.reason).toMatch(reason);
    expect(letter?.original).toStrictEqual({
      trigger: 'eventbridge',
      event: JSON.parse(JSON.stringify(event)),
    });
  });
});

describe('forged envelopes and hostile input through the request queue (local endpoint, real SDK clients)', () => {
  const logs: string[] = [];
  const start = localPipelines(() => ({
    visibilityTimeoutS: 0.5,
    maxReceiveCount: 3,
    jobEvents: { lossRate: 0, duplicateRate: 0, maxDelayMs: 0 },
    logSink: (line) => logs.push(line),
  }));
  const EBS_REQUEST = {
    RecoveryPointArn: 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718',
    ResourceType: 'EBS',
    Metadata: { availabilityZone: 'eu-west-1a' },
  };

  it.each(ENVELOPES)(
    '%s: refused or ignored with a reason, and no restore started',
    async (_name, make, becomes) => {
      const p = await start();
      await p.submit({ ...EBS_REQUEST, IdempotencyToken: 'the-completed-one' });
      await p.runUntilIdle();
      const completed = p.aws.backup.jobs[0];
      expect(completed?.Status).toBe('COMPLETED');
      logs.length = 0;

      await p.source.stop();
      const id = await p.submit(make(completed?.RestoreJobId ?? ''));
      const mate = await p.submit({ ...EBS_REQUEST, IdempotencyToken: 'the-batch-mate' });
      p.source.start();
      await p.runUntilIdle();

      // Only the batch-mate started a restore; nothing was moved raw by the queue's redrive policy.
      expect(p.aws.backup.jobs.map((j) => j.IdempotencyToken)).toStrictEqual([
        'the-completed-one',
        'the-batch-mate',
      ]);
      expect(p.deadLetters().filter((m) => m.movedFrom !== undefined)).toStrictEqual([]);
      expect(deadLetters(p).filter((l) => l.trigger.id === mate)).toStrictEqual([]);
      const own = deadLetters(p).filter((l) => l.trigger.id === id);
      if (becomes === 'ignored') {
        expect(own).toStrictEqual([]);
        // The completed job stays completed in the job table.
        const link = await p.aws.dynamodb.item('restore-jobs', {
          restoreJobId: { S: completed?.RestoreJobId },
        });
        expect(JSON.stringify(link)).not.toMatch(/FAILED|ATTACKER/);
      } else {
        expect(own).toHaveLength(1);
        expect(own[0]).toMatchObject({ failure: 'rejected', error: { retryable: false } });
        expect(own[0]?.reason).toMatch(becomes);
      }
      // The secret a body carries reaches no reason and no log line.
      for (const l of own) expect(`${l.reason} ${l.error.message}`).not.toContain(SECRET);
      for (const line of logs) {
        expect(() => JSON.parse(line)).not.toThrow();
        expect(line).not.toContain(SECRET);
      }
    },
    60_000,
  );
});
