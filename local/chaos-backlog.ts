/**
 * `npm run chaos -- --backlog`: alarms during a backlog, with the job table cut off from one
 * instance. The functions run as deployed (the queue function's 2 instances, the event function's
 * 2, the alarm function's 1, each with its own pacer), plus one more instance of the queue
 * function whose every DynamoDB call fails (cut off from the table: it can take no call of the
 * budget, so it must give its requests back, never guess). StartRestoreJob is throttled above 5
 * calls in any one-second window. While `requests` queued requests drain, `alarms` alarms go off
 * one after another. It checks: 0 throttled calls, the busiest second within the quota, each
 * alarm's job accepted before all but the next ALARM_BEHIND calls of the queue, and 0 lost (every request
 * started once or dead-lettered with a reason).
 *
 *   npm run chaos -- --backlog                       300 queued requests, 8 alarms
 *   npm run chaos -- --backlog --requests 1000 --alarms 20
 */

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeEvent } from 'aws-lambda';
import { createHandler as createQueueHandler } from '../handlers/restore-from-queue.js';
import { depsFromEnv } from '../src/wiring/restore.js';
import { ebsVolumeAlarm } from './alarm-event.js';
import type { SeedRecoveryPoint } from './backup-service.js';
import { SqsEventSource } from './event-source.js';
import { ACCOUNT, defaultSeed, REGION, REQUEST_QUEUE, startLocalPipeline } from './pipeline.js';

/** The recovery point every queued request restores. */
export const SNAPSHOT = 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718';
const volume = (i: number) => `vol-0bench${String(i).padStart(8, '0')}`;

/** A queued restore request of the backlog. */
export function queuedRequest(token: string): object {
  return {
    RecoveryPointArn: SNAPSHOT,
    ResourceType: 'EBS',
    Metadata: { availabilityZone: 'eu-west-1a' },
    IdempotencyToken: token,
  };
}

/** One EBS volume per alarm, each with one COMPLETED recovery point. */
export function alarmPoints(alarms: number): SeedRecoveryPoint[] {
  return Array.from({ length: alarms }, (_, i) => ({
    RecoveryPointArn: `arn:aws:ec2:eu-west-1::snapshot/snap-0bench${String(i).padStart(8, '0')}`,
    BackupVaultName: 'Default',
    ResourceArn: `arn:aws:ec2:eu-west-1:123456789012:volume/${volume(i)}`,
    ResourceType: 'EBS',
    CreationDate: '2026-11-26T03:00:00Z',
    Status: 'COMPLETED',
    RestoreMetadata: { availabilityZone: 'eu-west-1a', volumeType: 'gp3', volumeSize: '100' },
  }));
}

/** Alarm `i` (on volume `i` of alarmPoints) going into ALARM at `at`. */
export function alarmEvent(i: number, at: string): EventBridgeEvent<string, unknown> {
  const name = `restore-bench-volume-${i}`;
  return ebsVolumeAlarm({
    id: `bench-backlog-alarm-${i}-${at}`,
    name,
    volumeId: volume(i),
    time: at,
    stateAt: at,
    previousAt: at,
  });
}

/** What the campaign found. */
export interface BacklogChaosTally {
  requests: number;
  alarms: number;
  jobs: number;
  /** Requests with no job and no dead letter, and requests with two jobs. */
  lost: number;
  duplicates: number;
  deadLetters: number;
  throttled: number;
  busiestWindow: number;
  /** Per alarm: seconds from its emit to its job, and queued requests started in between. */
  alarmWaits: { seconds: number; queuedStartsBefore: number }[];
  /** Records the cut-off instance handled, all given back (it started nothing). */
  cutOffRecords: number;
  seconds: number;
  problems: string[];
}

/** Options of a campaign. */
export interface BacklogChaosOptions {
  requests: number;
  alarms: number;
  progress?: (line: string) => void;
}

const QUOTA = 5;
/** The pacers' margin in the campaign: the local way to the endpoint, not AWS's (see its use). */
const LOCAL_MARGIN_MS = 300;
/**
 * Queued starts an alarm may follow once its call is asked for: the owner's batch already granted
 * (two calls at most, src/pacing/pacer.ts) and one more batch when the owner's write wins the race
 * with the alarm's (the alarm then takes the next free call after it). Without priority an alarm
 * waits for the owner's run to end: up to runLength (20) starts.
 */
export const ALARM_BEHIND = 4;

/** The most calls in any window of `ms` (the local endpoint's rule). */
function busiest(times: readonly number[], ms = 1000): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let last = 0, first = 0; last < sorted.length; last++) {
    while ((sorted[last] as number) - (sorted[first] as number) >= ms) first++;
    best = Math.max(best, last - first + 1);
  }
  return best;
}

/** A log sink noting when each volume's recovery point was chosen (its StartRestoreJob is next). */
function askedAt(asked: Map<string, number>): (line: string) => void {
  return (line) => {
    if (!line.includes('Recovery point chosen')) return;
    const volumeId = /volume\/(vol-0bench\d+)/.exec(line)?.[1];
    if (volumeId !== undefined && !asked.has(volumeId)) asked.set(volumeId, Date.now());
  };
}

/** Runs the campaign. */
export async function runBacklogChaos(options: BacklogChaosOptions): Promise<BacklogChaosTally> {
  const started = Date.now();
  const seed = defaultSeed();
  const asked = new Map<string, number>();
  const pipeline = await startLocalPipeline({
    logSink: askedAt(asked),
    seed: { ...seed, recoveryPoints: [...seed.recoveryPoints, ...alarmPoints(options.alarms)] },
    faults: { StartRestoreJob: { rateLimitPerSecond: QUOTA } },
    // The margin covers the way to AWS (docs/performance.md#the-margin). Here every function
    // shares one event loop with the endpoint: a pause of it (a collection, a busy machine)
    // delays a released call on its way far more than a network hop; the strict local window counted
    // 6 calls in one second (3 runs in 6 under random pauses of up to 150 ms at 30 ms; 0 in 6 at 300).
    env: { START_RESTORE_RATE_PER_SECOND: String(QUOTA), START_RESTORE_MARGIN_MS: String(LOCAL_MARGIN_MS) },
    instances: { queue: 2, event: 2, alarm: 1 },
    visibilityTimeoutS: 5,
    // A request given back by the cut-off instance comes again; 10 receives make a dead letter
    // for that alone unlikely (each receive goes to it about one time in three).
    maxReceiveCount: 10,
    restoreConcurrency: 10,
  });
  // One more queue instance, cut off from the table: every DynamoDB call fails as a timeout would.
  const cut = depsFromEnv(pipeline.env, () => undefined);
  let cutOffRecords = 0;
  (cut.ddb as DynamoDBClient).middlewareStack.add(
    () => async () => {
      throw Object.assign(new Error('connect ETIMEDOUT (the job table is cut off from this instance)'), {
        name: 'TimeoutError',
      });
    },
    { step: 'initialize', name: 'chaosCutOff' },
  );
  const queueHandler = createQueueHandler(cut);
  const cutSource = new SqsEventSource({
    sqs: pipeline.sqs,
    queueUrl: pipeline.requestQueueUrl,
    queueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${REQUEST_QUEUE}`,
    region: REGION,
    functionName: 'restoreFromQueue',
    handler: async (event, context) => {
      cutOffRecords += event.Records.length;
      return queueHandler(event, context);
    },
    pollers: 1,
  });
  cutSource.start();
  const problems: string[] = [];
  try {
    for (let i = 0; i < options.requests; i++) await pipeline.submit(queuedRequest(`chaos-backlog-${i}`));
    const alarmWaits = await alarmsDuringBacklog(pipeline, options, problems, asked);
    await pipeline.runUntilIdle({ timeoutMs: 120_000 + options.requests * 1_000 });
    return tally(pipeline, options, { alarmWaits, cutOffRecords, started, problems });
  } finally {
    await cutSource.stop();
    cut.ddb.destroy();
    cut.backup.destroy();
    await pipeline.close();
  }
}

/** Alarms one after another while the backlog drains: how long each waited, and behind what. */
async function alarmsDuringBacklog(
  pipeline: Awaited<ReturnType<typeof startLocalPipeline>>,
  options: BacklogChaosOptions,
  problems: string[],
  asked: ReadonlyMap<string, number>,
): Promise<BacklogChaosTally['alarmWaits']> {
  const waits: BacklogChaosTally['alarmWaits'] = [];
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  for (let i = 0; i < options.alarms; i++) {
    const emitted = Date.now();
    const outcome = await pipeline.emit(alarmEvent(i, new Date(emitted).toISOString()));
    const jobs = pipeline.aws.backup.jobs;
    const job = jobs.find((j) => j.SourceResourceArn?.endsWith(volume(i)));
    if (outcome !== 'succeeded' || job === undefined) {
      problems.push(`alarm ${i} started no job (${outcome})`);
      continue;
    }
    // Counted from the moment the alarm's call was asked for (its point chosen, the call next):
    // what the alarm function did before that is not the budget's to speed up, and on a busy
    // machine it alone would let a few queued starts through.
    const from = asked.get(volume(i)) ?? emitted;
    const queuedStartsBefore = jobs.filter(
      (j) =>
        j.CreationDate > from &&
        j.CreationDate < job.CreationDate &&
        !j.SourceResourceArn?.includes('vol-0bench'),
    ).length;
    waits.push({ seconds: (job.CreationDate - emitted) / 1000, queuedStartsBefore });
    options.progress?.(
      `  alarm ${i}: job in ${((job.CreationDate - emitted) / 1000).toFixed(2)} s, ${queuedStartsBefore} queued starts before it`,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return waits;
}

function tally(
  pipeline: Awaited<ReturnType<typeof startLocalPipeline>>,
  options: BacklogChaosOptions,
  found: Pick<BacklogChaosTally, 'alarmWaits' | 'cutOffRecords' | 'problems'> & { started: number },
): BacklogChaosTally {
  const jobs = pipeline.aws.backup.jobs;
  const letters = pipeline.deadLetters();
  const perToken = new Map<string, number>();
  for (const j of jobs) {
    const token = (j as { IdempotencyToken?: string }).IdempotencyToken ?? '';
    perToken.set(token, (perToken.get(token) ?? 0) + 1);
  }
  let lost = 0;
  let duplicates = 0;
  for (let i = 0; i < options.requests; i++) {
    const token = `chaos-backlog-${i}`;
    const n = perToken.get(token) ?? 0;
    if (n > 1) duplicates += 1;
    if (n === 0 && !letters.some((l) => l.body.includes(token))) lost += 1;
  }
  const arrivals = pipeline.aws.faults.arrivals.StartRestoreJob ?? [];
  const problems = [...found.problems];
  const late = found.alarmWaits.filter((w) => w.queuedStartsBefore > ALARM_BEHIND);
  if (late.length > 0)
    problems.push(`${late.length} alarms waited behind more than ${ALARM_BEHIND} queued starts`);
  return {
    requests: options.requests,
    alarms: options.alarms,
    jobs: jobs.length,
    lost,
    duplicates,
    deadLetters: letters.length,
    throttled: pipeline.aws.faults.counts.StartRestoreJob?.RateLimited ?? 0,
    busiestWindow: busiest(arrivals),
    alarmWaits: found.alarmWaits,
    cutOffRecords: found.cutOffRecords,
    seconds: (Date.now() - found.started) / 1000,
    problems,
  };
}

/** The campaign's verdict: 0 throttled, within the quota, alarms first, 0 lost. */
export function backlogChaosOk(t: BacklogChaosTally): boolean {
  return (
    t.throttled === 0 &&
    t.busiestWindow <= QUOTA &&
    t.lost === 0 &&
    t.duplicates === 0 &&
    t.alarmWaits.length === t.alarms &&
    t.problems.length === 0
  );
}

/** The tally, one line a figure. */
export function formatBacklogTally(t: BacklogChaosTally): string {
  const waits = t.alarmWaits.map((w) => w.seconds).sort((a, b) => a - b);
  return [
    `requests            ${t.requests} queued, ${t.alarms} alarms during the backlog`,
    `jobs                ${t.jobs}; dead letters ${t.deadLetters}; lost ${t.lost}; started twice ${t.duplicates}`,
    `StartRestoreJob     ${t.throttled} throttled; busiest second ${t.busiestWindow} (quota ${QUOTA})`,
    `alarms              job in ${waits[0]?.toFixed(2)} to ${waits.at(-1)?.toFixed(2)} s (median ${waits[Math.floor(waits.length / 2)]?.toFixed(2)} s); queued starts before each: ${t.alarmWaits.map((w) => w.queuedStartsBefore).join(' ')}`,
    `cut-off instance    ${t.cutOffRecords} records received, all given back`,
    `time                ${t.seconds.toFixed(1)} s`,
  ].join('\n');
}

/** `npm run chaos -- --backlog [--requests N] [--alarms N]`. */
export async function backlogChaosMain(argv: readonly string[]): Promise<boolean> {
  const value = (name: string, fallback: number) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const t = await runBacklogChaos({
    requests: value('--requests', 300),
    alarms: value('--alarms', 8),
    progress: (line) => console.log(line),
  });
  console.log(`\n${formatBacklogTally(t)}`);
  for (const p of t.problems) console.log(`problem: ${p}`);
  const ok = backlogChaosOk(t);
  console.log(ok ? '\nAlarms first, within the quota, every request accounted for.' : '\nFAILED.');
  return ok;
}
