/**
 * The function timeout: a hung connection on the last receive ends in a dead letter with a
 * reason, written before Lambda would end the invocation (the local SQS trigger abandons an
 * invocation at its function timeout, as Lambda does).
 */

import { deadLetters } from '../../helpers/dead-letters';
import { localPipelines } from '../../helpers/pipeline';

const EBS = {
  RecoveryPointArn: 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718',
  ResourceType: 'EBS',
  Metadata: { availabilityZone: 'eu-west-1a' },
};
// StartRestoreJob accepts the connection and does not answer (the endpoint drops it after 12 s,
// longer than any attempt may last).
const HUNG = { StartRestoreJob: { errorRates: { Timeout: 1 }, timeoutMs: 12_000 } };

const start = localPipelines(() => ({
  // Longer than a loaded machine takes for a batch: a shorter one redelivers batches still in flight.
  visibilityTimeoutS: 2,
  maxReceiveCount: 1,
  asyncRetryDelaysMs: [20, 40],
}));

describe('deadlines from the invocation', () => {
  it('dead-letters a hung call on the last receive with a reason, within a short function timeout', async () => {
    // The visibility timeout outlasts the function timeout, as deployed (180 s for 30 s).
    const p = await start({ faults: HUNG, functionTimeoutMs: 4_000, visibilityTimeoutS: 5 });
    const began = Date.now();
    await p.submit(EBS);
    await p.runUntilIdle({ timeoutMs: 30_000 });
    const elapsed = Date.now() - began;
    const [letter, ...more] = deadLetters(p);
    expect(more).toStrictEqual([]);
    expect(letter).toMatchObject({
      failure: 'retries-exhausted',
      error: { name: 'DeadlineExceededError', retryable: true },
      original: { trigger: 'sqs', body: JSON.stringify(EBS) },
    });
    expect(letter?.reason).toMatch(/PUT \/restore-jobs .*(cut off|not started)/);
    // Written by the function, not moved by the queue's redrive after a Lambda timeout.
    expect(p.deadLetters()[0]?.movedFrom).toBeUndefined();
    expect(p.source.stats.timeouts).toBe(0);
    expect(elapsed).toBeLessThan(4_000 + 1_500);
  }, 40_000);

  it('with the deployed 30 s timeout: requestTimeout throws at 10 s, and the third attempt is cut at the reserve', async () => {
    const p = await start({ faults: HUNG, visibilityTimeoutS: 31 });
    const began = Date.now();
    await p.submit(EBS);
    await p.runUntilIdle({ timeoutMs: 60_000 });
    const [letter] = deadLetters(p);
    const seconds = (Date.now() - began) / 1000;
    expect(letter).toMatchObject({ failure: 'retries-exhausted', error: { name: 'DeadlineExceededError' } });
    expect(p.source.stats.timeouts).toBe(0);
    // Three attempts (10 s, 10 s, then what is left before the 5 s reserve): about 25 s, never 30.
    expect(p.aws.faults.counts.StartRestoreJob?.Timeout).toBe(3);
    expect(seconds).toBeGreaterThan(20);
    expect(seconds).toBeLessThan(29);
  }, 60_000);

  it('an invocation that is not the last receive reports the record failed before the timeout, and SQS delivers it again', async () => {
    const p = await start({
      faults: HUNG,
      functionTimeoutMs: 3_000,
      maxReceiveCount: 2,
      visibilityTimeoutS: 3.5,
    });
    await p.submit(EBS);
    await p.runUntilIdle({ timeoutMs: 30_000 });
    expect(p.source.stats.timeouts).toBe(0);
    expect(p.source.stats.failedRecords).toBe(1);
    expect(p.source.stats.records).toBe(2);
    expect(deadLetters(p)).toMatchObject([{ failure: 'retries-exhausted', trigger: { attempt: 2 } }]);
  }, 40_000);

  it('the local trigger abandons an invocation at its function timeout, and the batch comes back', async () => {
    const p = await start({ functionTimeoutMs: 1_000, maxReceiveCount: 2 });
    // A handler that never returns stands in for code with no deadline.
    (p.source as unknown as { options: { handler: () => Promise<never> } }).options.handler = () =>
      new Promise<never>(() => undefined);
    await p.submit(EBS);
    await p.runUntilIdle({ timeoutMs: 15_000 });
    expect(p.source.stats.timeouts).toBe(2);
    // After maxReceiveCount the queue's redrive moves the raw body: what the deadline prevents.
    expect(p.deadLetters()).toMatchObject([{ body: JSON.stringify(EBS), movedFrom: expect.any(String) }]);
  }, 30_000);
});
