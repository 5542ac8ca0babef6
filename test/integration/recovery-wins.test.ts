/**
 * A real recovery always wins, and never starts twice (unit, no sockets: the job table and AWS
 * Backup are in-process fakes): an alarm for a resource whose only active restore is a drill
 * proceeds and the drill's link is left as it is; a recovery by resource asks nothing of the drills
 * running; an alarm held back by another recovery is
 * dead-lettered with the reason, never only logged; and alarms worked on at once
 * start one restore of a resource when the job table is down or loses half its PutItem answers.
 */

import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { FakeJob } from '../helpers/fake-aws';
import { alarmEvent, pipeline, stopTables, TABLE, VOLUME_ARN } from '../helpers/queue-pipeline';

afterEach(stopTables);

/** The EBS alarm sample, renamed `name`, guarding volume `n` (delivered by the alarm rule). */
const alarm = (name: string, n: number) => alarmEvent(name, n);

/** A restore job of the volume, as if started by another request, with its link. */
async function running(p: Awaited<ReturnType<typeof pipeline>>, n: number, drill: boolean): Promise<FakeJob> {
  const request = {
    ResourceArn: VOLUME_ARN(n),
    IdempotencyToken: `first-${n}`,
    ...(drill ? { Drill: { DeleteAfterHours: 4 } } : {}),
  };
  await p.send(JSON.stringify(request));
  const job = p.backup.jobs.find((j) => j.resourceArn === VOLUME_ARN(n));
  if (job === undefined) throw new Error(`no job: ${JSON.stringify(p.letters)}`);
  return job;
}

const jobsOf = (p: Awaited<ReturnType<typeof pipeline>>, n: number) =>
  p.backup.jobs.filter((j) => j.resourceArn === VOLUME_ARN(n));

describe('a recovery pre-empts a drill', () => {
  it('an alarm for a resource whose only active restore is a drill starts its recovery, and the drill link is left as it is', async () => {
    const p = await pipeline();
    const drill = await running(p, 1, true);
    await p.alarm(alarm('restore-volume-1', 1));
    const jobs = jobsOf(p, 1);
    expect(jobs.map((j) => j.RestoreJobId)).toStrictEqual([drill.RestoreJobId, expect.any(String)]);
    expect(p.letters).toStrictEqual([]);
    const link = (await p.ddb.send(
      new GetItemCommand({ TableName: TABLE, Key: { restoreJobId: { S: drill.RestoreJobId } } }),
    )) as { Item?: Record<string, unknown> };
    // Nothing reads a drill's pre-emption: nothing writes it.
    expect(link.Item?.supersededBy).toBeUndefined();
  });

  it('a recovery by resource while a drill runs starts without listing the active restores or touching the drill link', async () => {
    const p = await pipeline();
    const drill = await running(p, 5, true);
    const backupCalls: string[] = [];
    const send = p.backup.send.bind(p.backup);
    p.backup.send = (async (command: Parameters<typeof send>[0]) => {
      backupCalls.push(command.constructor.name);
      return send(command);
    }) as typeof p.backup.send;
    p.ddb.calls.length = 0;
    await p.send(JSON.stringify({ ResourceArn: VOLUME_ARN(5), IdempotencyToken: 'real-5' }));
    expect(jobsOf(p, 5).map((j) => j.RestoreJobId)).toStrictEqual([drill.RestoreJobId, expect.any(String)]);
    expect(p.letters).toStrictEqual([]);
    expect(backupCalls).not.toContain('ListRestoreJobsByProtectedResourceCommand');
    expect(p.ddb.calls).not.toContain('UpdateItem');
  });

  it('an alarm held back by another recovery is dead-lettered with the reason, never only logged', async () => {
    const p = await pipeline();
    const first = await running(p, 2, false);
    await p.alarm(alarm('restore-volume-2', 2));
    expect(jobsOf(p, 2)).toHaveLength(1);
    expect(p.letters.map((l) => [l.failure, l.error.name, l.reason])).toStrictEqual([
      ['rejected', 'RestoreSkippedError', expect.stringContaining(`restore job ${first.RestoreJobId}`)],
    ]);
  });

  it('the same alarm delivered again after its restore started is not skipped: its token gives its job back', async () => {
    const p = await pipeline();
    await p.alarm(alarm('restore-volume-3', 3));
    await p.alarm(alarm('restore-volume-3', 3));
    expect(jobsOf(p, 3)).toHaveLength(1);
    expect(p.letters).toStrictEqual([]);
  });
});

describe('two alarms of one resource worked on at once start one restore', () => {
  /** Every alarm was started, or has a letter saying why not. */
  function accounted(p: Awaited<ReturnType<typeof pipeline>>, alarms: number, started: number) {
    const skipped = p.letters.filter((l) => l.error.name === 'RestoreSkippedError').length;
    const exhausted = p.unsent.length;
    expect(
      p.letters.filter(
        (l) => !['RestoreSkippedError'].includes(l.error.name) && l.failure !== 'retries-exhausted',
      ),
    ).toStrictEqual([]);
    expect(started + skipped + exhausted).toBeGreaterThanOrEqual(alarms);
  }

  it('with the job table down: nothing starts, both are retried and handed to the on-failure destination', async () => {
    const p = await pipeline({ down: true });
    await Promise.all([p.alarm(alarm('restore-volume-a', 4)), p.alarm(alarm('restore-volume-b', 4))]);
    expect(jobsOf(p, 4)).toHaveLength(0);
    expect(p.letters).toStrictEqual([]);
    expect(p.unsent).toHaveLength(2); // Lambda's on-failure destination takes each
  });

  it('with half the PutItem answers lost (the write done, an error seen): one restore per resource, every alarm accounted for', async () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const p = await pipeline({ losePutAnswer: () => random() < 0.5 });
    const resources = [10, 11, 12, 13, 14, 15];
    await Promise.all(
      resources.flatMap((n) => [p.alarm(alarm(`restore-a-${n}`, n)), p.alarm(alarm(`restore-b-${n}`, n))]),
    );
    for (const n of resources) expect(jobsOf(p, n).length).toBeLessThanOrEqual(1);
    const started = resources.filter((n) => jobsOf(p, n).length === 1).length;
    accounted(p, resources.length * 2, started);
  });
});
