/**
 * `npm start`: runs the whole pipeline on this machine with embedded defaults and prints a report.
 *
 *   npm start                              the samples in events/, good and bad
 *   npm start -- --events my-events.json   your own requests (see docs/development.md)
 *   npm start -- --faults "StartRestoreJob=ServiceUnavailable:0.3"   with injected faults (and AWS
 *                                          Backup's job events late, twice or lost, as AWS allows);
 *                                          without --faults nothing is injected
 *   npm start -- --verbose                 also print the handlers' log lines
 *   npm run serve [-- --port 4566]         the pipeline as a local stack: the queue trigger polls,
 *                                          PutEvents is routed by the deployed rules; real clients
 *                                          (AWS CLI, SDKs, serverless invoke local) drive it; every
 *                                          function runs, the scheduled ones every 10 s, and each job's
 *                                          end and dead letter is printed as it happens
 */

import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DescribeRestoreJobCommand } from '@aws-sdk/client-backup';
import type { EventBridgeEvent } from 'aws-lambda';
import { describeLetter } from '../cli/dead-letters.js';
import { plural, safe } from '../cli/output.js';
import { createHandler as makeReadyHandler } from '../handlers/make-ready.js';
import { loadValidationConfig } from '../src/checks/config.js';
import { type CleanupDeps, cleanupDueDrills } from '../src/drills/cleanup.js';
import { recordCompletedDrill } from '../src/drills/record.js';
import type { DeadLetter } from '../src/letters/dead-letters.js';
import { createLogger, type Logger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { markJobOutcome } from '../src/table/outcomes.js';
import { type ValidateDeps, validateRestore } from '../src/validation/validate.js';
import type { BackupSeed } from './backup-service.js';
import { LOCAL_OPERATIONS, type LocalAws, PortInUseError, startLocalAws } from './endpoint.js';
import { lambdaContext } from './event-source.js';
import { type FaultPlan, parseFaultPlan } from './faults.js';
import {
  ALERT_TOPIC,
  DEAD_LETTER_QUEUE,
  defaultSeed,
  KIND_JOB_EVENTS,
  type LocalPipeline,
  type LocalPipelineOptions,
  REGION,
  REQUEST_QUEUE,
  restoreJobEvent,
  startLocalPipeline,
  UNKIND_JOB_EVENTS,
} from './pipeline.js';
import { readyDeps } from './ready-demo.js';
import { localS3ControlClient } from './resources/s3.js';
import { currentEventText, currentOffset, currentSeed, EVENTS_DIR, writeCurrentEvents } from './samples.js';
import { LOCAL_STACK } from './settings.js';
import { setUpValidation, startLinkedRestore, type ValidationSetup } from './setup.js';
import { sleep } from './time.js';

interface Args {
  events?: string;
  serve: boolean;
  port: number;
  faults?: string;
  verbose: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { serve: false, port: 0, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--serve') args.serve = true;
    else if (a === '--verbose' || a === '-v') args.verbose = true;
    else if (a === '--events') args.events = next();
    else if (a === '--port') {
      const port = next();
      if (!/^\d{1,5}$/.test(port) || Number(port) > 65535)
        throw new Error(`--port takes a port number from 0 to 65535 (0 picks a free one), not "${port}"`);
      args.port = Number(port);
    } else if (a === '--faults') args.faults = next();
    else if (a === '--help' || a === '-h') {
      console.log(readFileSync(__filename, 'utf8').split('*/')[0]);
      process.exit(0);
    } else throw new Error(`Unknown option ${a} (try --help)`);
  }
  if (args.serve && !argv.includes('--port')) args.port = 4566;
  return args;
}

/** `n thing` or `n things` (the CLI's). */
export { plural };

/** Levenshtein distance, for "did you mean". */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(
        (row[j] ?? 0) + 1,
        (next[j - 1] ?? 0) + 1,
        (row[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    row = next;
  }
  return row[b.length] ?? 0;
}

/**
 * Parses `--faults` and refuses what would silently do nothing: an operation the endpoint does not
 * answer (a typo), a rate outside 0..1, or rates of one operation adding up to more than 1.
 */
export function checkedFaultPlan(text: string): FaultPlan {
  const plan = parseFaultPlan(text);
  const problems: string[] = [];
  for (const [key, spec] of Object.entries(plan)) {
    const operation = key.split(':')[0] ?? '';
    if (operation !== '*' && !LOCAL_OPERATIONS.has(operation)) {
      const near = [...LOCAL_OPERATIONS].filter(
        (o) => editDistance(o.toLowerCase(), operation.toLowerCase()) <= 3,
      );
      problems.push(
        `"${operation}" is not an operation of the local endpoint${near.length > 0 ? ` (did you mean ${near.slice(0, 3).join(', ')}?)` : ''}; use * or one of ${[...LOCAL_OPERATIONS].join(', ')}`,
      );
    }
    let total = 0;
    for (const [kind, rate] of Object.entries(spec.errorRates ?? {})) {
      if (rate < 0 || rate > 1)
        problems.push(`${key}: the rate of ${kind} is ${rate}; a rate is from 0 to 1`);
      total += rate;
    }
    if (total > 1 && Object.values(spec.errorRates ?? {}).every((r) => r <= 1))
      problems.push(`${key}: the rates add up to ${total}, more than 1`);
    for (const [name, value] of [
      ['latency', spec.latencyMs],
      ['rate-limit', spec.rateLimitPerSecond],
      ['timeout-ms', spec.timeoutMs],
    ] as const) {
      if (value !== undefined && value < 0)
        problems.push(`${key}: ${name} is ${value}; it cannot be negative`);
    }
  }
  if (problems.length > 0) throw new Error(`--faults refused:\n  ${problems.join('\n  ')}`);
  return plan;
}

/** One input of a local run: an SQS message body or an EventBridge event. */
export type Input =
  | { kind: 'sqs'; label: string; body: string }
  | { kind: 'event'; label: string; event: EventBridgeEvent<string, unknown> };

function describeBody(body: string): string {
  try {
    const o = JSON.parse(body) as Record<string, unknown>;
    if (o && typeof o === 'object' && !Array.isArray(o)) {
      const what =
        o.ResourceType ?? (typeof o.ResourceArn === 'string' ? 'by resource' : undefined) ?? 'request';
      const arn = String(o.RecoveryPointArn ?? o.ResourceArn ?? '')
        .split(/[:/]/)
        .slice(-1)[0];
      return `${String(what)} ${arn}`.trim();
    }
  } catch {
    // fall through: not JSON
  }
  return `body ${JSON.stringify(body.length > 30 ? `${body.slice(0, 30)}...` : body)}`;
}

/** Reads an events file: an SQS event ({Records}), an EventBridge event, or an array of either or of request bodies. */
export function readInputs(file: string, text?: string): Input[] {
  let data: unknown;
  try {
    data = JSON.parse(text ?? readFileSync(file, 'utf8'));
  } catch (error) {
    const why =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no such file'
        : error instanceof SyntaxError
          ? `not JSON (${error.message})`
          : (error as Error).message;
    throw new Error(
      `The events file ${file} cannot be used: ${why}. It holds an SQS event ({"Records": [...]}), an EventBridge event, or an array of either or of request bodies.`,
    );
  }
  const items = Array.isArray(data) ? data : [data];
  const inputs: Input[] = [];
  for (const item of items) {
    const o = item as Record<string, unknown>;
    if (o && typeof o === 'object' && Array.isArray(o.Records)) {
      for (const [i, r] of (o.Records as { body?: unknown }[]).entries()) {
        if (typeof r?.body !== 'string')
          throw new Error(`The events file ${file} has a record (Records[${i}]) without a string "body"`);
        inputs.push({ kind: 'sqs', label: describeBody(r.body), body: r.body });
      }
    } else if (o && typeof o === 'object' && typeof o['detail-type'] === 'string') {
      const detail = (o.detail ?? {}) as {
        alarmName?: string;
        state?: { value?: string };
        previousState?: { value?: string };
      };
      const label =
        o['detail-type'] === 'CloudWatch Alarm State Change'
          ? `alarm ${detail.alarmName} ${detail.previousState?.value} -> ${detail.state?.value}`
          : `event "${String(o['detail-type'])}"`;
      inputs.push({ kind: 'event', label, event: o as never });
    } else {
      const body = typeof item === 'string' ? item : JSON.stringify(item);
      inputs.push({ kind: 'sqs', label: describeBody(body), body });
    }
  }
  return inputs;
}

/**
 * The embedded defaults: every sample in events/ that `npm start` runs, their times moved by
 * `offsetMs` (currentOffset() makes them current, with the seed moved by the same offset).
 */
export function defaultInputs(offsetMs = 0): Input[] {
  const alarms = readdirSync(EVENTS_DIR)
    .filter((f) => f.startsWith('alarm-'))
    .sort();
  return ['sqs-batch.json', 'restore-requested.json', 'restore-fails-after-start.json', ...alarms].flatMap(
    (f) => readInputs(join(EVENTS_DIR, f), currentEventText(f, offsetMs)),
  );
}

interface LogLine {
  message: string;
  reason?: string;
  activeRestoreJobId?: string;
  messageId?: string;
  eventId?: string;
  restoreJobId?: string;
  firstTrigger?: string;
  error?: { name: string; message: string };
}

/** Writes the outcome lines of handler logs (every line with --verbose); notes which request started which job. */
function serveLogSink(verbose: boolean, requestOfJob: Map<string, string>) {
  const shown = new Set([
    'Restore job started',
    'Restore job already linked to this request (a repeated delivery or a retry)',
    'Request failed; it will be retried',
    'Alarm state change ignored',
    'Restore skipped: a restore this pipeline started for the resource is still running',
    'Restored resource not usable yet; validation put back on the queue',
    'Restored resource validated',
    'Restored resource not validated',
  ]);
  return (line: string) => {
    let l: LogLine & { level?: string; failure?: string };
    try {
      l = JSON.parse(line) as typeof l;
    } catch {
      if (verbose) console.log(`  log ${safe(line)}`);
      return;
    }
    const own = l.messageId !== undefined ? `message ${l.messageId}` : `event ${l.eventId ?? '?'}`;
    // The request that started a job; a repeat of it (same request, same job) keeps the first.
    if (
      l.message === 'Restore job started' &&
      l.restoreJobId !== undefined &&
      !requestOfJob.has(l.restoreJobId)
    )
      requestOfJob.set(l.restoreJobId, own);
    // A line about a job (the validator's, the tracker's) names the request that started it.
    const id = (l.restoreJobId === undefined ? undefined : requestOfJob.get(l.restoreJobId)) ?? own;
    if (verbose) {
      console.log(`  log ${safe(line)}`);
      return;
    }
    if (typeof l.message !== 'string' || !(shown.has(l.message) || l.level === 'error')) return;
    const job = l.restoreJobId === undefined ? '' : ` job ${l.restoreJobId}`;
    const why =
      l.reason ??
      l.error?.message ??
      (l.firstTrigger === undefined
        ? undefined
        : `first asked for by ${l.firstTrigger}, whose id status finds`);
    // A repeated request is named by its own id: the job's is the first request's.
    const who = l.firstTrigger === undefined ? id : own;
    console.log(safe(`  ${who}:${job} ${l.message}${why === undefined ? '' : `: ${short(why)}`}`));
  };
}

/** How often serve runs the scheduled functions (reconciler, drill cleanup); deployed: 15 minutes. */
export const SERVE_SCHEDULE_MS = 10_000;

/**
 * Prints, as they happen, each restore job's end (what AWS Backup says: its status, never its
 * message, which may quote Metadata) and each message that reaches the dead-letter queue (its
 * failure kind, request and reason, which the pipeline has scrubbed). Returns how to stop.
 */
export function watchOutcomes(
  pipeline: Pick<LocalPipeline, 'aws' | 'deadLetters'>,
  requestOfJob: ReadonlyMap<string, string>,
  out: (line: string) => void,
  everyMs = 200,
): () => void {
  pipeline.aws.backup.onJobStateChange((job) => {
    if (!['COMPLETED', 'FAILED', 'ABORTED'].includes(job.Status)) return;
    const request = requestOfJob.get(job.RestoreJobId);
    const created = job.Status === 'COMPLETED' && job.CreatedResourceArn ? `: ${job.CreatedResourceArn}` : '';
    out(
      safe(
        `  ${request ?? 'job'}: job ${job.RestoreJobId} ended ${job.Status} (${job.ResourceType})${created}`,
      ),
    );
  });
  const seen = new Set<string>();
  const timer = setInterval(() => {
    for (const m of pipeline.deadLetters()) {
      if (seen.has(m.messageId)) continue;
      seen.add(m.messageId);
      const l = describeLetter(m.messageId, m.body, {}, new Date());
      // A job's letter names the request that started the job; others, their own trigger.
      const request = l.restoreJobId === undefined ? undefined : requestOfJob.get(l.restoreJobId);
      const by =
        request !== undefined
          ? ` for ${request}`
          : l.triggerId === undefined
            ? ''
            : ` for ${l.triggerType === 'sqs' ? 'message' : (l.triggerType ?? 'request')} ${l.triggerId}`;
      out(safe(`  dead letter ${l.messageId} (${l.failure})${by}: ${short(l.reason, 300)}`));
    }
  }, everyMs);
  return () => clearInterval(timer);
}

/** Waits for Ctrl-C or SIGTERM; a second signal more than a second later exits at once. */
function untilStopped(): Promise<void> {
  return new Promise<void>((done) => {
    let stopping = 0;
    const stop = (signal: NodeJS.Signals) => {
      // Ctrl-C reaches this process twice (the terminal's group, and tsx relaying it): a second
      // signal more than a second later does not wait for the clean stop.
      if (stopping > 0) {
        if (Date.now() - stopping > 1_000) process.exit(signal === 'SIGINT' ? 130 : 143);
        return;
      }
      stopping = Date.now();
      console.log(`\n${signal}: stopping the local pipeline...`);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** `npm run serve`: the whole pipeline as a local stack, until Ctrl-C or SIGTERM. */
async function serve(args: Args): Promise<void> {
  const requestOfJob = new Map<string, string>();
  // The samples with current times: the seed's recovery points, and the events the commands below use.
  const offset = currentOffset();
  const samples = writeCurrentEvents(offset);
  const pipeline = await startLocalPipeline({
    seed: currentSeed(offset),
    port: args.port,
    alerts: true,
    // Lambda's retry waits, shortened so that a person sees the outcome.
    asyncRetryDelaysMs: [1_000, 2_000],
    visibilityTimeoutS: 5,
    logSink: serveLogSink(args.verbose, requestOfJob),
    allFunctions: { scheduleEveryMs: SERVE_SCHEDULE_MS },
    ...faultOptions(args.faults),
  });
  const stopWatching = watchOutcomes(pipeline, requestOfJob, (line) => console.log(line));
  const e = pipeline.env;
  const url = pipeline.aws.url;
  console.log(`Local restore pipeline on ${url}: AWS Backup, SQS (JSON and query), DynamoDB, EventBridge PutEvents, SNS.
Every function of serverless.yml runs: restoreFromQueue polls ${REQUEST_QUEUE}; PutEvents and AWS Backup's
job events reach restoreFromEvent, restoreOnAlarm, trackRestoreJob and makeReady by the deployed rules; validateRestore
polls ${LOCAL_STACK.validationQueue}; reconcileRestoreJobs and cleanupDrills run every ${SERVE_SCHEDULE_MS / 1000} s (deployed: 15 minutes).
${args.faults ? `Faults injected: ${args.faults}; job events come late, twice or never, as AWS allows.` : 'No faults injected (--faults PLAN injects them).'}
Each job's end and each dead letter are printed below as they happen. Ctrl-C stops it.

Queues: ${pipeline.requestQueueUrl}
        ${pipeline.deadLetterQueueUrl}

Drive it with the AWS CLI, old or new (SQS answers both its JSON and its query protocol):

  export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=${REGION}
  aws --endpoint-url ${url} sqs send-message --queue-url ${pipeline.requestQueueUrl} --message-body file://events/request-ebs.json
  aws --endpoint-url ${url} events put-events --entries file://events/put-events-restore-requested.json
  aws --endpoint-url ${url} sqs receive-message --queue-url ${pipeline.deadLetterQueueUrl} --visibility-timeout 0
  aws --endpoint-url ${url} sqs list-queues

Follow a request by the message id send-message printed, and read the dead letters:

  npm run --silent cli -- --endpoint-url ${url} status <message id>
  npm run --silent cli -- --endpoint-url ${url} dead-letters

Run one handler against it with serverless invoke local (the samples of events/, with current times):

  export AWS_ENDPOINT_URL=${url} AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \\
    DEAD_LETTER_QUEUE_URL=${e.DEAD_LETTER_QUEUE_URL} RESTORE_JOBS_TABLE=${e.RESTORE_JOBS_TABLE} \\
    RESTORE_ROLE_ARN=${e.RESTORE_ROLE_ARN} \\
    ALLOWED_RESTORE_ROLE_ARNS=${e.ALLOWED_RESTORE_ROLE_ARNS} \\
    ALERT_TOPIC_ARN=${ALERT_TOPIC} VALIDATION_QUEUE_URL=${e.VALIDATION_QUEUE_URL}
  npx serverless invoke local -f restoreFromQueue -p ${samples}/sqs-batch.json
  npx serverless invoke local -f restoreFromEvent -p ${samples}/restore-requested.json
  npx serverless invoke local -f restoreOnAlarm -p ${samples}/alarm-ec2-instance.json
  npx serverless invoke local -f trackRestoreJob -p ${samples}/restore-job-completed.json
  npx serverless invoke local -f reconcileRestoreJobs -p ${samples}/scheduled-reconcile.json
  npx serverless invoke local -f validateRestore -p ${samples}/validation-batch.json
  npx serverless invoke local -f cleanupDrills -p ${samples}/scheduled-reconcile.json

State (jobs, queues, injected faults): curl ${url}/__local/state
`);
  await untilStopped();
  stopWatching();
  await pipeline.close();
  rmSync(samples, { recursive: true, force: true });
  console.log('Stopped.');
}

/**
 * Faults only when asked for: `--faults PLAN` injects the plan's errors into the endpoint's answers
 * and delivers AWS Backup's job events as AWS may (late, twice, or never: the reconciler finds
 * those); without it, no fault and every job event once.
 */
function faultOptions(faults: string | undefined): Pick<LocalPipelineOptions, 'faults' | 'jobEvents'> {
  if (faults === undefined) return { jobEvents: KIND_JOB_EVENTS };
  return { faults: checkedFaultPlan(faults), jobEvents: UNKIND_JOB_EVENTS };
}

function short(text: string, max = 160): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** Sends each input (queue messages, events on the bus), then waits until the pipeline is idle and its jobs have ended. */
async function sendInputs(
  pipeline: LocalPipeline,
  inputs: Input[],
  logs: readonly LogLine[],
  out: (line: string) => void,
): Promise<{ ids: string[]; unmatched: Set<number> }> {
  const ids: string[] = [];
  const emitted: Promise<unknown>[] = [];
  // Events go on the local bus; those no deployed rule matches reach no function, as on AWS.
  const unmatched = new Set<number>();
  for (const [i, input] of inputs.entries()) {
    if (input.kind === 'sqs') ids.push(await pipeline.submit(input.body));
    else {
      ids.push(String(input.event.id));
      emitted.push(
        pipeline.emit(input.event).then((result) => {
          if (result === 'unmatched') unmatched.add(i);
        }),
      );
    }
  }
  let lastShown = '';
  await pipeline.runUntilIdle({
    onProgress: () => {
      const started = logs.filter((l) => l.message === 'Restore job started').length;
      const lettered = pipeline.deadLetters().length;
      const line = `  progress: ${started} started, ${lettered} dead-lettered, ${plural(pipeline.source.stats.failedRecords, 'retry', 'retries')}`;
      if (line !== lastShown) {
        out(line);
        lastShown = line;
      }
    },
  });
  await Promise.all(emitted);
  // Let the restore jobs finish, so the report shows how each one ended.
  const deadline = Date.now() + 5_000;
  while (
    pipeline.aws.backup.jobs.some((j) => j.Status === 'PENDING' || j.Status === 'RUNNING') &&
    Date.now() < deadline
  ) {
    await sleep(50);
  }
  return { ids, unmatched };
}

/** A dead letter as read from the queue, parsed. */
type ReadLetter = ReturnType<LocalPipeline['deadLetters']>[number] & { letter: Partial<DeadLetter> };

/** What became of one input, and whether it was an alarm ignored or skipped. */
function outcomeOf(
  pipeline: LocalPipeline,
  input: Input,
  id: string,
  unmatched: boolean,
  logs: readonly LogLine[],
  letters: readonly ReadLetter[],
): { outcome: string; alarm?: 'ignored' | 'skipped' } {
  const started = logs.find(
    (l) => l.message === 'Restore job started' && (l.messageId === id || l.eventId === id),
  );
  const letter = letters.find((l) => l.letter.trigger?.id === id);
  const ignored = logs.find((l) => l.message === 'Alarm state change ignored' && l.eventId === id);
  const skipped = logs.find((l) => l.message?.startsWith('Restore skipped') && l.eventId === id);
  if (started?.restoreJobId !== undefined) {
    const job = pipeline.aws.backup.jobs.find((j) => j.RestoreJobId === started.restoreJobId);
    const failed = letters.find((l) => l.letter.restoreJob?.restoreJobId === started.restoreJobId);
    return {
      outcome:
        failed !== undefined
          ? `restore job ${started.restoreJobId} started, then ended ${failed.letter.restoreJob?.status}: dead-lettered (asynchronous failure): ${short(failed.letter.reason ?? '')}`
          : // AWS's status message may quote the request's Metadata: the status only.
            `restore job ${started.restoreJobId} (${job?.Status ?? 'unknown'})`,
    };
  }
  if (skipped !== undefined) {
    return {
      outcome: `skipped: restore job ${skipped.activeRestoreJobId} of this resource is still running (dead-lettered with the reason)`,
      alarm: 'skipped',
    };
  }
  if (letter !== undefined) return { outcome: `dead-lettered: ${short(letter.letter.reason ?? '')}` };
  if (ignored !== undefined) return { outcome: `ignored: ${ignored.reason}`, alarm: 'ignored' };
  if (unmatched) {
    const isAlarm = input.kind === 'event' && input.event['detail-type'] === 'CloudWatch Alarm State Change';
    return {
      outcome: `${isAlarm ? 'ignored' : 'not delivered'}: no deployed EventBridge rule matches it, so no function saw it`,
      ...(isAlarm ? { alarm: 'ignored' as const } : {}),
    };
  }
  return { outcome: 'no outcome recorded (see the dead-letter queue below)' };
}

/** The dead-letter queue's messages: each letter's failure, trigger, reason and original. */
function reportDeadLetters(letters: readonly ReadLetter[], out: (line: string) => void): void {
  out(`Dead-letter queue (${plural(letters.length, 'message')}):`);
  for (const [i, m] of letters.entries()) {
    const l = m.letter;
    if (l.kind === 'restore-dead-letter') {
      const original =
        l.original && 'body' in l.original
          ? l.original.body
          : JSON.stringify(l.original && 'event' in l.original ? l.original.event : l.original);
      out(
        `  ${i + 1}. ${l.failure} by ${l.trigger?.type} ${l.trigger?.id} (attempt ${l.trigger?.attempt}): ${l.error?.name}`,
      );
      out(`     reason:   ${short(l.reason ?? '', 300)}`);
      out(`     original: ${short(original ?? '', 200)}`);
    } else {
      out(`  ${i + 1}. ${short(m.body, 300)}`);
    }
  }
}

/** The faults the endpoint injected, by operation and kind. */
function reportFaults(pipeline: LocalPipeline, out: (line: string) => void): void {
  const injected = Object.entries(pipeline.aws.faults.counts).flatMap(([operation, counts]) =>
    Object.entries(counts)
      .filter(([kind]) => kind !== 'calls')
      .map(([kind, n]) => ({ operation, kind, n })),
  );
  const total = injected.reduce((sum, f) => sum + f.n, 0);
  const calls = Object.values(pipeline.aws.faults.counts).reduce((sum, c) => sum + (c.calls ?? 0), 0);
  out(
    `Faults injected: ${plural(total, 'fault')} in ${plural(calls, 'call')}${total === 0 ? '' : ` (${injected.map((f) => `${f.operation} ${f.kind} ${f.n}`).join(', ')})`}.`,
  );
}

/** Runs the inputs through a local pipeline and prints the report. */
export async function run(
  inputs: Input[],
  options: { faults?: string; verbose?: boolean; out?: (line: string) => void; seed?: BackupSeed } = {},
) {
  const out = options.out ?? ((line: string) => console.log(line));
  const logs: LogLine[] = [];
  const pipeline: LocalPipeline = await startLocalPipeline({
    ...faultOptions(options.faults),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    logSink: (line) => {
      logs.push(JSON.parse(line) as LogLine);
      if (options.verbose) out(`    log ${line}`);
    },
  });
  try {
    out(`Local AWS endpoint on ${pipeline.aws.url}; queues ${REQUEST_QUEUE} and ${DEAD_LETTER_QUEUE}.`);
    out(
      `Submitting ${plural(inputs.length, 'request')} (${inputs.filter((i) => i.kind === 'sqs').length} to the queue, ${plural(inputs.filter((i) => i.kind === 'event').length, 'event')})...`,
    );
    const { ids, unmatched } = await sendInputs(pipeline, inputs, logs, out);
    const letters: ReadLetter[] = pipeline
      .deadLetters()
      .map((m) => ({ ...m, letter: JSON.parse(m.body) as Partial<DeadLetter> }));
    out('');
    out('Requests:');
    const alarms = { ignored: 0, skipped: 0 };
    inputs.forEach((input, i) => {
      const { outcome, alarm } = outcomeOf(pipeline, input, ids[i] ?? '', unmatched.has(i), logs, letters);
      if (alarm !== undefined) alarms[alarm] += 1;
      out(`  ${String(i + 1).padStart(2)}. [${input.kind === 'sqs' ? 'queue' : 'event'}] ${input.label}`);
      out(`      -> ${outcome}`);
    });
    out('');
    reportDeadLetters(letters, out);
    const jobs = pipeline.aws.backup.jobs;
    out('');
    out(
      `Summary: ${plural(inputs.length, 'request')}, ${plural(jobs.length, 'restore job')} started (${jobs.filter((j) => j.Status === 'COMPLETED').length} completed, ${jobs.filter((j) => j.Status === 'FAILED').length} failed), ${plural(letters.length, 'dead letter')}, ${plural(alarms.ignored, 'alarm')} ignored, ${plural(alarms.skipped, 'alarm')} skipped.`,
    );
    if (options.faults !== undefined) reportFaults(pipeline, out);
    return { pipeline, logs, letters };
  } finally {
    await pipeline.close();
  }
}

/** What the drill demo's steps share: the local setup, the functions' dependencies, the metric lines. */
interface DrillDemo {
  readonly setup: ValidationSetup;
  readonly role: string;
  readonly validateDeps: ValidateDeps;
  readonly cleanupDeps: CleanupDeps;
  readonly metricLines: string[];
  readonly silent: Logger;
  readonly out: (line: string) => void;
  /** makeReady on the job's COMPLETED event, as its deployed rule sends it. */
  readonly makeReady: (restoreJobId: string) => Promise<unknown>;
}

/** The validator's and the cleanup's dependencies on the local endpoint, with their metrics kept. */
function drillDemoOf(
  aws: LocalAws,
  seed: BackupSeed,
  setup: ValidationSetup,
  s3control: ReturnType<typeof localS3ControlClient>,
  out: (line: string) => void,
): DrillDemo {
  const { backup, ddb, sqs, table, resources: made } = setup;
  const silent = createLogger({ sink: () => undefined });
  const clients = {
    ddb,
    rds: () => made.rds,
    ec2: () => made.ec2,
    efs: () => made.efs,
    s3: () => made.s3,
    s3control: () => s3control,
  };
  const metricLines: string[] = [];
  const validateDeps: ValidateDeps = {
    config: loadValidationConfig({
      AWS_REGION: seed.region,
      DEAD_LETTER_QUEUE_URL: setup.dlqUrl,
      VALIDATION_QUEUE_URL: setup.validationQueueUrl,
      RESTORE_JOBS_TABLE: table,
    }),
    backup,
    ddb,
    sqs: async () => sqs,
    lambda: () => {
      throw new Error('no validator function in this demo');
    },
    resources: { backup, ...clients },
    logger: silent,
    metricsSink: (line) => metricLines.push(line),
    now: () => new Date(),
  };
  const cleanupDeps: CleanupDeps = {
    ddb,
    backup,
    sqs: async () => sqs,
    clients,
    config: { restoreJobsTable: table, deadLetterQueueUrl: setup.dlqUrl },
    logger: silent,
    metrics: createMetrics((line) => metricLines.push(line)),
    now: () => new Date(),
  };
  const role = `arn:aws:iam::${seed.accountId}:role/service-role/AWSBackupDefaultServiceRole`;
  const ready = makeReadyHandler(readyDeps(setup, seed.region));
  const makeReady = async (id: string) => {
    const job = aws.backup.jobs.find((j) => j.RestoreJobId === id);
    return job === undefined
      ? 'no such job'
      : ready(restoreJobEvent(job, false) as never, lambdaContext('makeReady', 900_000));
  };
  return { setup, role, validateDeps, cleanupDeps, metricLines, silent, out, makeReady };
}

/** A drill restored to COMPLETED, then handed off as the tracker does (the outcome's time, the drill record). */
async function restoreDrill(
  d: DrillDemo,
  label: string,
  type: string,
  point: string,
  metadata: Record<string, string>,
) {
  const { setup, out } = d;
  const { backup, ddb, table } = setup;
  const neededAt = new Date().toISOString();
  const request = {
    RecoveryPointArn: point,
    ResourceType: type,
    Metadata: metadata,
    Drill: { DeleteAfterHours: 0 },
  };
  const input = { RecoveryPointArn: point, ResourceType: type, Metadata: metadata, IamRoleArn: d.role };
  const restoreJobId = await startLinkedRestore(setup, request, input, {
    type: 'sqs',
    id: `drill-${label}`,
    attempt: 1,
    neededAt,
  });
  out(`  ${label}: restore job ${restoreJobId} started (${type}, Drill: DeleteAfterHours 0)`);
  let job = await backup.send(new DescribeRestoreJobCommand({ RestoreJobId: restoreJobId }));
  while (job.Status !== 'COMPLETED' && job.Status !== 'FAILED') {
    await sleep(50);
    job = await backup.send(new DescribeRestoreJobCommand({ RestoreJobId: restoreJobId }));
  }
  const arn = job.CreatedResourceArn ?? '';
  const completedAt = job.CompletionDate?.toISOString() ?? new Date().toISOString();
  // What the tracker does at COMPLETED: the outcome's time and the drill record (untagged).
  await markJobOutcome(ddb, table, restoreJobId, 'COMPLETED', new Date(), { completedAt });
  await recordCompletedDrill(
    ddb,
    table,
    {
      restoreJobId,
      resourceType: type,
      createdResourceArn: arn,
      completedAt,
      spec: { deleteAfterHours: 0 },
    },
    new Date(),
  );
  out(`    COMPLETED: ${arn}, drill record written (untagged until the cleanup's next run)`);
  // The validator judges the copy once makeReady has made it ready (docs/ready.md).
  out(`    make-ready: ${String(await d.makeReady(restoreJobId))}`);
  return { restoreJobId, arn, completedAt };
}

/** The validator's checks of a drill's resource, again until it is no longer "not yet" (at most 39 times). */
async function validateDrill(
  d: DrillDemo,
  drill: { restoreJobId: string; arn: string; completedAt: string },
  type: string,
  pin?: () => void,
) {
  pin?.();
  for (let attempt = 1; attempt < 40; attempt++) {
    const outcome = await validateRestore(
      d.validateDeps,
      {
        kind: 'restore-validation',
        version: 1,
        restoreJobId: drill.restoreJobId,
        resourceType: type,
        createdResourceArn: drill.arn,
        completedAt: drill.completedAt,
        requestedAt: drill.completedAt,
        attempt,
      },
      d.silent,
    );
    if (outcome !== 'requeued') return { outcome, attempts: attempt };
    // The validator puts a not-yet back on its queue with a delay; here the next check runs sooner.
    await sleep(100);
  }
  return { outcome: 'requeued', attempts: 40 };
}

/**
 * A drill end to end on the local endpoint, through the real SDK clients and the pipeline's own
 * functions: an RDS restore by recovery point with `Drill: {DeleteAfterHours: 0}` is restored, handed
 * off as the tracker does at COMPLETED (its drill record), validated (the validator's checks, re-checked until
 * the instance is available), timed, and tagged then deleted by one cleanup run; and a drill of an EBS volume whose
 * check fails is dead-lettered and its resource left.
 */
export async function drillDemo(out: (line: string) => void = (line) => console.log(line)) {
  const seed = { ...defaultSeed(), timing: { runningAfterMs: 50, doneAfterMs: 200 } };
  const aws = await startLocalAws({ seed, resourceTiming: { availableAfterMs: 400, goneAfterMs: 0 } });
  const setup = await setUpValidation(aws.url, seed.region).catch(async (error: unknown) => {
    await aws.close();
    throw error;
  });
  const s3control = localS3ControlClient(aws.url, seed.region);
  try {
    const d = drillDemoOf(aws, seed, setup, s3control, out);
    out('');
    out('Drills (restore, validate, time, delete):');
    const rds = await restoreDrill(
      d,
      'rds',
      'RDS',
      'arn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-5f2a9c1e-3b7d-4e8f-9a6b-1c2d3e4f5a6b',
      { DBInstanceIdentifier: 'orders-db-r1a2b3c4' },
    );
    const v = await validateDrill(d, rds, 'RDS');
    out(`    validation: ${v.outcome} after ${plural(v.attempts, 'check')}`);
    const timing = d.metricLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((m) => m.TimeToRecovery !== undefined);
    if (timing !== undefined) {
      out(
        `    timed: accepted ${timing.TimeToRestoreAccepted}s, completed ${timing.TimeToRestoreCompleted}s, validated (time to recovery) ${timing.TimeToRecovery}s after the need`,
      );
    }
    const ebs = await restoreDrill(
      d,
      'ebs',
      'EBS',
      'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718',
      {
        availabilityZone: 'eu-west-1a',
        volumeSize: '100',
      },
    );
    const bad = await validateDrill(d, ebs, 'EBS', () => {
      const volume = aws.resources.store.byArn(ebs.arn);
      if (volume !== undefined) volume.state = 'error';
    });
    out(
      `    validation: ${bad.outcome} (the volume is in state error): dead-lettered, the volume left 24 h for inspection`,
    );
    const counts = await cleanupDueDrills(d.cleanupDeps);
    const letters = reportDrillCleanup(aws, { rds, ebs }, counts, out);
    return { rds, ebs, counts, letters };
  } finally {
    s3control.destroy();
    setup.destroy();
    await aws.close();
  }
}

/** What the cleanup run did: tagged, deleted or left each drill's resource; and the dead letters. */
function reportDrillCleanup(
  aws: LocalAws,
  drills: { rds: { arn: string }; ebs: { arn: string; restoreJobId: string } },
  counts: Awaited<ReturnType<typeof cleanupDueDrills>>,
  out: (line: string) => void,
): DeadLetter[] {
  const { rds, ebs } = drills;
  out(
    `  cleanup run: ${counts.tagged} tagged backup-restore:drill=<job id>, then ${counts.deleted} deleted, ${counts.refused} refused, ${counts.failed} failed`,
  );
  const tag = (arn: string) => aws.resources.store.byArn(arn)?.tags['backup-restore:drill'];
  out(`    ${ebs.arn}: tagged ${tag(ebs.arn) === ebs.restoreJobId ? 'with its job id' : 'NOT'}`);
  out(`    ${rds.arn}: ${aws.resources.store.byArn(rds.arn) === undefined ? 'deleted' : 'still there'}`);
  out(
    `    ${ebs.arn}: ${aws.resources.store.byArn(ebs.arn) === undefined ? 'deleted' : 'left (its validation failed)'}`,
  );
  const letters = [...aws.sqs.queues.values()]
    .find((q) => q.name === 'restore-dlq')
    ?.messages.map((m) => JSON.parse(m.Body) as DeadLetter);
  for (const l of letters ?? []) out(`  dead letter: ${l.failure}: ${short(l.reason, 200)}`);
  return letters ?? [];
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.serve) return serve(args);
  // The samples run with current times (the seed moved with them); your own events as they are.
  const offset = args.events === undefined ? currentOffset() : 0;
  const inputs = args.events === undefined ? defaultInputs(offset) : readInputs(resolve(args.events));
  await run(inputs, {
    ...(args.faults ? { faults: args.faults } : {}),
    verbose: args.verbose,
    seed: currentSeed(offset),
  });
  if (args.events === undefined) await drillDemo();
  if (args.events === undefined) await (await import('./ready-demo.js')).readyDemo();
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      // PortInUseError and the option checks say what to do; other errors are shown as they are.
      console.error(error instanceof PortInUseError || error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
