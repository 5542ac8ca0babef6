/**
 * "Backlog drain": N queued requests plus N/10 "Restore Requested" events and N/50 alarms through
 * the local triggers (startLocalPipeline), the local endpoint throttling StartRestoreJob above 5
 * calls in any one-second window for the whole account. The functions run as deployed
 * (serverless.yml): the queue function's 2 instances, the event function's 2, the alarm
 * function's 1, each instance with its own clients and its own pacer; the pacers share the budget
 * (START_RESTORE_RATE_PER_SECOND) through slot items in the job table, never through memory.
 * Measures the starts a second achieved, the dead letters for throttling, every StartRestoreJob
 * call the endpoint saw (throttled ones included), and the pacer's writes. */

import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { EventBridgeEvent } from 'aws-lambda';
import { alarmEvent, alarmPoints, queuedRequest, SNAPSHOT } from '../local/chaos-backlog.js';
import { defaultSeed, startLocalPipeline } from '../local/pipeline.js';
import {
  crowdedWindows,
  maxInWindow,
  median,
  perSecond,
  ratePerSecond,
  type WindowExcess,
  windowExcess,
} from './stats.js';

/** AWS Backup's default StartRestoreJob quota: 5 calls a second per account and Region. */
export const QUOTA_PER_SECOND = 5;

/** Instances of each function that starts restores, as serverless.yml deploys them. */
export const DEPLOYED_INSTANCES = { queue: 2, event: 2, alarm: 1 } as const;
/** Every instance that starts restores, all functions together. */
export const START_RESTORE_INSTANCES =
  DEPLOYED_INSTANCES.queue + DEPLOYED_INSTANCES.event + DEPLOYED_INSTANCES.alarm;

/** The size of a drain: `backlog` queued requests, and events and alarms in proportion. */
export function drainSize(backlog: number): { queued: number; events: number; alarms: number } {
  return {
    queued: backlog,
    events: Math.max(1, Math.round(backlog / 10)),
    alarms: Math.max(1, Math.round(backlog / 50)),
  };
}

/** What a drain did. */
export interface DrainResult {
  size: { queued: number; events: number; alarms: number };
  /** START_RESTORE_RATE_PER_SECOND the handlers ran with: the account budget they share. */
  pace: number;
  /** Instances sharing the budget. */
  instances: number;
  jobs: number;
  expected: number;
  startsPerSecond: number;
  wallSeconds: number;
  /** StartRestoreJob calls the endpoint saw, throttled ones included. */
  attempts: number;
  throttled: number;
  /** The most calls in any one-second window (the endpoint's rule) and in any whole second. */
  busiestWindow: number;
  busiestSecond: number;
  /** StartRestoreJob calls in each whole second from the first call. */
  callsPerSecond: number[];
  /** Each one-second window above the quota: its calls, ms after the first of them. */
  crowdedWindows: number[][];
  /** How late each call came after the quota-th before it, beyond one second and the margin. */
  windowExcess: WindowExcess;
  /**
   * The pacers' work, from their metric lines: calls granted by priority, budget writes and reads,
   * and writes and reads per StartRestoreJob call; PutItem calls in all (job links included).
   */
  pacer: PacingTotals & { putItemCalls: number };
  /**
   * How late this process's timers ran during the drain (the handlers, their pacer and the
   * endpoint share it): a late timer releases several paced calls at once.
   */
  eventLoopDelayMs: { p99: number; max: number };
  deadLetters: number;
  throttlingDeadLetters: number;
  /** Seconds from an alarm's delivery to its job, behind the backlog: median and max. */
  alarmToJobSeconds: { median: number; max: number };
}

/** What the pacers' metric lines (src/metrics.ts pacingFields) add up to. */
export interface PacingTotals {
  calls: Record<string, number>;
  writes: number;
  reads: number;
  writesPerStart: number;
  readsPerStart: number;
}

/** A log sink that adds up the pacers' metric lines. */
export function pacingTally(): { sink: (line: string) => void; totals: () => PacingTotals } {
  const calls: Record<string, number> = {};
  let writes = 0;
  let reads = 0;
  return {
    sink: (line) => {
      if (!line.includes('"PacingWrites"')) return;
      const m = JSON.parse(line) as {
        Priority: string;
        StartRestoreCalls: number;
        PacingWrites: number;
        PacingReads: number;
      };
      calls[m.Priority] = (calls[m.Priority] ?? 0) + m.StartRestoreCalls;
      writes += m.PacingWrites;
      reads += m.PacingReads;
    },
    totals: () => {
      const all = Object.values(calls).reduce((a, b) => a + b, 0);
      return { calls: { ...calls }, writes, reads, writesPerStart: writes / all, readsPerStart: reads / all };
    },
  };
}

function restoreRequested(i: number): EventBridgeEvent<string, unknown> {
  return {
    version: '0',
    id: `bench-backlog-event-${i}`,
    'detail-type': 'Restore Requested',
    source: 'backup-restore.requests',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'eu-west-1',
    resources: [],
    detail: {
      RecoveryPointArn: SNAPSHOT,
      ResourceType: 'EBS',
      Metadata: { availabilityZone: 'eu-west-1a' },
      IdempotencyToken: `backlog-event-${i}`,
    },
  };
}

/** Queues the backlog, then sends the events and alarms while it is being worked off. */
async function submitAll(
  pipeline: Awaited<ReturnType<typeof startLocalPipeline>>,
  size: DrainResult['size'],
): Promise<{ delivered: Promise<unknown>[]; alarmsAt: number }> {
  for (let i = 0; i < size.queued; i++) {
    await pipeline.submit(queuedRequest(`backlog-queued-${i}`));
  }
  const delivered: Promise<unknown>[] = [];
  for (let i = 0; i < size.events; i++) delivered.push(pipeline.emit(restoreRequested(i)));
  const alarmsAt = Date.now();
  const at = new Date(alarmsAt).toISOString();
  for (let i = 0; i < size.alarms; i++) delivered.push(pipeline.emit(alarmEvent(i, at)));
  return { delivered, alarmsAt };
}

/** Drains a backlog of `backlog` queued requests (and events and alarms in proportion). */
export async function backlogDrain(
  backlog: number,
  pace: number,
  say: (line: string) => void = () => undefined,
  margin?: number,
): Promise<DrainResult> {
  const size = drainSize(backlog);
  const seed = defaultSeed();
  const tally = pacingTally();
  const pipeline = await startLocalPipeline({
    seed: { ...seed, recoveryPoints: [...seed.recoveryPoints, ...alarmPoints(size.alarms)] },
    faults: { StartRestoreJob: { rateLimitPerSecond: QUOTA_PER_SECOND } },
    env: {
      START_RESTORE_RATE_PER_SECOND: String(pace),
      ...(margin === undefined ? {} : { START_RESTORE_MARGIN_MS: String(margin) }),
    },
    logSink: tally.sink,
    instances: DEPLOYED_INSTANCES,
    visibilityTimeoutS: 30,
    restoreConcurrency: 10,
  });
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  try {
    const started = Date.now();
    const { delivered, alarmsAt } = await submitAll(pipeline, size);
    const expected = size.queued + size.events + size.alarms;
    const progress = setInterval(() => {
      say(`  ${pipeline.aws.backup.jobs.length} of ${expected} jobs started`);
    }, 15_000);
    try {
      await Promise.all(delivered);
      // Far more than the quota needs: a stall shows as a failed run, not a hang.
      await pipeline.runUntilIdle({ timeoutMs: 120_000 + (expected / QUOTA_PER_SECOND) * 3_000 });
    } finally {
      clearInterval(progress);
    }
    const jobs = pipeline.aws.backup.jobs;
    const created = jobs.map((j) => j.CreationDate);
    const attemptTimes = pipeline.aws.faults.arrivals.StartRestoreJob ?? [];
    const letters = pipeline.deadLetters();
    const alarmJobs = jobs
      .filter((j) => j.SourceResourceArn?.includes(':volume/vol-0bench') === true)
      .map((j) => (j.CreationDate - alarmsAt) / 1000);
    return {
      size,
      pace,
      instances: START_RESTORE_INSTANCES,
      jobs: jobs.length,
      expected,
      startsPerSecond: ratePerSecond(created),
      wallSeconds: (Date.now() - started) / 1000,
      attempts: attemptTimes.length,
      throttled: pipeline.aws.faults.counts.StartRestoreJob?.RateLimited ?? 0,
      busiestWindow: maxInWindow(attemptTimes, 1000),
      busiestSecond: Math.max(0, ...perSecond(attemptTimes)),
      callsPerSecond: perSecond(attemptTimes),
      crowdedWindows: crowdedWindows(attemptTimes, QUOTA_PER_SECOND),
      // Unset, the margin is the deployed default of START_RESTORE_MARGIN_MS (src/config.ts).
      windowExcess: windowExcess(attemptTimes, QUOTA_PER_SECOND, margin ?? 30),
      pacer: { ...tally.totals(), putItemCalls: pipeline.aws.faults.arrivals.PutItem?.length ?? 0 },
      eventLoopDelayMs: { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
      deadLetters: letters.length,
      throttlingDeadLetters: letters.filter((m) => /Throttl|Rate exceeded/.test(m.body)).length,
      alarmToJobSeconds: {
        median: median(alarmJobs),
        max: alarmJobs.length === 0 ? Number.NaN : Math.max(...alarmJobs),
      },
    };
  } finally {
    loopDelay.disable();
    await pipeline.close();
  }
}
