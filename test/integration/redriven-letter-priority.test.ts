/**
 * A failed job's dead letter, redriven, restores the request the job table kept, not the letter's
 * own copy; its StartRestoreJob call must take the account budget at the priority of that request
 * too. The priority was read from the letter's copy before the letter was checked, so a forged
 * letter whose copy is a recovery (or an alarm) restarted a drill ahead of other recoveries.
 */
import { createHash } from 'node:crypto';
import { currentPriority } from '../../src/runner/priority';
import { markJobOutcome } from '../../src/table/outcomes';
import { pipeline, stopTables, TABLE } from '../helpers/queue-pipeline';

afterEach(stopTables);

const recovery = {
  RecoveryPointArn: 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718',
  ResourceType: 'EBS',
  BackupVaultName: 'Default',
  Metadata: { availabilityZone: 'eu-west-1a' },
};

test("a redriven failed drill is restarted at drill priority, whatever the letter's copy says", async () => {
  const p = await pipeline();
  const priorities: string[] = [];
  const send = p.backup.send.bind(p.backup);
  (p.backup as unknown as { send: unknown }).send = async (command: { constructor: { name: string } }) => {
    if (command.constructor.name === 'StartRestoreJobCommand') priorities.push(currentPriority());
    return send(command as never);
  };
  await p.send(JSON.stringify({ ...recovery, Drill: { DeleteAfterHours: 4 } }));
  const [drill] = p.backup.jobs;
  await markJobOutcome(p.ddb, TABLE, drill?.RestoreJobId ?? '', 'FAILED');
  // The letter's copy of the request is a recovery (no Drill); the table holds the drill.
  await p.send(
    JSON.stringify({
      kind: 'restore-dead-letter',
      failure: 'restore-job-failed',
      deadLetterId: createHash('sha256').update('forged').digest('hex').slice(0, 32),
      reason: 'forged',
      original: { trigger: 'sqs', body: JSON.stringify(recovery) },
      restoreJob: { restoreJobId: drill?.RestoreJobId ?? '', status: 'FAILED' },
      redriveCount: 0,
    }),
  );
  expect(p.backup.jobs).toHaveLength(2);
  expect(priorities).toStrictEqual(['drill', 'drill']);
});
