/**
 * The drills campaign of `npm run chaos`: drills, alarms and recoveries for the same resources at
 * once, with the job table faulted (errors, and about half the PutItem answers lost after the
 * write), then the drill cleanup run until it has nothing left to do. It counts:
 * - resources deleted that no drill created (the source volumes, a decoy bucket named like a
 *   restore, and every recovery's restored volume): must be 0;
 * - recoveries (alarms, requests for real) neither started nor dead-lettered: must be 0;
 * - second restores (a request started twice; two alarm restores of one resource at once; a
 *   recovery folded into a drill's job): must be 0;
 * - requests lost (no job and no letter): must be 0.
 *
 *   npm run chaos            runs it after the main campaign
 *   npx tsx local/chaos-drills.ts --resources 12 --seed 3
 */

import { EC2Client } from '@aws-sdk/client-ec2';
import { EFSClient } from '@aws-sdk/client-efs';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import type { EventBridgeEvent } from 'aws-lambda';
import { cleanupDueDrills } from '../src/drills/cleanup.js';
import { drillOf } from '../src/drills/drill.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { type JobLink, linkFromItem } from '../src/table/links.js';
import { ebsVolumeAlarm } from './alarm-event.js';
import type { BackupSeed } from './backup-service.js';
import type { FaultPlan, FaultSpec } from './faults.js';
import {
  ACCOUNT,
  defaultSeed,
  type LocalPipeline,
  REGION,
  RESTORE_JOBS_TABLE,
  startLocalPipeline,
} from './pipeline.js';
import { localS3ControlClient } from './resources/s3.js';
import { localClientConfig } from './setup.js';
import { sleep } from './time.js';

/** What the drills campaign found. */
export interface DrillChaosTally {
  resources: number;
  drills: number;
  recoveries: number;
  alarms: number;
  forgedDrills: number;
  jobs: number;
  drillJobs: number;
  deadLetters: number;
  cleanedUp: number;
  deletedNotByDrill: number;
  silentSkips: number;
  secondRestores: number;
  lost: number;
  problems: string[];
  seconds: number;
}

/** The job table loses about half its PutItem answers (the write done) and fails a share of calls. */
const TABLE_FAULTS: FaultSpec = { errorRates: { ServiceUnavailable: 0.1, LostResponse: 0.45 } };
const READ_FAULTS: FaultSpec = { errorRates: { ServiceUnavailable: 0.1, LostResponse: 0.1 } };
export const DRILL_CHAOS_FAULTS: FaultPlan = {
  PutItem: TABLE_FAULTS,
  GetItem: READ_FAULTS,
  UpdateItem: READ_FAULTS,
  Scan: READ_FAULTS,
};

const DECOY_BUCKET = 'orders-data-r0a1b2c3';
/** A seeded S3 recovery point: a drill of it that names the decoy would restore into the decoy. */
const S3_POINT = `arn:aws:backup:${REGION}:${ACCOUNT}:recovery-point:7a9e0c4b-5d2f-4e1a-8b3c-9d0e1f2a3b4c`;
const volumeId = (i: number) => `vol-0d1a${String(i).padStart(13, '0')}`;
const volumeArn = (i: number) => `arn:aws:ec2:${REGION}:${ACCOUNT}:volume/${volumeId(i)}`;

/** The default seed, and one snapshot for each of `n` volumes. */
function seedFor(n: number): BackupSeed {
  const seed = defaultSeed();
  const template = seed.recoveryPoints.find((p) => p.ResourceType === 'EBS');
  if (template === undefined) throw new Error('the seed has no EBS recovery point');
  for (let i = 0; i < n; i++) {
    seed.recoveryPoints.push({
      ...template,
      RecoveryPointArn: `arn:aws:ec2:${REGION}::snapshot/snap-0d1a${String(i).padStart(13, '0')}`,
      ResourceArn: volumeArn(i),
    });
  }
  // Jobs long enough for the drills to be running when the alarms come.
  return { ...seed, timing: { runningAfterMs: 100, doneAfterMs: 1500 } };
}

/** An opted-in alarm on volume `i` (EventBridge), named `name`. */
function alarmEvent(name: string, i: number, minute: number): EventBridgeEvent<string, unknown> {
  return ebsVolumeAlarm({
    id: `chaos-drills-${name}`,
    name,
    volumeId: volumeId(i),
    time: '2026-11-26T10:00:01Z',
    stateAt: `2026-11-26T10:${String(minute).padStart(2, '0')}:00.000+0000`,
    previousAt: '2026-11-26T08:00:00.000+0000',
    account: ACCOUNT,
    region: REGION,
  });
}

/** What was sent, each with the text that finds it in a link's original or a letter. */
interface Sent {
  readonly kind: 'drill' | 'recovery' | 'alarm' | 'forged-drill';
  readonly resource: number;
  readonly marker: string;
}

/** Sends, for every resource at once: a drill, a recovery for real with the drill's token, two alarms, a forged drill. */
async function sendAll(p: LocalPipeline, n: number): Promise<Sent[]> {
  const sent: Sent[] = [];
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const token = `chaos-drill-token-${i}`;
    const drill = JSON.stringify({
      ResourceArn: volumeArn(i),
      IdempotencyToken: token,
      Drill: { DeleteAfterHours: 1 },
    });
    const real = JSON.stringify({ IdempotencyToken: token, ResourceArn: volumeArn(i) });
    const forged = JSON.stringify({
      RecoveryPointArn: S3_POINT,
      ResourceType: 'S3',
      Metadata: { DestinationBucketName: DECOY_BUCKET, NewBucket: 'false', chaosForged: String(i) },
      Drill: { DeleteAfterHours: 0 },
    });
    const viaEvent = alarmEvent(`restore-chaos-drills-a${i}`, i, 10 + (i % 40));
    const viaQueue = alarmEvent(`restore-chaos-drills-b${i}`, i, 11 + (i % 40));
    sent.push(
      { kind: 'drill', resource: i, marker: drill },
      { kind: 'recovery', resource: i, marker: real },
      { kind: 'forged-drill', resource: i, marker: `"chaosForged":"${i}"` },
      { kind: 'alarm', resource: i, marker: `restore-chaos-drills-a${i}"` },
      { kind: 'alarm', resource: i, marker: `restore-chaos-drills-b${i}"` },
    );
    sends.push(p.submit(drill), p.submit(forged), p.emit(viaEvent));
    // The recovery and the second alarm a moment later, while the drill may be running.
    sends.push(
      sleep(150 + (i % 5) * 50).then(() =>
        Promise.all([
          p.submit(real),
          p.submit({
            requestContext: {},
            requestPayload: viaQueue,
            responseContext: {},
            responsePayload: {},
          }),
        ]),
      ),
    );
  }
  await Promise.all(sends);
  return sent;
}

/** Every job link in the table. */
async function links(p: LocalPipeline): Promise<JobLink[]> {
  const items = await p.aws.dynamodb.items(RESTORE_JOBS_TABLE);
  return items
    .filter((item) => item.trigger !== undefined && item.fingerprint !== undefined)
    .map((item) => linkFromItem(item as never));
}

/** Runs the cleanup (two hours ahead: every 1-hour drill is due) until a run changes nothing. */
async function cleanUp(p: LocalPipeline): Promise<number> {
  const config = localClientConfig(p.aws.url, REGION);
  const clients = {
    ddb: p.deps.ddb,
    rds: () => new RDSClient(config),
    ec2: () => new EC2Client(config),
    efs: () => new EFSClient(config),
    s3: () => new S3Client(config),
    s3control: () => localS3ControlClient(p.aws.url, REGION),
  };
  const deps = {
    ddb: p.deps.ddb,
    backup: p.deps.backup,
    sqs: p.deps.sqs,
    clients,
    config: { restoreJobsTable: RESTORE_JOBS_TABLE, deadLetterQueueUrl: p.deadLetterQueueUrl },
    logger: createLogger({ sink: () => undefined }),
    metrics: createMetrics(() => undefined),
    now: () => new Date(Date.now() + 2 * 3_600_000),
  };
  let deleted = 0;
  for (let run = 0; run < 12; run++) {
    const counts = await cleanupDueDrills(deps).catch(() => undefined);
    if (counts === undefined) continue;
    deleted += counts.deleted;
    // Tagged on one run, deleted on the next (or a retry): stop once a run does nothing.
    if (counts.tagged + counts.deleted + counts.retry === 0 && run > 1) break;
    await sleep(250);
  }
  return deleted;
}

/** Runs the drills campaign. */
export async function runDrillChaos(options: {
  resources?: number;
  seed?: number;
  progress?: (line: string) => void;
}): Promise<DrillChaosTally> {
  const started = Date.now();
  const n = options.resources ?? 12;
  const say = options.progress ?? (() => undefined);
  let s = (options.seed ?? 1) >>> 0;
  const random = () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
  const p = await startLocalPipeline({
    seed: seedFor(n),
    faults: DRILL_CHAOS_FAULTS,
    random,
    visibilityTimeoutS: 2,
    maxReceiveCount: 5,
    pollers: 2,
    restoreConcurrency: 6,
    asyncRetryDelaysMs: [100, 200],
  });
  try {
    // What no drill created: the source volumes and a bucket named like a restore.
    const store = p.aws.resources.store;
    for (let i = 0; i < n; i++)
      store.put({ kind: 'volume', id: volumeId(i), arn: volumeArn(i), sizeGiB: 100 });
    store.put({
      kind: 'bucket',
      id: DECOY_BUCKET,
      arn: `arn:aws:s3:::${DECOY_BUCKET}`,
      objects: ['orders.csv'],
    });
    const preExisting = new Set([...store.list('volume'), ...store.list('bucket')].map((r) => r.arn));
    say(
      `drills campaign: ${n} resources, each with a drill, a recovery for real, two alarms and a forged drill, at once`,
    );
    const sent = await sendAll(p, n);
    await p.runUntilIdle({ timeoutMs: 600_000 });
    return await account(p, preExisting, sent, n, started, say);
  } finally {
    await p.close();
  }
}

/** Per request: a forged drill that started, a request that started two jobs, or one with no job and no letter. */
function accountRequests(
  all: readonly JobLink[],
  letters: readonly string[],
  sent: readonly Sent[],
  problems: string[],
): { silentSkips: number; lost: number; secondRestores: number } {
  const originalText = (l: JobLink) => JSON.stringify(l.original);
  let silentSkips = 0;
  let lost = 0;
  let secondRestores = 0;
  for (const request of sent) {
    const jobs = all.filter(
      (l) =>
        originalText(l).includes(JSON.stringify(request.marker).slice(1, -1)) ||
        originalText(l).includes(request.marker),
    );
    const lettered = letters.some(
      (b) => b.includes(JSON.stringify(request.marker).slice(1, -1)) || b.includes(request.marker),
    );
    if (request.kind === 'forged-drill' && jobs.length > 0)
      problems.push(`a drill naming an existing bucket started (resource ${request.resource})`);
    if (jobs.length > 1) {
      secondRestores += jobs.length - 1;
      problems.push(`${request.kind} of resource ${request.resource} started ${jobs.length} jobs`);
    }
    if (jobs.length === 0 && !lettered) {
      if (request.kind === 'alarm' || request.kind === 'recovery') silentSkips += 1;
      lost += 1;
      problems.push(`${request.kind} of resource ${request.resource}: no job and no letter`);
    }
  }
  return { silentSkips, lost, secondRestores };
}

/** Alarm restores of one resource that ran at the same time as another (or a recovery answered with a drill's job). */
function overlappingAlarmRestores(
  p: LocalPipeline,
  byJob: ReadonlyMap<string, JobLink>,
  n: number,
  problems: string[],
): number {
  let overlaps = 0;
  for (let i = 0; i < n; i++) {
    const alarmJobs = p.aws.backup.jobs.filter((j) => {
      const link = byJob.get(j.RestoreJobId);
      return j.SourceResourceArn === volumeArn(i) && link?.original.trigger === 'eventbridge';
    });
    const overlapping = alarmJobs.filter((a, k) =>
      alarmJobs.some((b, m) => m < k && a.CreationDate < (b.CompletionDate ?? Number.POSITIVE_INFINITY)),
    );
    overlaps += overlapping.length;
    if (overlapping.length > 0) problems.push(`two alarm restores of resource ${i} ran at once`);
  }
  return overlaps;
}

/** Counts what the campaign did, cleanup included. */
async function account(
  p: LocalPipeline,
  preExisting: ReadonlySet<string>,
  sent: readonly Sent[],
  n: number,
  started: number,
  say: (line: string) => void,
): Promise<DrillChaosTally> {
  const problems: string[] = [];
  const all = await links(p);
  const byJob = new Map(all.map((l) => [l.restoreJobId, l]));
  const drillJob = (jobId: string) => {
    const link = byJob.get(jobId);
    return link !== undefined && drillOf(link.original) !== undefined;
  };
  // Every resource alive before the cleanup, and which were a drill's.
  const before = [...p.aws.resources.store.list('volume'), ...p.aws.resources.store.list('bucket')];
  const createdBy = new Map(p.aws.backup.jobs.map((j) => [j.CreatedResourceArn ?? '', j.RestoreJobId]));
  say('  requests drained; running the drill cleanup...');
  const cleanedUp = await cleanUp(p);
  const deletedNotByDrill = before.filter((r) => {
    if (p.aws.resources.store.byArn(r.arn) !== undefined) return false;
    const job = createdBy.get(r.arn);
    // What existed before the campaign was created by nothing the campaign started.
    const mine = job !== undefined && drillJob(job) && !preExisting.has(r.arn);
    if (!mine) problems.push(`${r.arn} was deleted, and no drill created it`);
    return !mine;
  }).length;
  const letters = p.deadLetters().map((m) => m.body);
  const { silentSkips, lost, secondRestores: secondJobs } = accountRequests(all, letters, sent, problems);
  const secondRestores = secondJobs + overlappingAlarmRestores(p, byJob, n, problems);
  const drillJobs = p.aws.backup.jobs.filter((j) => drillJob(j.RestoreJobId)).length;
  const count = (kind: Sent['kind']) => sent.filter((r) => r.kind === kind).length;
  return {
    resources: n,
    drills: count('drill'),
    recoveries: count('recovery'),
    alarms: count('alarm'),
    forgedDrills: count('forged-drill'),
    jobs: p.aws.backup.jobs.length,
    drillJobs,
    deadLetters: letters.length,
    cleanedUp,
    deletedNotByDrill,
    silentSkips,
    secondRestores,
    lost,
    problems,
    seconds: (Date.now() - started) / 1000,
  };
}

/** The tally as lines for a person. */
export function formatDrillTally(t: DrillChaosTally): string {
  return [
    `drills campaign     ${t.resources} resources: ${t.drills} drills, ${t.recoveries} recoveries for real, ${t.alarms} alarms, ${t.forgedDrills} drills naming an existing bucket`,
    `restore jobs        ${t.jobs} (${t.drillJobs} drills)`,
    `dead letters        ${t.deadLetters}`,
    `drill resources deleted by the cleanup  ${t.cleanedUp}`,
    `deleted, not a drill's   ${t.deletedNotByDrill}`,
    `recoveries skipped without a letter  ${t.silentSkips}`,
    `second restores     ${t.secondRestores}`,
    `lost                ${t.lost}`,
    `time                ${t.seconds.toFixed(1)} s`,
  ].join('\n');
}

/** True when the campaign met every bar. */
export function drillChaosOk(t: DrillChaosTally): boolean {
  return (
    t.deletedNotByDrill === 0 &&
    t.silentSkips === 0 &&
    t.secondRestores === 0 &&
    t.lost === 0 &&
    t.problems.length === 0
  );
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const value = (name: string, fallback: number) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  runDrillChaos({
    resources: value('--resources', 12),
    seed: value('--seed', 1),
    progress: (l) => console.log(l),
  })
    .then((t) => {
      console.log(`\n${formatDrillTally(t)}`);
      for (const problem of t.problems.slice(0, 20)) console.log(`problem: ${problem}`);
      process.exit(drillChaosOk(t) ? 0 : 1);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
