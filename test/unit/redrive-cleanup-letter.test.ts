/**
 * A drill-cleanup-failed letter redriven to the request queue never goes to StartRestoreJob: it is
 * refused with a reason that says how to retry the cleanup, and its letter keeps the kind and the
 * job, so redriving that letter again is refused the same way (never a plain `rejected` letter
 * whose redrive would restore the drill a second time).
 */

import { StartRestoreJobCommand } from '@aws-sdk/client-backup';
import { createHandler } from '../../handlers/restore-from-queue';
import { buildDeadLetter } from '../../src/outcome/dead-letters';
import { context, REGION, sqsRecord } from '../helpers/fixtures';
import { mockAws, restoreAws } from '../helpers/mocks';

const POINT = `arn:aws:ec2:${REGION}::snapshot/snap-0a1b2c3d4e5f60718`;
const DRILL_BODY = JSON.stringify({
  RecoveryPointArn: POINT,
  ResourceType: 'EBS',
  Metadata: { availabilityZone: 'eu-west-1a' },
  Drill: { DeleteAfterHours: 0 },
});
const JOB = {
  restoreJobId: 'job-drill-1',
  status: 'COMPLETED',
  statusMessage: 'the resource does not carry the tag backup-restore:drill',
  resourceType: 'EBS',
};

/** The letter the cleanup sends when it refuses to delete a drill's volume. */
function cleanupLetter() {
  const error = Object.assign(
    new Error('Drill cleanup of restore job job-drill-1 did not delete the volume'),
    {
      name: 'DrillCleanupFailedError',
    },
  );
  return buildDeadLetter({
    failure: 'drill-cleanup-failed',
    error,
    trigger: { type: 'restore-validation', id: 'job-drill-1', attempt: 1 },
    original: { trigger: 'sqs', body: DRILL_BODY },
    now: new Date('2026-11-28T10:00:00Z'),
    restoreJob: JOB,
  });
}

afterEach(restoreAws);

describe('a redriven drill-cleanup-failed letter', () => {
  it('is refused with how to retry the cleanup, keeps its kind and job, and never restores however often it is redriven', async () => {
    const mocks = mockAws();
    mocks.backup.on(StartRestoreJobCommand).resolves({ RestoreJobId: 'job-second-restore' });
    const handler = createHandler(mocks.deps);

    let letter = cleanupLetter();
    for (let redrive = 1; redrive <= 3; redrive++) {
      await handler({ Records: [sqsRecord(JSON.stringify(letter), `m-${redrive}`)] }, context);
      const sent = mocks.deadLetters();
      expect(sent).toHaveLength(redrive);
      const back = sent[redrive - 1];
      if (back === undefined) throw new Error('no letter');
      expect(back.failure).toBe('drill-cleanup-failed');
      expect(back.restoreJob).toStrictEqual(JOB);
      expect(back.reason).toContain('To retry the cleanup');
      expect(back.reason).toContain('job-drill-1#drill');
      expect(back.original).toStrictEqual({ trigger: 'sqs', body: DRILL_BODY });
      letter = back;
    }
    expect(mocks.backup.commandCalls(StartRestoreJobCommand)).toHaveLength(0);
  });
});
