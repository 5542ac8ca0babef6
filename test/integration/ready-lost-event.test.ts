/**
 * A COMPLETED event that never reaches makeReady (AWS Backup's events are best effort): the
 * reconciler finds the job with no make-ready record, asks makeReady once through Lambda's
 * asynchronous Invoke, and the copy is made ready; a job whose event came is never asked for.
 */

import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { localClientConfig } from '../../local/setup';
import { sleep } from '../../local/time';
import { readyAskEvent } from '../../src/ready/lost';
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
  // Longer than makeReady's run on a loaded machine (once over 300 ms with three test files at
  // once): within the grace the reconciler rightly waits for a make-ready under way.
  const GRACE_MS = 3_000;
  const start = localPipelines(() => ({
    allFunctions: { scheduleEveryMs: 200, readyGraceMs: GRACE_MS },
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
    const ended = job?.CompletionDate ?? Date.now();
    await sleep(Math.max(0, ended + GRACE_MS + 800 - Date.now()));
    expect(p.aws.resources.lambda.invocations.filter((i) => i.functionName === 'makeReady')).toStrictEqual(
      [],
    );
    const table = p.env.RESTORE_JOBS_TABLE ?? '';
    expect(await getItem(p.deps.ddb, table, readyAskedKey(job?.RestoreJobId ?? ''), 'ask')).toBeUndefined();
  }, 60_000);
});

describe('a forged ask', () => {
  const start = localPipelines(() => ({
    allFunctions: { scheduleEveryMs: 60_000, readyGraceMs: 300 },
    jobEvents: { lossRate: 1, duplicateRate: 0, maxDelayMs: 0 },
  }));

  it("changes nothing: makeReady reads the job from AWS Backup and its link, never the ask's fields", async () => {
    const p = await start();
    // A production table of the account, which no job of the pipeline created.
    p.aws.resources.store.put({
      kind: 'table',
      id: 'payments',
      arn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/payments',
      tags: {},
    });
    const lambda = new LambdaClient(localClientConfig(p.aws.url, 'eu-west-1'));
    const ask = (restoreJobId: string) =>
      lambda.send(
        new InvokeCommand({
          FunctionName: 'makeReady',
          InvocationType: 'Event',
          Payload: Buffer.from(
            JSON.stringify(
              readyAskEvent(
                {
                  restoreJobId,
                  resourceType: 'DynamoDB',
                  createdResourceArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/payments',
                },
                new Date(),
              ),
            ),
          ),
        }),
      );
    // A job the pipeline never started, and its own job with another resource named in the ask.
    await ask('not-a-job-of-ours');
    await p.submit({
      RecoveryPointArn: ORDERS_POINT,
      ResourceType: 'DynamoDB',
      Metadata: { targetTableName: 'orders-own-copy' },
    });
    let job: { RestoreJobId: string } | undefined;
    for (let i = 0; i < 200 && job === undefined; i++) {
      job = p.aws.backup.jobs.find((j) => j.Status === 'COMPLETED');
      await sleep(50);
    }
    await ask(job?.RestoreJobId ?? '');
    await p.runUntilIdle({ timeoutMs: 20_000 });
    lambda.destroy();
    // The table the ask named is untouched; the job's own copy, from AWS's record, is the one made ready.
    expect(p.aws.resources.store.get('table', 'payments')?.tags).toStrictEqual({});
    const table = p.env.RESTORE_JOBS_TABLE ?? '';
    expect(await readReadyRecord(p.deps.ddb, table, 'not-a-job-of-ours')).toBeUndefined();
    expect((await readReadyRecord(p.deps.ddb, table, job?.RestoreJobId ?? ''))?.restoredArn).toBe(
      'arn:aws:dynamodb:eu-west-1:123456789012:table/orders-own-copy',
    );
  }, 60_000);
});
