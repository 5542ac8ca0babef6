/**
 * Attack: fold a recovery into a drill (so the drill's cleanup deletes the recovery), or start two
 * restores for one request. Tried with the drill's own token on a recovery, a forged failed-job
 * letter whose copy of the request disagrees with the table's, a drill and a recovery of one resource
 * in one batch, and duplicate deliveries while the table loses half its answers.
 */

import { createHash } from 'node:crypto';
import type { RecoveryPointRequest } from '../../../src/checks/checked-request';
import { parseRestoreRequest } from '../../../src/checks/request';
import { drillOf } from '../../../src/drills/drill';
import { buildStartRestoreJobInput } from '../../../src/plan/start-input';
import { runEvent } from '../../../src/runner/run-item';
import { findJobLink } from '../../../src/table/links';
import { markJobOutcome } from '../../../src/table/outcomes';
import { context, ROLE, sqsRecord, testConfig } from '../../helpers/fixtures';
import {
  alarmEvent,
  onFailureRecord,
  pipeline,
  stopTables,
  TABLE,
  VOLUME_ARN,
} from '../../helpers/queue-pipeline';

afterEach(stopTables);

const POINT = 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718';
const DRILL = { DeleteAfterHours: 4 };
const recovery = {
  RecoveryPointArn: POINT,
  ResourceType: 'EBS',
  BackupVaultName: 'Default',
  Metadata: { availabilityZone: 'eu-west-1a' },
};
const drillBody = { ...recovery, IdempotencyToken: 'ticket-4711', Drill: DRILL };

async function isDrillJob(p: Awaited<ReturnType<typeof pipeline>>, jobId: string | undefined) {
  const link = await findJobLink(p.ddb, TABLE, jobId ?? '');
  if (link === undefined) throw new Error(`no link for ${jobId}`);
  return drillOf(link.original) !== undefined;
}

/** A dead letter as the pipeline writes one, with the attacker's claims. */
const letter = (original: object, failure: string, restoreJobId: string, salt = '') =>
  JSON.stringify({
    kind: 'restore-dead-letter',
    failure,
    deadLetterId: createHash('sha256').update(`${restoreJobId}${salt}`).digest('hex').slice(0, 32),
    reason: 'forged',
    original: { trigger: 'sqs', body: JSON.stringify(original) },
    restoreJob: { restoreJobId, status: 'FAILED' },
    redriveCount: 0,
  });

describe('a recovery is never folded into a drill', () => {
  it("a recovery sent with the drill's own (derived) token gets a letter, never the drill's job as its own", async () => {
    const p = await pipeline();
    await p.send(JSON.stringify(drillBody));
    const drillToken = buildStartRestoreJobInput(
      parseRestoreRequest(
        drillBody,
        testConfig({ ALLOWED_BACKUP_VAULTS: 'Default' }),
      ) as RecoveryPointRequest,
      { restoreRoleArn: ROLE },
    ).IdempotencyToken;
    expect(p.backup.jobs.map((j) => j.token)).toStrictEqual([drillToken]);
    await p.send(JSON.stringify({ ...recovery, IdempotencyToken: drillToken }));
    // AWS answers with the drill's job for the reused token: the link's fingerprint tells them apart.
    expect(p.backup.jobs).toHaveLength(1);
    expect(p.letters.map((l) => l.reason)).toStrictEqual([
      expect.stringContaining('already belongs to restore job job-1'),
    ]);
    expect(p.deps.lines.join('\n')).not.toContain('already linked');
  });

  it("a forged failed-job letter restores the table's request, not the letter's: a failed recovery is retried as a recovery", async () => {
    const p = await pipeline();
    const { IdempotencyToken: _t, Drill: _d, ...real } = drillBody;
    await p.send(JSON.stringify({ ...real, IdempotencyToken: 'ticket-4712' }));
    const [first] = p.backup.jobs;
    await markJobOutcome(p.ddb, TABLE, first?.RestoreJobId ?? '', 'FAILED');
    // The letter claims the failed job was a drill (the attacker's copy), to get its retry deleted.
    await p.send(letter(drillBody, 'restore-job-failed', first?.RestoreJobId ?? ''));
    expect(p.backup.jobs).toHaveLength(2);
    expect(await isDrillJob(p, p.backup.jobs[1]?.RestoreJobId)).toBe(false);
  });

  it('a forged failed-job letter naming a job that did not fail starts nothing', async () => {
    const p = await pipeline();
    await p.send(JSON.stringify(drillBody));
    await p.send(letter({ ...recovery }, 'restore-job-failed', 'job-1'));
    expect(p.backup.jobs).toHaveLength(1);
    expect(p.letters.map((l) => l.reason)).toStrictEqual([
      expect.stringContaining('holds no record of that failure'),
    ]);
  });

  it('a drill-cleanup letter relabelled as rejected restores only what its body asks for: a drill stays a drill', async () => {
    const p = await pipeline();
    await p.send(letter(drillBody, 'rejected', 'job-9'));
    expect(p.backup.jobs).toHaveLength(1);
    expect(await isDrillJob(p, p.backup.jobs[0]?.RestoreJobId)).toBe(true);
  });
});

describe('a recovery pre-empts a drill whose link is on its way', () => {
  it('an alarm while a drill’s job runs unlinked (its link write failed, to be retried): retried, then the recovery starts', async () => {
    const p = await pipeline();
    const once = async (body: string, id: string, receive: number) => {
      const out = (await p.handler({ Records: [sqsRecord(body, id, receive)] }, context)) as {
        batchItemFailures: unknown[];
      };
      return out.batchItemFailures.length;
    };
    const drill = JSON.stringify({ ResourceArn: VOLUME_ARN(5), Drill: DRILL });
    const alarm = alarmEvent('restore-volume-5', 5);
    p.ddb.faults.down = true;
    expect(await once(drill, 'm-drill', 1)).toBe(1);
    p.ddb.faults.down = false;
    expect(p.backup.jobs).toHaveLength(1);
    // The drill's job runs, its link not written yet: the alarm waits for it, with no letter.
    await expect(runEvent(p.deps, alarm as never)).rejects.toThrow(/not linked yet/);
    expect(p.letters).toStrictEqual([]);
    expect(await once(drill, 'm-drill', 2)).toBe(0);
    await runEvent(p.deps, alarm as never);
    expect(p.backup.jobs).toHaveLength(2);
    expect(p.letters).toStrictEqual([]);
    expect(await isDrillJob(p, p.backup.jobs[0]?.RestoreJobId)).toBe(true);
    expect(await isDrillJob(p, p.backup.jobs[1]?.RestoreJobId)).toBe(false);
  });
});

describe('one request, one restore; a drill and a recovery of one resource, two', () => {
  it('one drill sent both as an SQS body and as a "Restore Requested" event: one job', async () => {
    const p = await pipeline();
    const event = {
      version: '0',
      id: 'e-1',
      'detail-type': 'Restore Requested',
      source: 'orders.ops',
      detail: drillBody,
    };
    await p.send(JSON.stringify(drillBody), onFailureRecord(event));
    expect(p.backup.jobs).toHaveLength(1);
    expect(p.letters).toStrictEqual([]);
  });

  it('a failed job named by letters under two dead-letter ids, at once: one retry', async () => {
    const p = await pipeline();
    await p.send(JSON.stringify(drillBody));
    await markJobOutcome(p.ddb, TABLE, 'job-1', 'FAILED');
    await p.send(
      letter(drillBody, 'restore-job-failed', 'job-1', 'a'),
      letter(drillBody, 'restore-job-failed', 'job-1', 'b'),
    );
    expect(p.backup.jobs).toHaveLength(2);
    expect(await isDrillJob(p, 'job-2')).toBe(true);
  });

  it.each([
    ['drill first', true],
    ['alarm first', false],
  ])(
    'a drill by resource and an alarm of that resource worked on at once (%s): the recovery starts, never held back by the drill',
    async (_n, drillFirst) => {
      const p = await pipeline();
      const drill = JSON.stringify({ ResourceArn: VOLUME_ARN(4), Drill: DRILL });
      const alarm = () => p.alarm(alarmEvent('restore-volume-4', 4));
      await Promise.all(drillFirst ? [p.send(drill), alarm()] : [alarm(), p.send(drill)]);
      expect(p.backup.jobs).toHaveLength(2);
      expect(p.letters).toStrictEqual([]);
    },
  );

  it('a drill and a recovery of one resource in one batch: each its own job, each link telling which it is', async () => {
    const p = await pipeline();
    const resource = { ResourceArn: VOLUME_ARN(1), IdempotencyToken: 'ticket-4711' };
    await p.send(JSON.stringify({ ...resource, Drill: DRILL }), JSON.stringify(resource));
    expect(p.backup.jobs).toHaveLength(2);
    const drills = await Promise.all(p.backup.jobs.map((j) => isDrillJob(p, j.RestoreJobId)));
    expect(drills.sort()).toStrictEqual([false, true]);
  });

  it.each([
    ['by recovery point', drillBody],
    ['by resource', { ResourceArn: VOLUME_ARN(2), Drill: DRILL }],
    ['a recovery by resource', { ResourceArn: VOLUME_ARN(3) }],
  ])(
    '%s, delivered four times in one batch while the table loses half its answers: one job',
    async (_n, body) => {
      let n = 0;
      const p = await pipeline({ losePutAnswer: () => n++ % 2 === 0 });
      const text = JSON.stringify(body);
      await p.send(text, text, text, text);
      expect(p.backup.jobs).toHaveLength(1);
    },
  );
});
