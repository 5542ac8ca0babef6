/**
 * The make-ready campaign of `npm run chaos`: an Aurora and a DynamoDB restore made ready while the
 * local endpoint fails, throttles and loses the answers of the steps' calls, over several seeds.
 * Nothing may be reported ready that is not (the writer instance there, the source's cluster and
 * writer parameter groups named; PITR, stream and TTL on),
 * and nothing lost: each job ends recorded (ready or not ready) or in Lambda's on-failure destination.
 */

import { type FaultPlan, prng } from './faults.js';
import { readyDemo } from './ready-demo.js';

const UNKIND = { errorRates: { ServiceUnavailable: 0.15, Throttling: 0.1, LostResponse: 0.1 } };
/** The calls the steps make: each faulted as above. */
const STEP_CALLS = [
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
export const READY_FAULTS: FaultPlan = Object.fromEntries(STEP_CALLS.map((op) => [op, UNKIND]));

/** What the campaign found. */
export interface ReadyChaosTally {
  readonly jobs: number;
  readonly ready: number;
  readonly notReady: number;
  /** Jobs whose event went to the on-failure destination after Lambda's retries. */
  readonly destinations: number;
  /** Recorded ready while the copy is not (no writer instance; PITR, stream or TTL off). */
  readonly falselyReady: number;
  /** Neither recorded nor in the destination. */
  readonly lost: number;
  readonly problems: readonly string[];
}

/** One seed: the demo's two restores under faults, held to what the local stack shows. */
export async function readyChaosRun(seed: number): Promise<ReadyChaosTally> {
  const lines: string[] = [];
  const { aurora, table } = await readyDemo((l) => lines.push(l), {
    faults: READY_FAULTS,
    random: prng(seed),
  });
  const destinations = lines.filter((l) => l.includes('on-failure destination')).length;
  const records = [aurora, table];
  const truly = [
    lines.some((l) => /^ {4}instances now: ledger-aurora-restored-[0-9a-f]{8}-writer$/.test(l)) &&
      lines.includes('    parameter groups now: cluster ledger-cluster-params, writer ledger-writer-params'),
    lines.includes('    PITR on, stream NEW_AND_OLD_IMAGES, TTL expiresAt'),
  ];
  const problems: string[] = [];
  const falselyReady = records.filter((r, i) => r?.state === 'ready' && !truly[i]).length;
  if (falselyReady > 0) problems.push(`seed ${seed}: ${falselyReady} copy recorded ready that is not`);
  const unrecorded = records.filter((r) => r === undefined).length;
  const lost = Math.max(0, unrecorded - destinations);
  if (lost > 0) problems.push(`seed ${seed}: ${lost} job neither recorded nor in the on-failure destination`);
  for (const r of records)
    if (r !== undefined && r.state !== 'ready' && r.state !== 'not-ready')
      problems.push(`seed ${seed}: a record in state ${r.state}`);
  return {
    jobs: records.length,
    ready: records.filter((r) => r?.state === 'ready').length,
    notReady: records.filter((r) => r?.state === 'not-ready').length,
    destinations,
    falselyReady,
    lost,
    problems,
  };
}

/** Every seed in turn, summed. */
export async function runReadyChaos(seeds: readonly number[]): Promise<ReadyChaosTally> {
  const runs: ReadyChaosTally[] = [];
  for (const seed of seeds) runs.push(await readyChaosRun(seed));
  const sum = (k: 'jobs' | 'ready' | 'notReady' | 'destinations' | 'falselyReady' | 'lost') =>
    runs.reduce((n, r) => n + r[k], 0);
  return {
    jobs: sum('jobs'),
    ready: sum('ready'),
    notReady: sum('notReady'),
    destinations: sum('destinations'),
    falselyReady: sum('falselyReady'),
    lost: sum('lost'),
    problems: runs.flatMap((r) => r.problems),
  };
}

export function formatReadyTally(t: ReadyChaosTally): string {
  return [
    `make-ready campaign ${t.jobs} restores under faults: ${t.ready} ready, ${t.notReady} not ready (dead-lettered), ${t.destinations} in the on-failure destination`,
    `reported ready, not ready  ${t.falselyReady}`,
    `lost                ${t.lost}`,
  ].join('\n');
}

export const readyChaosOk = (t: ReadyChaosTally): boolean =>
  t.falselyReady === 0 && t.lost === 0 && t.problems.length === 0;
