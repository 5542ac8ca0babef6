/**
 * `npm run bench`: the pipeline's own cost against a bare baseline measured in the same run.
 * Prints a table and writes bench/results.json. Every figure is a median of repeated runs; every
 * comparison is a ratio against the baseline (absolute times vary between machines).
 *
 *   npm run bench              the full run (a few minutes)
 *   npm run bench -- --quick   a smoke run with tiny counts (used by npm test)
 */

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startLocalAws } from '../local/endpoint.js';
import { defaultSeed, OPERATOR_ROLE, RESTORE_ROLE, startLocalPipeline } from '../local/pipeline.js';
import { buildBundles, type Entry } from './build.js';

/** Sizes of a run. */
export interface BenchSizes {
  coldStartRuns: number;
  cpuRequests: number;
  cpuRuns: number;
  memoryRequests: number;
  memoryRuns: number;
  batchRuns: number;
  throughputRequests: number;
  throughputLimit: number;
}

export const FULL: BenchSizes = {
  coldStartRuns: 15,
  cpuRequests: 10_000,
  cpuRuns: 3,
  memoryRequests: 1_000,
  memoryRuns: 3,
  batchRuns: 3,
  throughputRequests: 200,
  throughputLimit: 20,
};
export const QUICK: BenchSizes = {
  coldStartRuns: 3,
  cpuRequests: 200,
  cpuRuns: 1,
  memoryRequests: 100,
  memoryRuns: 1,
  batchRuns: 1,
  throughputRequests: 30,
  throughputLimit: 20,
};

/** One row of the results table. */
export interface Row {
  measure: string;
  subject: string;
  value: number;
  baseline: number;
  unit: string;
  ratio: number;
  target: string;
  met: boolean;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
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

/** Medians of `runs` worker measurements of the baseline and the queue function, run alternately. */
async function paired(
  mode: string,
  count: number,
  runs: number,
  key: string,
  bundles: Record<Entry, { path: string }>,
  env: NodeJS.ProcessEnv,
): Promise<{ value: number; baseline: number }> {
  const values: Record<'baseline' | 'restoreFromQueue', number[]> = { baseline: [], restoreFromQueue: [] };
  for (let i = 0; i < runs; i++) {
    for (const name of ['baseline', 'restoreFromQueue'] as const) {
      values[name].push((await worker(mode, bundles[name].path, count, env))[key] ?? Number.NaN);
    }
  }
  return { value: median(values.restoreFromQueue), baseline: median(values.baseline) };
}

/** Runs every measure; `say` reports progress. */
export async function runBench(sizes: BenchSizes, say: (line: string) => void = () => undefined) {
  say('Bundling with the deployed esbuild settings...');
  const bundles = await buildBundles();
  const functions: Entry[] = ['restoreFromQueue', 'restoreFromEvent', 'restoreOnAlarm', 'trackRestoreJob'];
  const rows: Row[] = [];
  const row = (r: Omit<Row, 'ratio' | 'met'>, max: number, higherIsBetter = false) => {
    const ratio = r.value / r.baseline;
    rows.push({ ...r, ratio, met: higherIsBetter ? ratio >= max : ratio <= max });
  };

  for (const name of functions) {
    row(
      {
        measure: 'bundle size',
        subject: name,
        value: bundles[name].bytes / 1024,
        baseline: bundles.baseline.bytes / 1024,
        unit: 'KiB',
        target: '<= 1.5x',
      },
      1.5,
    );
  }

  const seed = defaultSeed();
  const aws = await startLocalAws({
    seed: { ...seed, timing: { runningAfterMs: 60_000, doneAfterMs: 120_000 } },
  });
  const clientConfig = {
    region: 'eu-west-1',
    endpoint: aws.url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const sqs = new SQSClient(clientConfig);
  const ddb = new DynamoDBClient(clientConfig);
  const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: 'bench-dead-letters' }))).QueueUrl ?? '';
  await ddb.send(
    new CreateTableCommand({
      TableName: 'bench-jobs',
      KeySchema: [{ AttributeName: 'restoreJobId', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'restoreJobId', AttributeType: 'S' }],
    }),
  );
  sqs.destroy();
  ddb.destroy();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_NO_WARNINGS: '1',
    AWS_ENDPOINT_URL: aws.url,
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

  try {
    say(`Cold start: ${sizes.coldStartRuns} fresh processes per bundle...`);
    const cold: Record<string, number[]> = {};
    for (let i = 0; i < sizes.coldStartRuns; i++) {
      // Interleaved, so that a noisy moment hits every subject alike.
      for (const name of ['baseline', ...functions] as Entry[]) {
        const r = await worker('coldstart', bundles[name].path, 0, env);
        cold[name] = [...(cold[name] ?? []), r.loadMs ?? Number.NaN];
      }
    }
    for (const name of functions) {
      row(
        {
          measure: 'cold start',
          subject: name,
          value: median(cold[name] ?? []),
          baseline: median(cold.baseline ?? []),
          unit: 'ms',
          target: '<= 1.25x',
        },
        1.25,
      );
    }

    say(`CPU per request: ${sizes.cpuRuns} x ${sizes.cpuRequests} requests per bundle...`);
    const cpu = await paired('cpu', sizes.cpuRequests, sizes.cpuRuns, 'cpuMicrosPerRequest', bundles, env);
    row(
      {
        measure: 'CPU per request',
        subject: 'restoreFromQueue',
        ...cpu,
        unit: 'µs',
        target: '<= 1.5x',
      },
      1.5,
    );

    say(`Memory: peak RSS over ${sizes.memoryRequests} requests...`);
    const memory = await paired('memory', sizes.memoryRequests, sizes.memoryRuns, 'maxRssMiB', bundles, env);
    row(
      {
        measure: 'peak memory',
        subject: 'restoreFromQueue',
        ...memory,
        unit: 'MiB RSS',
        target: '<= 1.3x',
      },
      1.3,
    );

    say('One batch: 10 records, StartRestoreJob answering in 50 ms...');
    aws.faults.set({ StartRestoreJob: { latencyMs: 50 } });
    const batch = await paired('batch', 0, sizes.batchRuns, 'batchMs', bundles, env);
    aws.faults.set({});
    // The target compares the batch with one call's latency (50 ms); the baseline is shown too.
    rows.push({
      measure: 'one batch (10 records)',
      subject: 'restoreFromQueue',
      value: batch.value,
      baseline: batch.baseline,
      unit: 'ms',
      ratio: batch.value / 50,
      target: '<= 1.5x one call (50 ms)',
      met: batch.value / 50 <= 1.5,
    });
  } finally {
    await aws.close();
  }

  say(
    `Throughput: ${sizes.throughputRequests} requests through the local event source, throttled above ${sizes.throughputLimit}/s...`,
  );
  const pipeline = await startLocalPipeline({
    faults: { StartRestoreJob: { rateLimitPerSecond: sizes.throughputLimit } },
    // Paced a little under the limit, as the deployed functions are (START_RESTORE_RATE_PER_SECOND).
    env: { START_RESTORE_RATE_PER_SECOND: String(sizes.throughputLimit * 0.95) },
    visibilityTimeoutS: 30,
    pollers: 2,
    restoreConcurrency: 10,
  });
  try {
    for (let i = 0; i < sizes.throughputRequests; i++) {
      await pipeline.submit({
        RecoveryPointArn: 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718',
        ResourceType: 'EBS',
        Metadata: { availabilityZone: 'eu-west-1a' },
        IdempotencyToken: `throughput-${i}`,
      });
    }
    await pipeline.runUntilIdle({ timeoutMs: 180_000 });
    const created = pipeline.aws.backup.jobs.map((j) => j.CreationDate).sort((a, b) => a - b);
    const span = ((created.at(-1) ?? 0) - (created[0] ?? 0)) / 1000;
    // n jobs spread over `span` seconds: n - 1 intervals.
    const rate = created.length > 1 && span > 0 ? (created.length - 1) / span : Number.NaN;
    const throttledLetters = pipeline.deadLetters().filter((m) => m.body.includes('Throttling')).length;
    rows.push({
      measure: 'rate-limited throughput',
      subject: 'restoreFromQueue',
      value: rate,
      baseline: sizes.throughputLimit,
      unit: 'jobs/s',
      ratio: rate / sizes.throughputLimit,
      target: `>= 0.9 of the limit, 0 dead-lettered (${throttledLetters} dead-lettered, ${pipeline.aws.faults.counts.StartRestoreJob?.RateLimited ?? 0} throttled calls)`,
      met:
        rate / sizes.throughputLimit >= 0.9 &&
        throttledLetters === 0 &&
        created.length === sizes.throughputRequests,
    });
  } finally {
    await pipeline.close();
  }
  return { rows, bundles: Object.fromEntries(Object.entries(bundles).map(([k, v]) => [k, v.bytes])) };
}

/** The table as printed and pasted into the README. */
export function formatRows(rows: Row[]): string {
  const fmt = (n: number) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n.toFixed(2)) : 'n/a');
  const lines = [
    '| measure | function | value | baseline | ratio | target | met |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.measure} | ${r.subject} | ${fmt(r.value)} ${r.unit} | ${fmt(r.baseline)} ${r.unit} | ${r.ratio.toFixed(2)} | ${r.target} | ${r.met ? 'yes' : 'NO'} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const started = Date.now();
  const result = await runBench(quick ? QUICK : FULL, (line) => console.log(line));
  const table = formatRows(result.rows);
  console.log(
    `\n${table}\n\n(${((Date.now() - started) / 1000).toFixed(0)} s; node ${process.version}; absolute times vary between machines, the ratios hold)`,
  );
  if (!quick) {
    writeFileSync(
      join(__dirname, 'results.json'),
      `${JSON.stringify({ date: new Date().toISOString(), node: process.version, ...result }, null, 2)}\n`,
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
