/**
 * A restore by resource is planned (plan/resource-restore.ts) while act/ runs its guard and takes
 * the resource's claim (src/act/restore-resource.ts). A restore the guard skips, or a guard that
 * fails, never waits for the plan: a plan that then fails is no unhandled rejection (which would
 * end a Lambda process), and the outcome is the guard's.
 */

import { ListRestoreJobsByProtectedResourceCommand } from '@aws-sdk/client-backup';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { restoreByResource } from '../../src/act/restore-resource';
import type { ResourceRestore } from '../../src/plan/resource-restore';
import type { PlannedStart } from '../../src/plan/start-input';
import { mockAws, restoreAws } from '../helpers/mocks';

const RESOURCE = 'arn:aws:rds:eu-west-1:123456789012:db:orders';
const spec: ResourceRestore = {
  resourceArn: RESOURCE,
  backupVaultName: 'Default',
  overrides: {},
  selection: { mode: 'latest' },
  at: new Date('2026-12-01T10:00:00Z'),
  idempotencyToken: 'alarm-1',
  oneAtATime: true,
};
const incoming = { original: { trigger: 'eventbridge' as const, event: {} }, redriveCount: 0 };
const attempt = { trigger: { type: 'eventbridge' as const, id: 'event-1', attempt: 1 }, lastAttempt: false };

/** A plan that fails once the guard has answered: after a few turns of the event loop. */
function planFailingLater(): Promise<PlannedStart> {
  return new Promise((_resolve, reject) => {
    let turns = 5;
    const turn = () => (--turns === 0 ? reject(new Error('no recovery point')) : setImmediate(turn));
    setImmediate(turn);
  });
}

/** The unhandled rejections seen while `run` runs and a few turns after it. */
async function unhandledDuring(run: () => Promise<unknown>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', listener);
  try {
    await run();
    for (let i = 0; i < 20; i += 1) await new Promise((done) => setImmediate(done));
  } finally {
    process.off('unhandledRejection', listener);
  }
  return seen;
}

afterEach(restoreAws);

describe('the plan made alongside the guard', () => {
  it('a restore skipped for a running one ends skipped, and the failed plan is no unhandled rejection', async () => {
    const mocks = mockAws();
    mocks.backup.on(ListRestoreJobsByProtectedResourceCommand, { ByStatus: 'RUNNING' }).resolves({
      RestoreJobs: [{ RestoreJobId: 'job-running', CreationDate: new Date('2026-12-01T08:00:00Z') }],
    });
    mocks.backup.on(ListRestoreJobsByProtectedResourceCommand, { ByStatus: 'PENDING' }).resolves({});
    mocks.ddb.on(GetItemCommand).resolves({});
    let outcome: unknown;
    const unhandled = await unhandledDuring(async () => {
      outcome = await restoreByResource(
        mocks.deps,
        spec,
        planFailingLater(),
        incoming,
        attempt,
        mocks.deps.logger,
      );
    });
    expect(outcome).toStrictEqual({
      status: 'skipped',
      reason: 'restore job job-running of this resource is still running',
      activeRestoreJobId: 'job-running',
    });
    expect(mocks.deadLetters()).toHaveLength(1);
    expect(unhandled).toStrictEqual([]);
  });

  it("a guard that fails throws the guard's error, and the failed plan is no unhandled rejection", async () => {
    const mocks = mockAws();
    mocks.backup.on(ListRestoreJobsByProtectedResourceCommand).rejects(new Error('guard down'));
    mocks.ddb.on(GetItemCommand).resolves({});
    const unhandled = await unhandledDuring(async () => {
      await expect(
        restoreByResource(mocks.deps, spec, planFailingLater(), incoming, attempt, mocks.deps.logger),
      ).rejects.toThrow('guard down');
    });
    expect(unhandled).toStrictEqual([]);
  });
});
