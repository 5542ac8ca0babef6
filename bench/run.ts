/**
 * `npm run bench`: the pipeline's own cost against a baseline measured in the same run, the time
 * from an alarm to an accepted job, and the drain of a backlog under AWS Backup's quota. Prints a
 * table and writes bench/results.json.
 *
 * Every comparison is paired: candidate and baseline run in turn (A B A B ...), each pair gives a
 * ratio, and a row shows the min, median and max of its ratios; a target is met on the median.
 *
 *   npm run bench                      about six minutes (a drain of 150 queued requests; the alarm
 *                                      measured behind 1,000 queued)
 *   npm run bench -- --backlog 1000    the full drain of 1,000 + 100 events + 20 alarms (about 10 min)
 *   npm run bench -- --pace 5          START_RESTORE_RATE_PER_SECOND of the drain (the budget)
 *   npm run bench -- --margin 20       START_RESTORE_MARGIN_MS of the pacers (default: the deployed 30)
 *   npm run bench -- --only cpu,alarm  only these measures; writes nothing (with --merge: replaces
 *                                      those rows of bench/results.json, and says so under `runs`)
 *   npm run bench -- --quick           a smoke run with tiny counts (used by npm test); writes nothing
 */

import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startLocalAws } from '../local/endpoint.js';
import { defaultSeed, OPERATOR_ROLE, RESTORE_ROLE } from '../local/pipeline.js';
import { createRestoreJobsTable } from '../local/setup.js';
import { type AlarmResult, alarmToJob, BACKUP_LATENCY_MS, criticalPath } from './alarm.js';
import { alarmBehindBacklog } from './alarm-backlog.js';
import { backlogDrain, QUOTA_PER_SECOND, START_RESTORE_INSTANCES } from './backlog.js';
import { buildBundles, type Entry } from './build.js';
import { type FaultyRun, faultyPacers } from './pacers.js';
import { median, runPaired, spread } from './stats.js';

/** Sizes of a run. */
export interface BenchSizes {
  coldStartPairs: number;
  cpuRequests: number;
  cpuPairs: number;
  memoryRequests: number;
  memoryPairs: number;
  batchPairs: number;
  alarmPairs: number;
  /** Pairs of alarms behind a backlog and alarms with the queue idle, and the backlog they wait behind. */
  backlogAlarmPairs: number;
  backlogAlarmQueued: number;
  /** Seconds of each run of five pacers with a fault (one cut off; clocks 250 ms apart). */
  faultSeconds: number;
  /** Queued requests of the drain (events and alarms in proportion: N/10, N/50). */
  backlog: number;
  /** START_RESTORE_RATE_PER_SECOND of the drain: the account budget every instance shares. */
  pace: number;
  /** START_RESTORE_MARGIN_MS of the drain, the alarms behind it and the faulty pacers (default: the deployed one). */
  margin?: number;
  /** Only these measures (bundle, coldstart, cpu, memory, batch, alarm, backlog-alarm, faults, drain); all when absent. */
  only?: readonly string[];
}

export const FULL: BenchSizes = {
  coldStartPairs: 15,
  cpuRequests: 5_000,
  cpuPairs: 5,
  memoryRequests: 1_000,
  memoryPairs: 5,
  batchPairs: 5,
  alarmPairs: 15,
  backlogAlarmPairs: 7,
  backlogAlarmQueued: 1000,
  faultSeconds: 10,
  backlog: 150,
  pace: 5,
};
export const QUICK: BenchSizes = {
  coldStartPairs: 2,
  cpuRequests: 200,
  cpuPairs: 2,
  memoryRequests: 100,
  memoryPairs: 2,
  batchPairs: 2,
  alarmPairs: 2,
  backlogAlarmPairs: 1,
  backlogAlarmQueued: 30,
  faultSeconds: 2,
  backlog: 10,
  pace: 5,
};

/** One row of the results table. */
export interface Row {
  measure: string;
  subject: string;
  /** Medians of the candidate's and the baseline's values. */
  value: number;
  baseline: number;
  unit: string;
  /** Median of the per-pair ratios (the target is judged on it), and their min and max. */
  ratio: number;
  ratioMin: number;
  ratioMax: number;
  /** Pairs measured (1 for a single measurement). */
  pairs: number;
  target: string;
  met: boolean;
}

const WORKER = join(__dirname, 'worker.cjs');

function worker(
  mode: string,
  bundle: string,
  count: number,
  env: NodeJS.ProcessEnv,
): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [WORKER, mode, bundle, String(count)],
      { env, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`${mode} ${bundle}: ${stderr || error.message}`));
        const last = stdout
          .trim()
          .split('\n')
          .reverse()
          .find((l) => l.startsWith('{') && !l.includes('"level"'));
        resolve(JSON.parse(last ?? '{}') as Record<string, number>);
      },
    );
  });
}

/**
 * One fresh process: the module load the worker measures (require of the bundle, module-scope
 * set-up included), and the whole process as seen from here (spawn of `node` to the line the
 * worker prints once the handler is ready).
 */
function coldStart(bundle: string, env: NodeJS.ProcessEnv): Promise<{ loadMs: number; processMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [WORKER, 'coldstart', bundle, '0'], { env });
    let out = '';
    let err = '';
    let processMs: number | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      processMs ??= Number(process.hrtime.bigint() - t0) / 1e6;
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out
        .trim()
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{"loadMs"'));
      if (code !== 0 || line === undefined || processMs === undefined) {
        reject(new Error(`coldstart ${bundle}: ${err || `exit ${code}`}`));
        return;
      }
      resolve({ loadMs: (JSON.parse(line) as { loadMs: number }).loadMs, processMs });
    });
  });
}

type Say = (line: string) => void;
type Bundles = Awaited<ReturnType<typeof buildBundles>>;
const FUNCTIONS: Entry[] = ['restoreFromQueue', 'restoreFromEvent', 'restoreOnAlarm', 'trackRestoreJob'];

/** A row from paired values; `ratios` default to candidate / baseline per pair. */
function pairedRow(
  r: { measure: string; subject: string; unit: string; target: string },
  candidate: number[],
  baseline: number[],
  ok: (ratio: number) => boolean,
  ratios: number[] = candidate.map((c, i) => c / (baseline[i] ?? Number.NaN)),
): Row {
  const s = spread(ratios);
  return {
    ...r,
    value: median(candidate),
    baseline: median(baseline),
    ratio: s.median,
    ratioMin: s.min,
    ratioMax: s.max,
    pairs: ratios.length,
    met: ok(s.median),
  };
}

/** A row of one measurement (no pairs). */
const singleRow = (r: Omit<Row, 'ratioMin' | 'ratioMax' | 'pairs'>): Row => ({
  ...r,
  ratioMin: r.ratio,
  ratioMax: r.ratio,
  pairs: 1,
});

/** Runs every measure; `say` reports progress. */
export async function runBench(sizes: BenchSizes, say: Say = () => undefined) {
  say('Bundling with the deployed esbuild settings...');
  const bundles = await buildBundles();
  const want = (measure: string) => sizes.only === undefined || sizes.only.includes(measure);
  const rows: Row[] = [];
  for (const name of want('bundle') ? FUNCTIONS : []) {
    rows.push(
      pairedRow(
        { measure: 'bundle size', subject: name, unit: 'KiB', target: '<= 1.5x' },
        [bundles[name].bytes / 1024],
        [bundles.baseline.bytes / 1024],
        (x) => x <= 1.5,
      ),
    );
  }
  rows.push(...(await workerRows(sizes, bundles, want, say)));
  const alarm = want('alarm') ? await alarmRows(sizes, say) : undefined;
  rows.push(...(alarm?.rows ?? []));
  let backlogAlarm: Awaited<ReturnType<typeof alarmBehindBacklog>> | undefined;
  if (want('backlog-alarm')) {
    backlogAlarm = await backlogAlarmRun(sizes, say);
    rows.push(backlogAlarmRow(sizes, backlogAlarm));
  }
  const faults: FaultyRun[] = want('faults') ? await faultRuns(sizes, say) : [];
  rows.push(...faults.map(faultRow));
  const drain = want('drain') ? await drainRun(sizes, say) : undefined;
  rows.push(...(drain === undefined ? [] : drainRows(drain.size, drain.result)));
  return {
    rows,
    bundles: Object.fromEntries(Object.entries(bundles).map(([k, v]) => [k, v.bytes])),
    alarm: alarm?.trace,
    alarmVaultsSearched: alarm?.searchTrace,
    backlogAlarm,
    faults,
    drain: drain?.result,
  };
}

/** The environment of the worker processes: the deployed handlers against the local endpoint. */
async function workerEnv(url: string): Promise<NodeJS.ProcessEnv> {
  const clientConfig = {
    region: 'eu-west-1',
    endpoint: url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const sqs = new SQSClient(clientConfig);
  const ddb = new DynamoDBClient(clientConfig);
  const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: 'bench-dead-letters' }))).QueueUrl ?? '';
  await createRestoreJobsTable(ddb, 'bench-jobs');
  sqs.destroy();
  ddb.destroy();
  return {
    PATH: process.env.PATH,
    NODE_NO_WARNINGS: '1',
    AWS_ENDPOINT_URL: url,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    // As in Lambda: the deployed handlers build their clients at cold start.
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    DEAD_LETTER_QUEUE_URL: dlq,
    RESTORE_ROLE_ARN: RESTORE_ROLE,
    ALLOWED_RESTORE_ROLE_ARNS: `${RESTORE_ROLE},${OPERATOR_ROLE}`,
    RESTORE_JOBS_TABLE: 'bench-jobs',
    RESTORE_CONCURRENCY: '10',
    // Unpaced for the CPU, memory and batch figures (the baseline is unpaced too); the throughput
    // figure below sets the pacing it measures. Unset, the pacing is AWS's 5 calls a second.
    START_RESTORE_RATE_PER_SECOND: '1000',
  };
}

/** The measures made in fresh worker processes: cold start, CPU, memory, one batch. */
async function workerRows(
  sizes: BenchSizes,
  bundles: Bundles,
  want: (measure: string) => boolean,
  say: Say,
): Promise<Row[]> {
  const aws = await startLocalAws({
    seed: { ...defaultSeed(), timing: { runningAfterMs: 60_000, doneAfterMs: 120_000 } },
  });
  try {
    const env = await workerEnv(aws.url);
    const inWorker = (mode: string, name: Entry, count: number, key: string) => async () =>
      (await worker(mode, bundles[name].path, count, env))[key] ?? Number.NaN;
    const rows: Row[] = [];
    say(`Cold start: ${sizes.coldStartPairs} pairs of fresh processes per function...`);
    for (const name of want('coldstart') ? FUNCTIONS : []) {
      rows.push(...(await coldStartRows(sizes.coldStartPairs, name, bundles, env)));
    }
    if (want('cpu')) {
      say(`CPU per started restore: ${sizes.cpuPairs} pairs of ${sizes.cpuRequests} requests...`);
      const cpu = await runPaired(
        sizes.cpuPairs,
        inWorker('cpu', 'restoreFromQueue', sizes.cpuRequests, 'cpuMicrosPerRequest'),
        inWorker('cpu', 'baselineCalls', sizes.cpuRequests, 'cpuMicrosPerRequest'),
      );
      // The baseline makes the calls a started restore needs: a pacing write, the start, the link.
      rows.push(
        pairedRow(
          {
            measure: 'CPU per started restore',
            subject: 'restoreFromQueue',
            unit: 'µs',
            target: '<= 1.3x the same calls bare (pacing write, start, link)',
          },
          cpu.candidate,
          cpu.baseline,
          (x) => x <= 1.3,
        ),
      );
    }
    if (want('memory')) {
      say(`Memory: ${sizes.memoryPairs} pairs, peak RSS over ${sizes.memoryRequests} requests...`);
      const memory = await runPaired(
        sizes.memoryPairs,
        inWorker('memory', 'restoreFromQueue', sizes.memoryRequests, 'maxRssMiB'),
        inWorker('memory', 'baseline', sizes.memoryRequests, 'maxRssMiB'),
      );
      rows.push(
        pairedRow(
          { measure: 'peak memory', subject: 'restoreFromQueue', unit: 'MiB RSS', target: '<= 1.3x' },
          memory.candidate,
          memory.baseline,
          (x) => x <= 1.3,
        ),
      );
    }
    if (want('batch')) rows.push(await batchRow(sizes, aws, inWorker, say));
    return rows;
  } finally {
    await aws.close();
  }
}

/** Module load and whole process of one function against the baseline, paired. */
async function coldStartRows(
  pairs: number,
  name: Entry,
  bundles: Bundles,
  env: NodeJS.ProcessEnv,
): Promise<Row[]> {
  const load: { c: number[]; b: number[] } = { c: [], b: [] };
  const whole: { c: number[]; b: number[] } = { c: [], b: [] };
  const once = (side: 'c' | 'b', entry: Entry) => async () => {
    const r = await coldStart(bundles[entry].path, env);
    load[side].push(r.loadMs);
    whole[side].push(r.processMs);
    return r.loadMs;
  };
  await runPaired(pairs, once('c', name), once('b', 'baseline'));
  return [
    pairedRow(
      { measure: 'cold start: module load', subject: name, unit: 'ms', target: '<= 1.25x' },
      load.c,
      load.b,
      (x) => x <= 1.25,
    ),
    pairedRow(
      { measure: 'cold start: whole process', subject: name, unit: 'ms', target: '<= 1.1x' },
      whole.c,
      whole.b,
      (x) => x <= 1.1,
    ),
  ];
}

/** One batch of 10 records with StartRestoreJob answering in 50 ms, against one call. */
async function batchRow(
  sizes: BenchSizes,
  aws: Awaited<ReturnType<typeof startLocalAws>>,
  inWorker: (mode: string, name: Entry, count: number, key: string) => () => Promise<number>,
  say: Say,
): Promise<Row> {
  say(`One batch: ${sizes.batchPairs} pairs, 10 records, StartRestoreJob answering in 50 ms...`);
  aws.faults.set({ StartRestoreJob: { latencyMs: 50 } });
  const batch = await runPaired(
    sizes.batchPairs,
    inWorker('batch', 'restoreFromQueue', 0, 'batchMs'),
    inWorker('batch', 'baseline', 0, 'batchMs'),
  );
  aws.faults.set({});
  // The target compares the batch with one call's latency (50 ms); the baseline is shown too.
  return pairedRow(
    {
      measure: 'one batch (10 records)',
      subject: 'restoreFromQueue',
      unit: 'ms',
      target: '<= 1.5x one call (50 ms)',
    },
    batch.candidate,
    batch.baseline,
    (x) => x <= 1.5,
    batch.candidate.map((c) => c / 50),
  );
}

/** The alarm's time to an accepted job, with its vault configured and without. */
async function alarmRows(sizes: BenchSizes, say: Say) {
  say(
    `Alarm to job accepted: ${sizes.alarmPairs} pairs, Backup and SQS calls in ${BACKUP_LATENCY_MS} ms, DynamoDB in 10 ms...`,
  );
  const alarm = await alarmToJob(sizes.alarmPairs);
  const searching = await alarmToJob(sizes.alarmPairs, false);
  const rows = [
    pairedRow(
      {
        measure: 'alarm to job accepted',
        subject: 'restoreOnAlarm',
        unit: 'ms',
        target: '<= 1.2x the 3 bare calls',
      },
      alarm.paired.candidate,
      alarm.paired.baseline,
      (x) => x <= 1.2,
    ),
    // The bare sequence is given the vault; here the alarm has to search the vaults for it.
    pairedRow(
      {
        measure: 'alarm to job accepted, no vault configured (vaults searched)',
        subject: 'restoreOnAlarm',
        unit: 'ms',
        target: '<= 1.2x the 3 bare calls',
      },
      searching.paired.candidate,
      searching.paired.baseline,
      (x) => x <= 1.2,
    ),
  ];
  return { rows, trace: alarmSummary(alarm), searchTrace: alarmSummary(searching) };
}

function backlogAlarmRun(sizes: BenchSizes, say: Say) {
  say(
    `Alarm behind ${sizes.backlogAlarmQueued} queued requests: ${sizes.backlogAlarmPairs} pairs (the queue draining, the queue stopped), ${BACKUP_LATENCY_MS} ms an AWS call...`,
  );
  return alarmBehindBacklog(sizes.backlogAlarmPairs, sizes.backlogAlarmQueued, say, sizes.margin);
}

function backlogAlarmRow(sizes: BenchSizes, run: Awaited<ReturnType<typeof alarmBehindBacklog>>): Row {
  return pairedRow(
    {
      measure: `alarm to job accepted, ${sizes.backlogAlarmQueued} requests queued`,
      subject: 'restoreOnAlarm',
      unit: 'ms',
      target: `<= 2x the idle alarm (queue stopped); ${run.throttled} throttled`,
    },
    run.paired.candidate,
    run.paired.baseline,
    (x) => x <= 2 && run.throttled === 0,
  );
}

/** Five pacers with one cut off from the table, then with clocks 250 ms apart. */
async function faultRuns(sizes: BenchSizes, say: Say): Promise<FaultyRun[]> {
  const runs: FaultyRun[] = [];
  for (const fault of ['cut-off', 'skew'] as const) {
    say(
      `Five pacers, ${fault === 'skew' ? 'clocks 250 ms apart' : 'one cut off from the table'}, ${sizes.faultSeconds} s...`,
    );
    runs.push(await faultyPacers(fault, sizes.faultSeconds, sizes.margin));
  }
  return runs;
}

function faultRow(run: FaultyRun): Row {
  return singleRow({
    measure: `busiest second, ${run.fault === 'skew' ? 'clocks 250 ms apart (-125 to +125 ms)' : 'one instance cut off from the table'}`,
    subject: 'five pacers',
    value: run.busiestWindow,
    baseline: QUOTA_PER_SECOND,
    unit: 'calls',
    ratio: run.busiestWindow / QUOTA_PER_SECOND,
    target: `<= the quota, 0 throttled (${run.throttled} of ${run.calls} calls; ${run.startsPerSecond.toFixed(2)} a second; ${run.givenBack} given back)`,
    met: run.busiestWindow <= QUOTA_PER_SECOND && run.throttled === 0,
  });
}

async function drainRun(sizes: BenchSizes, say: Say) {
  const size = `${sizes.backlog} queued + ${Math.max(1, Math.round(sizes.backlog / 10))} events + ${Math.max(1, Math.round(sizes.backlog / 50))} alarms`;
  say(
    `Backlog drain: ${size}, StartRestoreJob throttled above ${QUOTA_PER_SECOND}/s, a budget of ${sizes.pace}/s shared by ${START_RESTORE_INSTANCES} instances...`,
  );
  return { size, result: await backlogDrain(sizes.backlog, sizes.pace, say, sizes.margin) };
}

/** The drain's rows: starts a second, pacing writes, dead letters, busiest second. */
function drainRows(size: string, drain: Awaited<ReturnType<typeof backlogDrain>>): Row[] {
  const allStarted = drain.jobs === drain.expected;
  const calls = Object.values(drain.pacer.calls).reduce((a, b) => a + b, 0);
  return [
    singleRow({
      measure: `backlog drain (${size})`,
      subject: 'all functions',
      value: drain.startsPerSecond,
      baseline: QUOTA_PER_SECOND,
      unit: 'starts/s',
      ratio: drain.startsPerSecond / QUOTA_PER_SECOND,
      target: `>= 0.97 of the quota, every request started (${drain.jobs} of ${drain.expected})`,
      met: drain.startsPerSecond / QUOTA_PER_SECOND >= 0.97 && allStarted,
    }),
    singleRow({
      measure: 'backlog drain: pacing writes a start (the job link not counted)',
      subject: 'all functions',
      value: drain.pacer.writesPerStart,
      baseline: 1,
      unit: 'writes',
      ratio: drain.pacer.writesPerStart,
      target: `<= 1.5 (${drain.pacer.writes} writes, ${drain.pacer.reads} reads for ${calls} calls)`,
      met: drain.pacer.writesPerStart <= 1.5,
    }),
    singleRow({
      measure: 'backlog drain: dead letters for throttling',
      subject: 'all functions',
      value: drain.throttlingDeadLetters,
      baseline: 0,
      unit: 'letters',
      ratio: Number.NaN,
      target: `0 (${drain.deadLetters} dead letters in all)`,
      met: drain.throttlingDeadLetters === 0,
    }),
    singleRow({
      measure: 'backlog drain: StartRestoreJob calls in the busiest second',
      subject: 'all functions',
      value: drain.busiestWindow,
      baseline: QUOTA_PER_SECOND,
      unit: 'calls',
      ratio: drain.busiestWindow / QUOTA_PER_SECOND,
      target: `<= the quota, 0 throttled (${drain.throttled} throttled of ${drain.attempts} calls)`,
      met: drain.busiestWindow <= QUOTA_PER_SECOND && drain.throttled === 0,
    }),
  ];
}

/** The traced alarm invocation: its calls and the sequential steps of its critical path. */
function alarmSummary(alarm: AlarmResult) {
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    totalMs: round(alarm.trace.totalMs),
    calls: alarm.trace.calls.map((c) => ({ ...c, startMs: round(c.startMs), endMs: round(c.endMs) })),
    criticalPath: criticalPath(alarm.trace.calls),
  };
}

const fmt = (n: number) => (Number.isFinite(n) ? (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(2)) : 'n/a');

/** The table as printed and pasted into bench/README.md. */
export function formatRows(rows: Row[]): string {
  const lines = [
    '| measure | function | value | baseline | ratio (median) | min - max | pairs | target | met |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const range = r.pairs > 1 ? `${fmt(r.ratioMin)} - ${fmt(r.ratioMax)}` : '-';
    // A single measurement shows 3 decimals: 0.945 of the quota must not read as 0.95.
    const ratio = r.pairs > 1 || !Number.isFinite(r.ratio) ? fmt(r.ratio) : r.ratio.toFixed(3);
    lines.push(
      `| ${r.measure} | ${r.subject} | ${fmt(r.value)} ${r.unit} | ${fmt(r.baseline)} ${r.unit} | ${ratio} | ${range} | ${r.pairs} | ${r.target} | ${r.met ? 'yes' : 'NO'} |`,
    );
  }
  return lines.join('\n');
}

/** The traced alarm invocation, one line a call. */
export function formatTrace(alarm: ReturnType<typeof alarmSummary> | undefined): string {
  if (alarm === undefined) return '';
  const lines = alarm.calls.map(
    (c) => `  ${fmt(c.startMs).padStart(7)} -> ${fmt(c.endMs).padStart(7)} ms  ${c.service} ${c.operation}`,
  );
  return [
    `One alarm, ${fmt(alarm.totalMs)} ms, every call it made (start -> end, from the invocation's start):`,
    ...lines,
    `Critical path: ${alarm.criticalPath.map((step) => step.join(' + ')).join(' -> ')}`,
  ].join('\n');
}

/** Reads `--name N` from the command line. */
function option(args: string[], name: string): number | undefined {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = Number(args[i + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
  return value;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const base = quick ? QUICK : FULL;
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1]?.split(',') : undefined;
  const sizes: BenchSizes = {
    ...base,
    ...(only === undefined ? {} : { only }),
    backlog: Math.round(option(args, 'backlog') ?? base.backlog),
    pace: option(args, 'pace') ?? base.pace,
  };
  const margin = option(args, 'margin');
  if (margin !== undefined) sizes.margin = margin;
  const started = Date.now();
  // The machine is shared: its load average (1 minute) through the run goes with the results.
  const load: number[] = [loadavg()[0] ?? Number.NaN];
  const sampler = setInterval(() => load.push(loadavg()[0] ?? Number.NaN), 15_000);
  const result = await runBench(sizes, (line) =>
    console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`),
  ).finally(() => clearInterval(sampler));
  const machine = {
    cpus: cpus().length,
    loadAverage1m: { min: Math.min(...load), median: median(load), max: Math.max(...load) },
  };
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `\n${formatRows(result.rows)}\n\n${formatTrace(result.alarm)}\n\nNo vault configured: ${formatTrace(result.alarmVaultsSearched)}\n\nDrain: ${JSON.stringify({ ...result.drain, callsPerSecond: undefined })}\nStartRestoreJob calls per second: ${result.drain?.callsPerSecond.join(' ') ?? '-'}\n\n(${seconds.toFixed(0)} s; node ${process.version}; ${machine.cpus} cores, load average ${machine.loadAverage1m.min.toFixed(1)} to ${machine.loadAverage1m.max.toFixed(1)}; absolute times vary between machines, the ratios hold)`,
  );
  if (!quick && only !== undefined && args.includes('--merge')) {
    // Rows of a partial run replace the same measures of the last full run; `runs` says which.
    const path = join(__dirname, 'results.json');
    const last = JSON.parse(readFileSync(path, 'utf8')) as { rows: Row[]; runs?: unknown[] } & Record<
      string,
      unknown
    >;
    const measures = new Set(result.rows.map((r) => r.measure));
    const rows = [...last.rows.filter((r) => !measures.has(r.measure)), ...result.rows];
    const runs = [
      ...(last.runs ?? [{ date: last.date, seconds: last.seconds, machine: last.machine, only: 'all' }]),
    ];
    runs.push({ date: new Date().toISOString(), seconds, machine, only: only.join(',') });
    const partial = Object.fromEntries(
      Object.entries(result).filter(
        ([k, v]) => k !== 'rows' && v !== undefined && !(Array.isArray(v) && v.length === 0),
      ),
    );
    writeFileSync(path, `${JSON.stringify({ ...last, ...partial, rows, runs }, null, 2)}\n`);
  }
  if (!quick && only === undefined) {
    writeFileSync(
      join(__dirname, 'results.json'),
      `${JSON.stringify({ date: new Date().toISOString(), node: process.version, seconds, machine, sizes, ...result }, null, 2)}\n`,
    );
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
