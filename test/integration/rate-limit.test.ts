/**
 * The StartRestoreJob pacer wired as deployed (src/wiring/restore.ts): every attempt of the Backup client
 * takes a call of the account budget held in the job table, through the real SDK against the local
 * endpoint. The pacer's own rules are tested on fake timers in test/unit/pacing.test.ts.
 */

import { maxInWindow, ratePerSecond } from '../../bench/stats';
import { PACE_KEY as BUDGET_KEY } from '../../src/table/keys';
import { localPipelines } from '../helpers/pipeline';

/**
 * The margin these runs keep (the deployed one is 30 ms): the functions share one event loop with
 * the local endpoint, so a pause of that loop (another Jest worker, a collection) delays a released
 * call on its way far more than a network hop does, and the endpoint's strict window counts it
 * with the next (docs/performance.md#the-margin). 150 ms still lets 4.35 calls a second through.
 */
const LOCAL_MARGIN_MS = '150';

describe('pacing through the real SDK against the local endpoint', () => {
  const REQUESTS = 6;
  const start = localPipelines(() => ({ visibilityTimeoutS: 40, maxReceiveCount: 5, maxAttempts: 5 }));

  it('paces every StartRestoreJob attempt, the SDK retries included, through the budget item', async () => {
    // A budget of 4 a second, whichever instance calls.
    const p = await start({
      env: { START_RESTORE_RATE_PER_SECOND: '4', START_RESTORE_MARGIN_MS: LOCAL_MARGIN_MS },
      // Half the attempts fail with 503 (the SDK retries them at once); above 4 a second, AWS throttles.
      faults: { StartRestoreJob: { rateLimitPerSecond: 4, errorRates: { ServiceUnavailable: 0.5 } } },
      random: seeded(7),
    });
    for (let i = 0; i < REQUESTS; i++) {
      await p.submit({
        RecoveryPointArn: 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718',
        ResourceType: 'EBS',
        Metadata: { availabilityZone: 'eu-west-1a' },
        IdempotencyToken: `pacing-${i}`,
      });
    }
    await p.runUntilIdle({ timeoutMs: 60_000 });
    const arrivals = p.aws.faults.arrivals.StartRestoreJob ?? [];
    const counts = p.aws.faults.counts.StartRestoreJob ?? {};
    // SDK retries happened, each took a call of its own, and no second held more than the budget.
    expect(counts.ServiceUnavailable ?? 0).toBeGreaterThan(0);
    expect(arrivals.length).toBeGreaterThan(REQUESTS);
    expect(await budgetItem(p)).toBeDefined();
    expect(maxInWindow(arrivals, 1000)).toBeLessThanOrEqual(4);
    expect(counts.RateLimited ?? 0).toBe(0);
    expect(p.aws.backup.jobs).toHaveLength(REQUESTS);
  }, 90_000);

  it("lets the queue function's instances use the whole account budget while the others idle", async () => {
    // As deployed: 5 instances in all, the queue function's 2 busy, the others idle.
    const p = await start({
      env: { START_RESTORE_RATE_PER_SECOND: '5', START_RESTORE_MARGIN_MS: LOCAL_MARGIN_MS },
      instances: { queue: 2, event: 2, alarm: 1 },
      faults: { StartRestoreJob: { rateLimitPerSecond: 5 } },
      restoreConcurrency: 10,
    });
    for (let i = 0; i < 24; i++) {
      await p.submit({
        RecoveryPointArn: 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718',
        ResourceType: 'EBS',
        Metadata: { availabilityZone: 'eu-west-1a' },
        IdempotencyToken: `shared-${i}`,
      });
    }
    await p.runUntilIdle({ timeoutMs: 60_000 });
    const arrivals = p.aws.faults.arrivals.StartRestoreJob ?? [];
    expect(p.aws.backup.jobs).toHaveLength(24);
    expect(p.aws.faults.counts.StartRestoreJob?.RateLimited ?? 0).toBe(0);
    expect(maxInWindow(arrivals, 1000)).toBeLessThanOrEqual(5);
    expect(ratePerSecond(p.aws.backup.jobs.map((j) => j.CreationDate))).toBeGreaterThan(3.5);
    // One item holds the whole budget: no per-slot items any more.
    const keys = (await p.aws.dynamodb.items('restore-jobs')).map((i) => String(i.restoreJobId?.S));
    expect(keys.filter((k) => k.startsWith('pace#'))).toStrictEqual([BUDGET_KEY]);
  }, 90_000);
});

/** The budget item the pacers share in the local job table. */
async function budgetItem(p: Awaited<ReturnType<ReturnType<typeof localPipelines>>>): Promise<unknown> {
  return p.aws.dynamodb.item('restore-jobs', { restoreJobId: { S: BUDGET_KEY } });
}

/** A repeatable random source (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
