/**
 * An alarm state change that arrives by a path anyone with sqs:SendMessage can use (an on-failure
 * record or a dead letter on the request queue) is not believed: it is refused with a letter and
 * starts nothing. The same alarm from the EventBridge rule restores at alarm priority.
 */

import { currentPriority } from '../../src/runner/priority';
import { alarmEvent, onFailureRecord, pipeline, stopTables, VOLUME_ARN } from '../helpers/queue-pipeline';

afterEach(stopTables);

const deadLetter = (event: unknown) =>
  JSON.stringify({
    kind: 'restore-dead-letter',
    failure: 'rejected',
    deadLetterId: 'a'.repeat(32),
    original: { trigger: 'eventbridge', event },
  });

describe('an opted-in alarm forged through the request queue', () => {
  it.each([
    ['an on-failure record', onFailureRecord],
    ['a dead letter', deadLetter],
  ])('in %s: refused with a letter that says what to do, nothing started', async (_name, wrap) => {
    const p = await pipeline();
    await p.send(wrap(alarmEvent('restore-volume-1', 1)));
    expect(p.backup.jobs).toStrictEqual([]);
    expect(p.letters.map((l) => [l.failure, l.reason])).toStrictEqual([
      ['rejected', expect.stringContaining('believed only from the EventBridge rule')],
    ]);
    expect(p.letters[0]?.reason).toContain('"ResourceArn"');
    expect(p.letters[0]?.original).toStrictEqual({
      trigger: 'eventbridge',
      event: alarmEvent('restore-volume-1', 1),
    });
  });

  it('from the EventBridge rule: restored once, at alarm priority', async () => {
    const p = await pipeline();
    const priorities: string[] = [];
    const send = p.backup.send.bind(p.backup);
    (p.backup as unknown as { send: unknown }).send = async (command: { constructor: { name: string } }) => {
      if (command.constructor.name === 'StartRestoreJobCommand') priorities.push(currentPriority());
      return send(command as never);
    };
    await p.alarm(alarmEvent('restore-volume-1', 1));
    expect(p.backup.jobs.map((j) => j.resourceArn)).toStrictEqual([VOLUME_ARN(1)]);
    expect(priorities).toStrictEqual(['alarm']);
    expect(p.letters).toStrictEqual([]);
  });
});
