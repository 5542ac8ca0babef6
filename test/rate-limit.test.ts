import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  type PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { maxInWindow, ratePerSecond } from '../bench/stats';
import {
  createRateLimiter,
  createSharedPacer,
  FALLBACK_HOLD_MS,
  type RateLimiter,
  SLOT_TTL_SECONDS,
  slotGrid,
  startRestoreShare,
} from '../src/rate-limit';
import { DeadlineExceededError } from '../src/runner/deadline';
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

/** The job table as the pacer sees it: conditional puts of slot items, refused when the key exists. */
function slotTable() {
  const items = new Map<string, Record<string, unknown>>();
  const writes: string[] = [];
  let down = false;
  const ddb = {
    send: async (command: PutItemCommand) => {
      const input = command.input;
      const key = input.Item?.restoreJobId?.S ?? '';
      writes.push(key);
      expect(input).toMatchObject({
        TableName: 'jobs',
        ConditionExpression: 'attribute_not_exists(restoreJobId)',
      });
      if (down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { name: 'Error' });
      if (items.has(key)) {
        throw new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
        });
      }
      items.set(key, input.Item ?? {});
      return {};
    },
  } as unknown as DynamoDBClient;
  return { ddb, items, writes, setDown: (value: boolean) => (down = value) };
}

describe('createSharedPacer', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());
  const { intervalMs } = slotGrid(5);
  const unused: RateLimiter = { take: () => Promise.reject(new Error('the fallback was used')) };
  const pacer = (table: ReturnType<typeof slotTable>, fallback = unused, onFallback = jest.fn()) =>
    createSharedPacer(table.ddb, {
      table: 'jobs',
      perSecond: 5,
      fallback,
      onFallback,
      now: () => Date.now(),
    });

  it('lays slots 5 % longer than the budget allows: 5 a second become one every 210 ms', () => {
    expect(slotGrid(5)).toStrictEqual({ intervalMs: 210, perWindow: 5 });
    expect(slotGrid(10).intervalMs).toBeCloseTo(105);
  });

  it('lets one instance use the whole account budget, one slot item per call, each with its TTL', async () => {
    const table = slotTable();
    const limiter = pacer(table);
    const released: number[] = [];
    for (let i = 0; i < 10; i++) void limiter.take().then(() => released.push(Date.now()));
    await jest.advanceTimersByTimeAsync(3000);
    expect(released).toStrictEqual(Array.from({ length: 10 }, (_, i) => Math.round(i * intervalMs)));
    expect([...table.items.keys()]).toStrictEqual(Array.from({ length: 10 }, (_, i) => `pace#${i}`));
    expect(table.items.get('pace#0')).toStrictEqual({
      restoreJobId: { S: 'pace#0' },
      expiresAt: { N: String(SLOT_TTL_SECONDS) },
    });
  });

  it('shares the budget between instances: no slot twice, never more than 5 calls in a second', async () => {
    const table = slotTable();
    const instances = [pacer(table), pacer(table), pacer(table)];
    const released: number[] = [];
    for (let i = 0; i < 12; i++) {
      for (const limiter of instances) void limiter.take().then(() => released.push(Date.now()));
    }
    await jest.advanceTimersByTimeAsync(10_000);
    expect(released).toHaveLength(36);
    expect(new Set(table.items.keys()).size).toBe(36);
    expect(maxInWindow(released, 1000)).toBe(5);
    const sorted = [...released].sort((a, b) => a - b);
    expect(Math.min(...sorted.slice(1).map((t, i) => t - (sorted[i] as number)))).toBeGreaterThanOrEqual(209);
    // The whole budget is used (less the 5 % margin).
    expect(ratePerSecond(released)).toBeCloseTo(1000 / intervalMs, 1);
  });

  it('lets a newcomer in about two slots after it asks, not behind every call the others wait for', async () => {
    const table = slotTable();
    const busy = pacer(table);
    for (let i = 0; i < 30; i++) void busy.take();
    await jest.advanceTimersByTimeAsync(1000);
    let releasedAt: number | undefined;
    void pacer(table)
      .take()
      .then(() => (releasedAt = Date.now()));
    await jest.advanceTimersByTimeAsync(2000);
    expect(releasedAt).toBeDefined();
    expect((releasedAt as number) - 1000).toBeLessThanOrEqual(3 * intervalMs);
  });

  it('calls at once late in a free slot only with the slot a second ahead held as a spacer', async () => {
    const table = slotTable();
    jest.setSystemTime(100); // slot 0 began 100 ms ago
    await pacer(table).take();
    expect(Date.now()).toBe(100);
    expect([...table.items.keys()].sort()).toStrictEqual(['pace#0', 'pace#5']);
    // When the spacer is taken already, the late slot is given up for the next one.
    const other = slotTable();
    other.items.set('pace#5', {});
    let releasedAt: number | undefined;
    void pacer(other)
      .take()
      .then(() => (releasedAt = Date.now()));
    await jest.advanceTimersByTimeAsync(1000);
    expect(releasedAt).toBe(Math.round(intervalMs));
    expect(other.writes).toStrictEqual(['pace#0', 'pace#5', 'pace#1']);
  });

  it('refuses a slot after the deadline without claiming it', async () => {
    const table = slotTable();
    const limiter = pacer(table);
    for (let i = 0; i < 3; i++) void limiter.take();
    const late = limiter.take(Date.now() + 100);
    await expect(late).rejects.toThrow(DeadlineExceededError);
    await expect(late).rejects.toThrow(/pacing slot \(630 ms away\) comes after the invocation's deadline/);
    expect(table.writes).toStrictEqual(['pace#0', 'pace#1', 'pace#2']);
  });

  it('falls back to the static share when DynamoDB cannot be reached, says so once, and tries again later', async () => {
    const table = slotTable();
    const share = { take: jest.fn(async () => undefined) };
    const onFallback = jest.fn();
    const limiter = pacer(table, share, onFallback);
    table.setDown(true);
    await limiter.take(123);
    await limiter.take();
    expect(share.take.mock.calls).toStrictEqual([[123], [undefined]]);
    expect(onFallback).toHaveBeenCalledTimes(1);
    expect(onFallback.mock.calls[0]?.[0]).toMatchObject({ message: expect.stringMatching(/ECONNREFUSED/) });
    expect(table.writes).toHaveLength(1);
    table.setDown(false);
    jest.setSystemTime(Date.now() + FALLBACK_HOLD_MS);
    await limiter.take();
    expect(share.take).toHaveBeenCalledTimes(2);
    expect([...table.items.keys()]).toContain(`pace#${Math.floor(Date.now() / intervalMs)}`);
  });
});

describe('pacing through the real SDK against the local endpoint', () => {
  const REQUESTS = 6;
  const start = localPipelines(() => ({ visibilityTimeoutS: 40, maxReceiveCount: 5, maxAttempts: 5 }));

  it('paces every StartRestoreJob attempt, the SDK retries included, through the shared slots', async () => {
    // A budget of 4 a second: a slot every 260 ms, whichever instance calls.
    const p = await start({
      env: { START_RESTORE_RATE_PER_SECOND: '4' },
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
    // SDK retries happened, each took a slot of its own, and no second held more than the budget.
    expect(counts.ServiceUnavailable ?? 0).toBeGreaterThan(0);
    expect(arrivals.length).toBeGreaterThan(REQUESTS);
    expect(await slotItems(p)).toBeGreaterThanOrEqual(arrivals.length);
    expect(maxInWindow(arrivals, 1000)).toBeLessThanOrEqual(4);
    expect(counts.RateLimited ?? 0).toBe(0);
    expect(p.aws.backup.jobs).toHaveLength(REQUESTS);
  }, 90_000);

  it("lets the queue function's instances use the whole account budget while the others idle", async () => {
    // As deployed: 5 instances in all. Their static shares (1 a second each) would give the queue 2.
    const p = await start({
      env: { START_RESTORE_RATE_PER_SECOND: '5', START_RESTORE_INSTANCES: '5' },
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
  }, 90_000);
});

/** Slot items the pacer wrote to the local job table. */
async function slotItems(p: Awaited<ReturnType<ReturnType<typeof localPipelines>>>): Promise<number> {
  const items = await p.aws.dynamodb.items('restore-jobs');
  return items.filter((i) => String(i.restoreJobId?.S).startsWith('pace#')).length;
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
