/**
 * A COMPLETED event that never reaches makeReady (AWS Backup's events are best effort): the
 * reconciler finds the job with no make-ready record, asks makeReady once through Lambda's
 * asynchronous Invoke, and the copy is made ready; a job whose event came is never asked for.
 */

import { sleep } from '../../local/time';
import { getItem } from '../../src/table/items';
import { readyAskedKey } from '../../src/table/keys';
import { readReadyRecord } from '../../src/table/ready';
import { localPipelines } from '../helpers/pipeline';

const ORDERS_POINT = 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/backup/01732617600000-a1b2c3d4';

async function readyRecordOf(p: Awaited<ReturnType<ReturnType<typeof localPipelines>>>, within: number) {
  const table = p.env.RESTORE_JOBS_TABLE ?? '';
  const deadline = Date.now() + within;
  for (;;) {
    const job = p.aws.backup.jobs.find((j) => j.Status === 'COMPLETED');
    const record = job === undefined ? undefined : await readReadyRecord(p.deps.ddb, table, job.RestoreJobId);
    if (record !== undefined || Date.now() > deadline) return { job, record };
    await sleep(100);
  }
}

describe('every COMPLETED event lost', () => {
  const start = localPipelines(() => ({
    allFunctions: { scheduleEveryMs: 200, readyGraceMs: 300 },
    jobEvents: { lossRate: 1, duplicateRate: 0, maxDelayMs: 0 },
  }));

  it('the reconciler asks makeReady once, and the copy is made ready', async () => {
    const p = await start();
    await p.submit({
      RecoveryPointArn: ORDERS_POINT,
      ResourceType: 'DynamoDB',
      Metadata: { targetTableName: 'orders-lost-copy' },
    });
    const { job, record } = await readyRecordOf(p, 20_000);
    expect(p.jobEventStats.lost).toBeGreaterThan(0);
    expect(p.jobEventStats.delivered).toBe(0);
    expect(record).toMatchObject({
      state: 'ready',
      resourceType: 'DynamoDB',
      restoreJobId: job?.RestoreJobId,
    });
    expect(p.aws.resources.store.get('table', 'orders-lost-copy')?.tags['backup-restore:ready']).toBe(
      job?.RestoreJobId,
    );
    // Asked through Lambda's asynchronous Invoke, with the job id; recorded as asked, once.
    const asks = p.aws.resources.lambda.invocations.filter((i) => i.functionName === 'makeReady');
    expect(asks).toHaveLength(1);
    expect(asks[0]?.payload).toMatchObject({
      source: 'restore-pipeline.reconciler',
      'detail-type': 'Restore Job State Change',
      detail: { restoreJobId: job?.RestoreJobId, status: 'COMPLETED' },
    });
    const table = p.env.RESTORE_JOBS_TABLE ?? '';
    expect(await getItem(p.deps.ddb, table, readyAskedKey(job?.RestoreJobId ?? ''), 'ask')).toBeDefined();
    // Later runs find the record: nothing is asked again.
    await sleep(600);
    expect((await p.reconcile()).outcomes['ready-asked']).toBeUndefined();
    expect(p.aws.resources.lambda.invocations.filter((i) => i.functionName === 'makeReady')).toHaveLength(1);
  }, 60_000);
});

describe('COMPLETED events delivered', () => {
  const start = localPipelines(() => ({
    allFunctions: { scheduleEveryMs: 200, readyGraceMs: 300 },
    jobEvents: { lossRate: 0, duplicateRate: 0, maxDelayMs: 0 },
  }));

  it('makeReady runs on the event, and the reconciler never asks for it', async () => {
    const p = await start();
    await p.submit({
      RecoveryPointArn: ORDERS_POINT,
      ResourceType: 'DynamoDB',
      Metadata: { targetTableName: 'orders-event-copy' },
    });
    const { job, record } = await readyRecordOf(p, 20_000);
    expect(record).toMatchObject({ state: 'ready' });
    // Past the grace, with the schedule running: no ask, no asked item.
    await sleep(800);
    expect(p.aws.resources.lambda.invocations.filter((i) => i.functionName === 'makeReady')).toStrictEqual(
      [],
    );
    const table = p.env.RESTORE_JOBS_TABLE ?? '';
    expect(await getItem(p.deps.ddb, table, readyAskedKey(job?.RestoreJobId ?? ''), 'ask')).toBeUndefined();
  }, 60_000);
});
