/**
 * A drill whose job started but whose link could not be written (the table refusing the link put
 * through every receive) is acknowledged as "started" and logged, with nothing recorded that it is
 * a drill. From then on sortActive counts it as a RECOVERY (no link = not a drill): an alarm on the
 * same resource, once LINK_GRACE_MS has passed, is skipped (RestoreSkippedError) while the drill
 * runs. Rule: a real recovery always beats a drill.
 */
import type { DeadLetter } from '../../src/letters/dead-letters';
import { alarmEvent, pipeline, stopTables, VOLUME_ARN } from '../helpers/queue-pipeline';

afterEach(stopTables);

test('an alarm is not held back by a drill whose link was lost', async () => {
  const p = await pipeline();
  // Link puts (items with a fingerprint) are refused while the drill is sent; nothing else is.
  const send = p.ddb.send.bind(p.ddb);
  let refuseLinks = true;
  (p.ddb as unknown as { send: unknown }).send = async (command: {
    constructor: { name: string };
    input: { Item?: Record<string, unknown> };
  }) => {
    if (refuseLinks && command.constructor.name === 'PutItemCommand' && command.input.Item?.fingerprint)
      throw Object.assign(new Error('injected'), {
        name: 'InternalServerError',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
      });
    return send(command as never);
  };
  await p.send(JSON.stringify({ ResourceArn: VOLUME_ARN(7), Drill: { DeleteAfterHours: 4 } }));
  refuseLinks = false;
  const drillJobs = p.backup.jobs.filter((j) => j.resourceArn === VOLUME_ARN(7));
  expect(drillJobs).toHaveLength(1); // the drill did start
  expect(p.letters).toStrictEqual([]); // and was acknowledged (no letter: it runs)

  // 20 minutes later an alarm fires on the same volume.
  const later = new Date(Date.parse('2026-11-26T12:20:00.000Z'));
  (p.deps as unknown as { now: () => Date }).now = () => later;
  await p.alarm(alarmEvent('restore-volume-7', 7));
  const skipped = p.letters.filter((l: DeadLetter) => l.error.name === 'RestoreSkippedError');
  expect(skipped.map((l) => l.reason)).toStrictEqual([]);
  expect(p.backup.jobs.filter((j) => j.resourceArn === VOLUME_ARN(7))).toHaveLength(2);
});

test('a drill whose link and drill record both fail is dead-lettered, never acknowledged as a recovery', async () => {
  const p = await pipeline();
  const send = p.ddb.send.bind(p.ddb);
  (p.ddb as unknown as { send: unknown }).send = async (command: {
    constructor: { name: string };
    input: { Item?: { fingerprint?: unknown; restoreJobId?: { S?: string } } };
  }) => {
    const item = command.input.Item;
    if (
      command.constructor.name === 'PutItemCommand' &&
      (item?.fingerprint !== undefined || item?.restoreJobId?.S?.endsWith('#unlinked-drill'))
    )
      throw Object.assign(new Error('injected'), {
        name: 'InternalServerError',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
      });
    return send(command as never);
  };
  await p.send(JSON.stringify({ ResourceArn: VOLUME_ARN(8), Drill: { DeleteAfterHours: 4 } }));
  expect(p.backup.jobs.filter((j) => j.resourceArn === VOLUME_ARN(8))).toHaveLength(1);
  expect(p.letters.map((l: DeadLetter) => l.reason)).toStrictEqual([
    expect.stringMatching(
      /^Drill restore job \S+ started, but neither its link .* nor a record that it is a drill/,
    ),
  ]);
});
