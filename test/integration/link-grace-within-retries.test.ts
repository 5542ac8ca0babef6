/**
 * An alarm that finds a job of its resource started by the pipeline's role moments ago, with no link
 * yet, is retried (the job may be a drill whose link is on its way). Lambda retries an asynchronous
 * invocation twice, one minute and then two minutes later: with a grace of 15 minutes the alarm ran
 * out of retries while it lasted and went to the on-failure destination, decided by nobody. The
 * grace is now no longer than the retries: the last attempt decides, with a letter when it holds
 * the recovery back.
 */
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { runEvent } from '../../src/runner/run-item';
import { ASYNC_RETRY_SPAN_MS, LINK_GRACE_MS } from '../../src/table/links';
import { alarmEvent, NOW, pipeline, stopTables, TABLE, VOLUME_ARN } from '../helpers/queue-pipeline';

afterEach(stopTables);

test('the link grace is no longer than what Lambda retries an alarm for', () => {
  expect(ASYNC_RETRY_SPAN_MS).toBe(3 * 60 * 1000);
  expect(LINK_GRACE_MS).toBeLessThanOrEqual(ASYNC_RETRY_SPAN_MS);
});

test("an alarm at Lambda's three attempts (0, 1 and 3 minutes) is decided by its last one, with a letter", async () => {
  const p = await pipeline();
  // A job of the volume by the pipeline's role, created at NOW, whose link never comes.
  await p.send(JSON.stringify({ ResourceArn: VOLUME_ARN(6), IdempotencyToken: 'other-6' }));
  const [job] = p.backup.jobs;
  await p.ddb.send(
    new DeleteItemCommand({ TableName: TABLE, Key: { restoreJobId: { S: job?.RestoreJobId ?? '' } } }),
  );
  const alarm = alarmEvent('restore-volume-6', 6) as never;
  const outcomes: string[] = [];
  for (const after of [0, 60_000, 180_000]) {
    (p.deps as unknown as { now: () => Date }).now = () => new Date(NOW.getTime() + after);
    outcomes.push(
      await runEvent(p.deps, alarm).then(
        (outcome) => outcome?.status ?? 'dead-lettered',
        (error: Error) => `retried: ${error.message.slice(0, 40)}`,
      ),
    );
  }
  expect(outcomes.slice(0, 2)).toStrictEqual([
    expect.stringMatching(/^retried: /),
    expect.stringMatching(/^retried: /),
  ]);
  // The last attempt does not throw: nothing is left to Lambda's on-failure destination.
  expect(outcomes[2]).toBe('skipped');
  expect(p.letters.map((l) => [l.error.name, l.reason])).toStrictEqual([
    ['RestoreSkippedError', expect.stringContaining(`restore job ${job?.RestoreJobId}`)],
  ]);
});
