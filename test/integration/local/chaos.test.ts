/**
 * The fault campaign at test size: every request accounted for exactly once under a third of calls
 * failing, lost answers on DynamoDB and the dead-letter send, hangs past the function timeout,
 * duplicate deliveries, lost end events, flapping alarms and forged envelopes.
 */

import { formatTally, runChaos } from '../../../local/chaos';

it('loses nothing, restores nothing twice and refuses every forged envelope across 200 requests with faults on 30% of calls', async () => {
  // Within the test's own timeout: a campaign that cannot finish fails saying what it waited for.
  const tally = await runChaos({ requests: 200, seed: 11, timeoutMs: 150_000 });
  process.stdout.write(`${formatTally(tally)}\n`);
  expect(tally.problems).toStrictEqual([]);
  expect(tally.lost).toBe(0);
  expect(tally.duplicates).toBe(0);
  expect(tally.secondRestores).toBe(0);
  expect(tally.duplicateDeadLetters).toBe(0);
  expect(tally.started + tally.startedThenFailed + tally.startedThenExhausted + tally.deadLettered).toBe(200);
  expect(tally.faults.share).toBeGreaterThanOrEqual(0.25);
  // Every class of fault was injected at least once.
  expect(tally.faults.byKind.LostResponse).toBeGreaterThan(0);
  expect(tally.duplicatesInjected.sqsDeliveries).toBeGreaterThan(0);
  expect(tally.duplicatesInjected.events).toBeGreaterThan(0);
  expect(tally.jobEvents.lost).toBeGreaterThan(0);
  expect(tally.jobEvents.duplicated).toBeGreaterThan(0);
  expect(tally.timeouts.longHangs).toBeGreaterThan(0);
  // Each kind of request ended as it should: rejected requests in the dead-letter queue.
  expect(tally.deadLetteredByReason['rejected: InvalidRequestError']).toBeGreaterThan(0);
  expect(tally.deadLetteredByReason['rejected: ForbiddenRequestError']).toBeGreaterThan(0);
  // About 80% are good requests: each started its job (some then failed or ran out of retries after it).
  expect(tally.started + tally.startedThenFailed + tally.startedThenExhausted).toBeGreaterThan(140);
  // Flapping alarms: restores, never two of one resource at once.
  expect(tally.alarms.jobsStarted).toBeGreaterThan(0);
  expect(tally.alarms.overlappingRestores).toBe(0);
  // Every forged envelope was refused with a reason and started nothing.
  expect(tally.forged.map((f) => [f.name, f.jobsStarted])).toStrictEqual([
    ['a failed-job dead letter for a job that completed', 0],
    ['a job event claiming FAILED for a job that completed', 0],
    ['an alarm that did not opt in', 0],
    ['a gzip bomb (64 MiB of zeros in a dead letter)', 0],
    ['an envelope nested 100,000 deep', 0],
  ]);
  const became = Object.fromEntries(tally.forged.map((f) => [f.name, f.became]));
  expect(became['a failed-job dead letter for a job that completed']).toMatch(
    /^dead-lettered \(rejected, ForbiddenRequestError\): .*holds no record of that failure/,
  );
  expect(became['an alarm that did not opt in']).toMatch(
    /^dead-lettered \(rejected, ForbiddenRequestError\): .*has not opted in/,
  );
  expect(became['a gzip bomb (64 MiB of zeros in a dead letter)']).toMatch(
    /^dead-lettered \(rejected, InvalidRequestError\): .*cannot be unpacked/,
  );
  expect(became['an envelope nested 100,000 deep']).toMatch(/^dead-lettered \(rejected, /);
  expect(became['a job event claiming FAILED for a job that completed']).toMatch(/^ignored: /);
}, 180_000);
