/**
 * A local restore job's status only moves forward, even when the event loop lags. Its RUNNING and
 * its end come from timers of different lengths, and Node may run a later job's end before its
 * RUNNING: that job then went back to RUNNING for ever, and a pipeline waiting for it never
 * settled (the stall late in long Jest runs, where collections make the loop lag).
 */

import { LocalBackup } from '../../../local/backup-service';
import { defaultSeed } from '../../../local/pipeline';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const block = (ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end);
};

it('ends every job once, and never shows RUNNING after its end, across a lag of the event loop', async () => {
  const backup = new LocalBackup({ ...defaultSeed(), timing: { runningAfterMs: 20, doneAfterMs: 60 } });
  const seen: string[] = [];
  backup.onJobStateChange((job, previous) =>
    seen.push(`${job.RestoreJobId.slice(0, 4)} ${previous}->${job.Status}`),
  );
  const start = (token: string) =>
    backup.startRestoreJob({
      RecoveryPointArn: 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718',
      ResourceType: 'EBS',
      IamRoleArn: 'arn:aws:iam::123456789012:role/restore',
      Metadata: { availabilityZone: 'eu-west-1a' },
      IdempotencyToken: token,
    }).RestoreJobId;
  // A's RUNNING has fired when B starts: the 60 ms list's first timer (A's end) is now due before
  // the 20 ms list's first (B's RUNNING), and after a lag Node runs B's end before B's RUNNING.
  const a = start('forward-a');
  await sleep(45);
  const b = start('forward-b');
  block(250);
  await sleep(30);
  const status = (id: string) => backup.jobs.find((j) => j.RestoreJobId === id)?.Status;
  expect([status(a), status(b)]).toStrictEqual(['COMPLETED', 'COMPLETED']);
  expect(seen.filter((s) => s.endsWith('->RUNNING') && !s.includes('PENDING->'))).toStrictEqual([]);
});
