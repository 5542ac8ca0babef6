/**
 * `npm run serve` (every function): a COMPLETED restore job reaches makeReady by its deployed rule,
 * and its `<jobId>#ready` record is written without anyone invoking it.
 */

import { sleep } from '../../local/time';
import { readReadyRecord } from '../../src/table/ready';
import { localPipelines } from '../helpers/pipeline';

const start = localPipelines(() => ({
  allFunctions: { scheduleEveryMs: 200 },
  jobEvents: { lossRate: 0, duplicateRate: 0, maxDelayMs: 0 },
}));

it('makes a completed DynamoDB restore ready through the deployed rule', async () => {
  const p = await start();
  await p.submit({
    RecoveryPointArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/backup/01732617600000-a1b2c3d4',
    ResourceType: 'DynamoDB',
    Metadata: { targetTableName: 'orders-serve-copy' },
  });
  const deadline = Date.now() + 20_000;
  let record: Awaited<ReturnType<typeof readReadyRecord>>;
  for (;;) {
    const job = p.aws.backup.jobs.find((j) => j.Status === 'COMPLETED');
    record =
      job === undefined
        ? undefined
        : await readReadyRecord(p.deps.ddb, p.env.RESTORE_JOBS_TABLE ?? '', job.RestoreJobId);
    if (record !== undefined || Date.now() > deadline) break;
    await sleep(100);
  }
  // The source table `orders` is not on the local stack: its settings are recorded as not restored.
  expect(record).toMatchObject({ state: 'ready', sourceRead: false, resourceType: 'DynamoDB' });
  expect(p.aws.resources.store.get('table', 'orders-serve-copy')?.tags['backup-restore:ready']).toBe(
    record?.restoreJobId,
  );
}, 60_000);
