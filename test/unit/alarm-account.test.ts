/**
 * An alarm restores only when it was raised in this deployment's account or a listed source
 * account: an alarm of another account, whose tags name a listed account's resource, starts
 * nothing and is dead-lettered with the reason.
 */

import {
  ListRecoveryPointsByResourceCommand,
  ListRestoreJobsByProtectedResourceCommand,
  StartRestoreJobCommand,
} from '@aws-sdk/client-backup';
import type { EventBridgeEvent } from 'aws-lambda';
import { createHandler } from '../../handlers/restore-on-alarm';
import { ACCOUNT, context, loadEvent, testConfig } from '../helpers/fixtures';
import { mockAws, restoreAws } from '../helpers/mocks';

type Event = EventBridgeEvent<'CloudWatch Alarm State Change', Record<string, unknown>>;
const SOURCE = '111122223333';
const FOREIGN = '999988887777';

/** The tagged alarm sample, raised in `account`, its tags naming a resource of `resourceAccount`. */
function alarmOf(account: string, resourceAccount: string, arnAccount = account): Event {
  const event = loadEvent<Event>('alarm-tagged.json');
  const tags = event.detail.alarmTags as Record<string, string>;
  return {
    ...event,
    account,
    resources: [`arn:aws:cloudwatch:eu-west-1:${arnAccount}:alarm:payments-db-tagged`],
    detail: {
      ...event.detail,
      alarmTags: {
        ...tags,
        'backup-restore:resource-arn': `arn:aws:rds:eu-west-1:${resourceAccount}:db:payments-db`,
      },
    },
  };
}

function setup() {
  const mocks = mockAws({ config: testConfig({ ALLOWED_SOURCE_ACCOUNT_IDS: SOURCE }) });
  mocks.backup.on(ListRestoreJobsByProtectedResourceCommand).resolves({ RestoreJobs: [] });
  mocks.backup.on(ListRecoveryPointsByResourceCommand).resolves({ RecoveryPoints: [] });
  return { ...mocks, handler: createHandler(mocks.deps) };
}

afterEach(restoreAws);

describe("an alarm's own account", () => {
  it.each([
    ['this account', FOREIGN, ACCOUNT],
    ['a listed source account', FOREIGN, SOURCE],
  ])(
    'an alarm of an unlisted account naming a resource of %s starts nothing and is dead-lettered',
    async (_n, account, resourceAccount) => {
      const { backup, handler, deadLetters } = setup();
      await expect(handler(alarmOf(account, resourceAccount), context)).resolves.toBeUndefined();
      expect(backup.commandCalls(StartRestoreJobCommand)).toHaveLength(0);
      expect(backup.commandCalls(ListRecoveryPointsByResourceCommand)).toHaveLength(0);
      const [letter] = deadLetters();
      expect(letter?.failure).toBe('rejected');
      expect(letter?.reason).toContain(`The alarm belongs to account "${FOREIGN}"`);
      expect(letter?.original).toStrictEqual({
        trigger: 'eventbridge',
        event: alarmOf(account, resourceAccount),
      });
    },
  );

  it("is refused when the alarm's ARN names an unlisted account, whatever the event's account says", async () => {
    const { backup, handler, deadLetters } = setup();
    await handler(alarmOf(ACCOUNT, ACCOUNT, FOREIGN), context);
    expect(backup.commandCalls(ListRecoveryPointsByResourceCommand)).toHaveLength(0);
    expect(deadLetters()[0]?.reason).toContain(FOREIGN);
  });

  it.each([
    ['this account', ACCOUNT],
    ['a listed source account', SOURCE],
  ])('an alarm of %s is not refused for its account', async (_n, account) => {
    const { backup, handler, deadLetters } = setup();
    await handler(alarmOf(account, account), context).catch(() => undefined);
    // Whatever follows (no point found, a vault to name), the alarm's account did not stop it.
    expect(deadLetters()[0]?.reason ?? '').not.toContain('The alarm belongs');
    expect(backup.calls().length + deadLetters().length).toBeGreaterThan(0);
  });
});
