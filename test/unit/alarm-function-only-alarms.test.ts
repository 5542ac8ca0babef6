/**
 * The alarm function restores on alarm state changes only (src/runner/dispatch.ts
 * processAlarmIncoming): its rule passes nothing else, and a restore request or a job event that
 * reaches it anyway starts nothing and is dead-lettered with where to send it.
 */

import { StartRestoreJobCommand } from '@aws-sdk/client-backup';
import { createHandler } from '../../handlers/restore-on-alarm';
import { context, loadEvent } from '../helpers/fixtures';
import { mockAws, restoreAws } from '../helpers/mocks';

afterEach(restoreAws);

describe('the alarm function', () => {
  it.each([
    ['a "Restore Requested" event', 'restore-requested.json', 'restore-request'],
    ['a restore job event', 'restore-job-completed.json', 'job-event'],
  ])('refuses %s: nothing started, one dead letter saying where to send it', async (_n, sample, kind) => {
    const { backup, deps, deadLetters } = mockAws();
    backup.on(StartRestoreJobCommand).resolves({ RestoreJobId: 'job-1' });
    const event = loadEvent<Record<string, unknown>>(sample);
    await expect(createHandler(deps)(event as never, context)).resolves.toBeUndefined();
    expect(backup.commandCalls(StartRestoreJobCommand)).toHaveLength(0);
    expect(deadLetters().map((l) => [l.failure, l.error.name, l.reason])).toStrictEqual([
      [
        'rejected',
        'InvalidRequestError',
        `restoreOnAlarm restores on CloudWatch alarm state changes only, and this is a ${kind}: send a restore request to the request queue or as a "Restore Requested" event`,
      ],
    ]);
    expect(deadLetters()[0]?.original).toStrictEqual({ trigger: 'eventbridge', event });
  });
});
