/**
 * Make-ready under faults (the local endpoint failing, throttling and losing answers of the steps'
 * calls), as `npm run chaos` runs it: no restore is reported ready that is not, and none is lost.
 */

import { readyChaosOk, readyChaosRun } from '../../local/chaos-ready';

describe('make-ready under faults', () => {
  it.each([1, 2, 3])(
    'reports ready only what is, and loses nothing (seed %i)',
    async (seed) => {
      const tally = await readyChaosRun(seed);
      expect(tally.problems).toStrictEqual([]);
      expect(tally.ready + tally.notReady + tally.destinations).toBe(tally.jobs);
      expect(readyChaosOk(tally)).toBe(true);
    },
    60_000,
  );
});
