import { createRateLimiter, startRestoreShare } from '../src/rate-limit';
import { localPipelines } from './helpers/pipeline';

describe('createRateLimiter', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('spaces calls evenly at the given rate', async () => {
    const limiter = createRateLimiter(5, () => Date.now());
    const released: number[] = [];
    for (let i = 0; i < 4; i++) void limiter.take().then(() => released.push(Date.now()));
    await jest.advanceTimersByTimeAsync(1000);
    expect(released).toStrictEqual([0, 200, 400, 600]);
  });

  it('makes each slot longer by the arrival margin', async () => {
    const limiter = createRateLimiter(1, () => Date.now(), 0.05);
    const released: number[] = [];
    for (let i = 0; i < 3; i++) void limiter.take().then(() => released.push(Date.now()));
    await jest.advanceTimersByTimeAsync(3000);
    expect(released).toStrictEqual([0, 1050, 2100]);
  });

  it('lets a call through at once after a quiet spell', async () => {
    const limiter = createRateLimiter(10, () => Date.now());
    await limiter.take();
    await jest.advanceTimersByTimeAsync(5000);
    const before = Date.now();
    await limiter.take();
    expect(Date.now()).toBe(before);
  });
});

describe('createRateLimiter with a deadline', () => {
  it('refuses a slot after the deadline without taking it', async () => {
    let now = 0;
    const limiter = createRateLimiter(2, () => now);
    await limiter.take(100);
    await expect(limiter.take(100)).rejects.toThrow(
      /pacing slot \(500 ms away\) comes after the invocation's deadline/,
    );
    // The refused slot was not consumed: the next caller still gets it.
    now = 500;
    await expect(limiter.take(500)).resolves.toBeUndefined();
  });
});

describe('startRestoreShare', () => {
  it('divides the account budget between the function instances that may start restores', () => {
    expect(startRestoreShare({}, undefined)).toStrictEqual({
      perSecond: 5,
      budget: 5,
      instances: 1,
      problems: [],
    });
    expect(startRestoreShare({ START_RESTORE_INSTANCES: '5' }, undefined).perSecond).toBe(1);
    expect(startRestoreShare({ START_RESTORE_INSTANCES: '4' }, 10).perSecond).toBe(2.5);
    expect(startRestoreShare({ START_RESTORE_INSTANCES: '0' }, 5).problems).toStrictEqual([
      'START_RESTORE_INSTANCES must be a whole number from 1 to 10000 (the sum of the maximum concurrency of every function that starts restores), got "0"',
    ]);
  });
});

describe('pacing through the real SDK against the local endpoint', () => {
  const REQUESTS = 6;
  const start = localPipelines(() => ({ visibilityTimeoutS: 40, maxReceiveCount: 5, maxAttempts: 5 }));

  it('paces every StartRestoreJob attempt, the SDK retries included, to the instance share', async () => {
    // A budget of 8 a second shared by 2 instances: 4 a second here, one attempt every 250 ms.
    const p = await start({
      env: { START_RESTORE_RATE_PER_SECOND: '8', START_RESTORE_INSTANCES: '2' },
      // Half the attempts fail with 503 (the SDK retries them at once); above 6 a second (1.5 times the share), AWS throttles.
      faults: { StartRestoreJob: { rateLimitPerSecond: 6, errorRates: { ServiceUnavailable: 0.5 } } },
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
    // SDK retries happened, and none of them (nor any first attempt) came sooner than its slot.
    expect(counts.ServiceUnavailable ?? 0).toBeGreaterThan(0);
    expect(arrivals.length).toBeGreaterThan(REQUESTS);
    const gaps = arrivals.slice(1).map((t, i) => t - (arrivals[i] as number));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(250 - 100);
    expect(counts.RateLimited ?? 0).toBe(0);
    expect(p.aws.backup.jobs).toHaveLength(REQUESTS);
  }, 90_000);
});

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
