/**
 * `npm start`: runs the whole pipeline on this machine with embedded defaults and prints a report.
 *
 *   npm start                              the samples in events/, good and bad
 *   npm start -- --events my-events.json   your own requests (see README: Local run)
 *   npm start -- --faults "StartRestoreJob=ServiceUnavailable:0.3"   with injected faults
 *   npm start -- --verbose                 also print the handlers' log lines
 *   npm run serve [-- --port 4566]         keep the endpoint up for `serverless invoke local`
 */

import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EventBridgeEvent } from 'aws-lambda';
import type { DeadLetter } from '../src/dead-letter.js';
import { parseFaultPlan } from './faults.js';
import { DEAD_LETTER_QUEUE, type LocalPipeline, REQUEST_QUEUE, startLocalPipeline } from './pipeline.js';

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
    else if (a === '--port') args.port = Number(next());
    else if (a === '--faults') args.faults = next();
    else if (a === '--help' || a === '-h') {
      console.log(readFileSync(__filename, 'utf8').split('*/')[0]);
      process.exit(0);
    } else throw new Error(`Unknown option ${a} (try --help)`);
  }
  if (args.serve && args.port === 0) args.port = 4566;
  return args;
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
export function readInputs(file: string): Input[] {
  const data = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  const items = Array.isArray(data) ? data : [data];
  const inputs: Input[] = [];
  for (const item of items) {
    const o = item as Record<string, unknown>;
    if (o && typeof o === 'object' && Array.isArray(o.Records)) {
      for (const r of o.Records as { body: string }[])
        inputs.push({ kind: 'sqs', label: describeBody(r.body), body: r.body });
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

const EVENTS_DIR = join(__dirname, '..', 'events');

/** The embedded defaults: every sample in events/ that `npm start` runs. */
export function defaultInputs(): Input[] {
  const alarms = readdirSync(EVENTS_DIR)
    .filter((f) => f.startsWith('alarm-'))
    .sort();
  return ['sqs-batch.json', 'restore-requested.json', 'restore-fails-after-start.json', ...alarms].flatMap(
    (f) => readInputs(join(EVENTS_DIR, f)),
  );
}

interface LogLine {
  message: string;
  reason?: string;
  activeRestoreJobId?: string;
  messageId?: string;
  eventId?: string;
  restoreJobId?: string;
  error?: { name: string; message: string };
}

async function serve(args: Args): Promise<void> {
  const pipeline = await startLocalPipeline({
    port: args.port,
    ...(args.faults ? { faults: parseFaultPlan(args.faults) } : {}),
  });
  await pipeline.source.stop();
  const e = pipeline.env;
  console.log(`Local AWS endpoint on ${pipeline.aws.url} (AWS Backup, SQS, DynamoDB, SNS). Ctrl-C stops it.

Queues: ${pipeline.requestQueueUrl}
        ${pipeline.deadLetterQueueUrl}

Run a handler against it with serverless invoke local:

  export AWS_ENDPOINT_URL=${e.AWS_ENDPOINT_URL} AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \\
    DEAD_LETTER_QUEUE_URL=${e.DEAD_LETTER_QUEUE_URL} RESTORE_JOBS_TABLE=${e.RESTORE_JOBS_TABLE} \\
    RESTORE_ROLE_ARN=${e.RESTORE_ROLE_ARN} \\
    ALLOWED_RESTORE_ROLE_ARNS=${e.ALLOWED_RESTORE_ROLE_ARNS}
  npx serverless invoke local -f restoreFromQueue -p events/sqs-batch.json
  npx serverless invoke local -f restoreFromEvent -p events/restore-requested.json
  npx serverless invoke local -f restoreOnAlarm -p events/alarm-ec2-instance.json

State (jobs, queues, injected faults): curl ${pipeline.aws.url}/__local/state`);
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await pipeline.close();
}

function short(text: string, max = 160): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** Runs the inputs through a local pipeline and prints the report. */
export async function run(
  inputs: Input[],
  options: { faults?: string; verbose?: boolean; out?: (line: string) => void } = {},
) {
  const out = options.out ?? ((line: string) => console.log(line));
  const logs: LogLine[] = [];
  const pipeline: LocalPipeline = await startLocalPipeline({
    ...(options.faults ? { faults: parseFaultPlan(options.faults) } : {}),
    logSink: (line) => {
      logs.push(JSON.parse(line) as LogLine);
      if (options.verbose) out(`    log ${line}`);
    },
  });
  try {
    out(`Local AWS endpoint on ${pipeline.aws.url}; queues ${REQUEST_QUEUE} and ${DEAD_LETTER_QUEUE}.`);
    out(
      `Submitting ${inputs.length} requests (${inputs.filter((i) => i.kind === 'sqs').length} to the queue, ${inputs.filter((i) => i.kind === 'event').length} as events)...`,
    );
    const ids: string[] = [];
    const emitted: Promise<unknown>[] = [];
    for (const input of inputs) {
      if (input.kind === 'sqs') ids.push(await pipeline.submit(input.body));
      else {
        ids.push(String(input.event.id));
        emitted.push(pipeline.emit(input.event));
      }
    }
    let lastShown = '';
    await pipeline.runUntilIdle({
      onProgress: () => {
        const started = logs.filter((l) => l.message === 'Restore job started').length;
        const lettered = pipeline.deadLetters().length;
        const line = `  progress: ${started} started, ${lettered} dead-lettered, ${pipeline.source.stats.failedRecords} retries`;
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
      await new Promise((r) => setTimeout(r, 50));
    }

    const letters = pipeline
      .deadLetters()
      .map((m) => ({ ...m, letter: JSON.parse(m.body) as Partial<DeadLetter> }));
    out('');
    out('Requests:');
    inputs.forEach((input, i) => {
      const id = ids[i] ?? '';
      const started = logs.find(
        (l) => l.message === 'Restore job started' && (l.messageId === id || l.eventId === id),
      );
      const letter = letters.find((l) => l.letter.trigger?.id === id);
      const ignored = logs.find((l) => l.message === 'Alarm state change ignored' && l.eventId === id);
      const skipped = logs.find((l) => l.message?.startsWith('Restore skipped') && l.eventId === id);
      let outcome: string;
      if (started?.restoreJobId !== undefined) {
        const job = pipeline.aws.backup.jobs.find((j) => j.RestoreJobId === started.restoreJobId);
        const failed = letters.find((l) => l.letter.restoreJob?.restoreJobId === started.restoreJobId);
        outcome =
          failed !== undefined
            ? `restore job ${started.restoreJobId} started, then ended ${failed.letter.restoreJob?.status}: dead-lettered (asynchronous failure): ${short(failed.letter.restoreJob?.statusMessage ?? '')}`
            : `restore job ${started.restoreJobId} (${job?.Status ?? 'unknown'}${job?.StatusMessage ? `: ${job.StatusMessage}` : ''})`;
      } else if (letter !== undefined) outcome = `dead-lettered: ${short(letter.letter.reason ?? '')}`;
      else if (ignored !== undefined) outcome = `ignored: ${ignored.reason}`;
      else if (skipped !== undefined)
        outcome = `skipped: restore job ${skipped.activeRestoreJobId} of this resource is still running`;
      else outcome = 'no outcome recorded (see the dead-letter queue below)';
      out(`  ${String(i + 1).padStart(2)}. [${input.kind === 'sqs' ? 'queue' : 'event'}] ${input.label}`);
      out(`      -> ${outcome}`);
    });
    out('');
    out(`Dead-letter queue (${letters.length} messages):`);
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
    const jobs = pipeline.aws.backup.jobs;
    out('');
    out(
      `Summary: ${inputs.length} requests, ${jobs.length} restore jobs started (${jobs.filter((j) => j.Status === 'COMPLETED').length} completed, ${jobs.filter((j) => j.Status === 'FAILED').length} failed), ${letters.length} dead letters.`,
    );
    return { pipeline, logs, letters };
  } finally {
    await pipeline.close();
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.serve) return serve(args);
  const inputs = args.events === undefined ? defaultInputs() : readInputs(resolve(args.events));
  await run(inputs, { ...(args.faults ? { faults: args.faults } : {}), verbose: args.verbose });
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
