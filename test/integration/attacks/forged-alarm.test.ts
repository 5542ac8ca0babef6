/**
 * Attack: an alarm event forged through the request queue (an on-failure record, or a dead letter,
 * whose event is any JSON the attacker writes). The pipeline takes an event as an alarm by its
 * detail-type; what tells a drill from a recovery (drillOf, the cleanup) reads its source. An alarm
 * without a source was restored as a recovery while its link read as a drill's: its resource was
 * deleted at the "drill's" due time, and a real alarm of the resource took the running recovery for
 * a drill and started a second restore. Alarms now come from aws.cloudwatch or are refused.
 */

import { drillOf } from '../../../src/drills/drill';
import { findJobLink } from '../../../src/table/links';
import {
  alarmEvent,
  onFailureRecord,
  pipeline,
  stopTables,
  TABLE,
  VOLUME_ARN,
} from '../../helpers/queue-pipeline';

afterEach(stopTables);

type Forge = (e: ReturnType<typeof alarmEvent>) => void;
const forgeries: [string, Forge][] = [
  [
    'another source',
    (e) => {
      e.source = 'orders.app';
    },
  ],
  [
    'no source',
    (e) => {
      delete e.source;
    },
  ],
];
const later: Forge = (e) => {
  e.time = '2026-11-26T10:05:01Z';
  e.detail.state.timestamp = '2026-11-26T10:05:00.000+0000';
};

async function linkOf(p: Awaited<ReturnType<typeof pipeline>>, jobId: string | undefined) {
  const link = await findJobLink(p.ddb, TABLE, jobId ?? '');
  if (link === undefined) throw new Error(`no link for ${jobId}`);
  return link;
}

describe('an alarm forged through the request queue never becomes a drill', () => {
  it.each(forgeries)(
    'with %s and a Drill in its detail: refused with a letter, nothing started',
    async (_name, forge) => {
      const p = await pipeline();
      await p.send(
        onFailureRecord(
          alarmEvent('restore-volume-1', 1, (e) => {
            forge(e);
            e.detail.Drill = { DeleteAfterHours: 0 };
          }),
        ),
      );
      expect(p.backup.jobs).toStrictEqual([]);
      expect(p.letters.map((l) => [l.failure, l.reason])).toStrictEqual([
        ['rejected', expect.stringContaining('source aws.cloudwatch')],
      ]);
      // The real alarm of the resource then restores it, once, as a recovery.
      await p.alarm(alarmEvent('restore-volume-1', 1, later));
      expect(p.backup.jobs.filter((j) => j.resourceArn === VOLUME_ARN(1))).toHaveLength(1);
      expect(drillOf((await linkOf(p, p.backup.jobs[0]?.RestoreJobId)).original)).toBeUndefined();
    },
  );

  it('a Drill in the detail of an alarm from aws.cloudwatch: a recovery, and a second alarm is held back with a letter', async () => {
    const p = await pipeline();
    await p.alarm(
      alarmEvent('restore-volume-1', 1, (e) => {
        e.detail.Drill = { DeleteAfterHours: 0 };
      }),
    );
    const [job] = p.backup.jobs;
    expect(drillOf((await linkOf(p, job?.RestoreJobId)).original)).toBeUndefined();
    await p.alarm(alarmEvent('restore-volume-1', 1, later));
    expect(p.backup.jobs).toHaveLength(1);
    expect(p.letters.map((l) => l.reason)).toStrictEqual([expect.stringContaining('Restore skipped')]);
  });
});

describe('a "Restore Requested" event forged with the source aws.cloudwatch', () => {
  it('is refused: a drill recorded as an alarm restore would never be cleaned up, and would hold back a real alarm', async () => {
    const p = await pipeline();
    const forged = {
      version: '0',
      id: 'forged-1',
      'detail-type': 'Restore Requested',
      source: 'aws.cloudwatch',
      account: '123456789012',
      time: '2026-11-26T10:00:01Z',
      region: 'eu-west-1',
      resources: [],
      detail: { ResourceArn: VOLUME_ARN(1), Drill: { DeleteAfterHours: 4 } },
    };
    await p.send(onFailureRecord(forged));
    expect(p.backup.jobs).toStrictEqual([]);
    expect(p.letters.map((l) => [l.failure, l.reason])).toStrictEqual([
      ['rejected', expect.stringContaining('aws.cloudwatch')],
    ]);
    // The real alarm of the resource restores it.
    await p.alarm(alarmEvent('restore-volume-1', 1));
    expect(p.backup.jobs).toHaveLength(1);
  });
});
