/**
 * Make-ready under faults (the local endpoint failing, throttling and losing answers of the steps'
 * calls): no restore is reported ready that is not, and none is lost: each ends recorded (ready or
 * not ready) or in Lambda's on-failure destination.
 */

import type { FaultPlan } from '../../local/faults';
import { readyDemo } from '../../local/ready-demo';

const UNKIND = { errorRates: { ServiceUnavailable: 0.15, Throttling: 0.1, LostResponse: 0.1 } };
const OPERATIONS = [
  'DescribeDBClusters',
  'DescribeDBInstances',
  'CreateDBInstance',
  'AddTagsToResource',
  'ModifyDBCluster',
  'DescribeTable',
  'DescribeContinuousBackups',
  'UpdateContinuousBackups',
  'DescribeTimeToLive',
  'UpdateTimeToLive',
  'UpdateTable',
  'TagResource',
  'ListTagsOfResource',
];
const FAULTS: FaultPlan = Object.fromEntries(OPERATIONS.map((op) => [op, UNKIND]));

/** A repeatable random sequence. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe('make-ready under faults', () => {
  it.each([1, 2, 3])(
    'reports ready only what is, and loses nothing (seed %i)',
    async (seed) => {
      const lines: string[] = [];
      const { aurora, table } = await readyDemo((l) => lines.push(l), {
        faults: FAULTS,
        random: seeded(seed),
      });
      const destinations = lines.filter((l) => l.includes('on-failure destination')).length;
      expect([aurora, table].filter((r) => r === undefined)).toHaveLength(destinations);
      if (aurora?.state === 'ready')
        expect(lines).toContainEqual(
          expect.stringMatching(/^ {4}instances now: ledger-aurora-restored-[0-9a-f]{8}-writer$/),
        );
      if (table?.state === 'ready')
        expect(lines).toContain('    PITR on, stream NEW_AND_OLD_IMAGES, TTL expiresAt');
      for (const r of [aurora, table]) if (r !== undefined) expect(['ready', 'not-ready']).toContain(r.state);
    },
    60_000,
  );
});
