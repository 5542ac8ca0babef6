/** The fault campaign at test size: every request accounted for exactly once under a third of calls failing. */

import { formatTally, runChaos } from '../../local/chaos';

it('loses nothing and duplicates nothing across 200 requests with faults on 30% of calls', async () => {
  const tally = await runChaos({ requests: 200, seed: 11 });
  process.stdout.write(`${formatTally(tally)}\n`);
  expect(tally.problems).toStrictEqual([]);
  expect(tally.lost).toBe(0);
  expect(tally.duplicates).toBe(0);
  expect(tally.started + tally.startedThenFailed + tally.deadLettered).toBe(200);
  expect(tally.faults.share).toBeGreaterThanOrEqual(0.25);
  expect(tally.faults.byKind.LostResponse).toBeGreaterThan(0);
  // Each kind of request ended as it should: rejected requests in the dead-letter queue.
  expect(tally.deadLetteredByReason['rejected: InvalidRequestError']).toBeGreaterThan(0);
  expect(tally.deadLetteredByReason['rejected: ForbiddenRequestError']).toBeGreaterThan(0);
  expect(tally.started).toBeGreaterThan(140);
}, 180_000);
