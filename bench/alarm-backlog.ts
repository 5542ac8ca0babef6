/**
 * "Alarm to job accepted, behind a backlog": the functions as deployed (backlog.ts), every AWS
 * Backup and SQS call answering in 100 ms and DynamoDB in 10 ms, StartRestoreJob throttled above
 * the quota. Paired in one run: A, an alarm while the queue function drains `backlog` queued
 * requests; B, an alarm while the queue's event source is stopped (the same pipeline idle). Each
 * is the time from the alarm's emit to the end of its invocation (job accepted and linked).
 */

import type { EventBridgeEvent } from 'aws-lambda';
import { alarmEvent, alarmPoints, queuedRequest } from '../local/chaos-backlog.js';
import type { FaultPlan } from '../local/faults.js';
import { defaultSeed, startLocalPipeline } from '../local/pipeline.js';
import { ALARM_LATENCIES } from './alarm.js';
import { DEPLOYED_INSTANCES, QUOTA_PER_SECOND } from './backlog.js';
import { type Paired, runPaired } from './stats.js';

/** The fault plan: the alarm measure's latencies, and AWS's quota on StartRestoreJob. */
export const BACKLOG_ALARM_FAULTS: FaultPlan = {
  ...ALARM_LATENCIES,
  StartRestoreJob: { latencyMs: 100, rateLimitPerSecond: QUOTA_PER_SECOND },
};

/** What the measure found. */
export interface BacklogAlarmResult {
  paired: Paired;
  /** Requests still queued when each A alarm was emitted (the backlog it waited behind). */
  queuedAtAlarm: number[];
  throttled: number;
}

/** Runs `pairs` pairs (alarm behind `backlog` queued requests, alarm with the queue idle). */
export async function alarmBehindBacklog(
  pairs: number,
  backlog: number,
  say: (line: string) => void = () => undefined,
  margin?: number,
): Promise<BacklogAlarmResult> {
  const seed = defaultSeed();
  const pipeline = await startLocalPipeline({
    seed: { ...seed, recoveryPoints: [...seed.recoveryPoints, ...alarmPoints(2 * pairs + 2)] },
    faults: BACKLOG_ALARM_FAULTS,
    env: {
      START_RESTORE_RATE_PER_SECOND: String(QUOTA_PER_SECOND),
      ...(margin === undefined ? {} : { START_RESTORE_MARGIN_MS: String(margin) }),
    },
    instances: DEPLOYED_INSTANCES,
    visibilityTimeoutS: 30,
    restoreConcurrency: 10,
    // Jobs end at once: each alarm finds no restore of its resource running.
    jobEvents: { lossRate: 0, duplicateRate: 0, maxDelayMs: 0 },
  });
  try {
    for (let i = 0; i < backlog; i++) await pipeline.submit(queuedRequest(`alarm-backlog-${i}`));
    let n = 0;
    const queued: number[] = [];
    const alarmOnce = async (): Promise<number> => {
      const event = alarmEvent(n++, new Date().toISOString()) as EventBridgeEvent<string, unknown>;
      const jobs = pipeline.aws.backup.jobs.length;
      const t0 = performance.now();
      const result = await pipeline.emit(event);
      const ms = performance.now() - t0;
      if (result !== 'succeeded' || pipeline.aws.backup.jobs.length <= jobs)
        throw new Error(`The alarm started no job (${result})`);
      return ms;
    };
    const behind = async () => {
      queued.push(pipeline.aws.sqs.queues.get('restore-requests')?.messages.length ?? 0);
      return alarmOnce();
    };
    const idle = async () => {
      await pipeline.source.stop();
      try {
        return await alarmOnce();
      } finally {
        pipeline.source.start();
        // Let the queue function take the budget again before the next alarm behind it.
        await new Promise((resolve) => setTimeout(resolve, 2_000));
      }
    };
    // The backlog builds up in the pollers first.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const paired = await runPaired(pairs, behind, idle);
    say(`  ${pipeline.aws.backup.jobs.length} jobs started; ${queued.at(-1)} still queued at the last alarm`);
    return {
      paired,
      queuedAtAlarm: queued,
      throttled: pipeline.aws.faults.counts.StartRestoreJob?.RateLimited ?? 0,
    };
  } finally {
    await pipeline.source.stop();
    await pipeline.close();
  }
}
