/**
 * The `restore-pipeline` command line: validate, submit, status, dead-letters, redrive.
 * `run(argv, io)` is the whole program; bin.js and tests call it.
 */

import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { FAILURE_KINDS } from '../src/arrival/redriven.js';
import {
  DEFAULT_HOLD_SECONDS,
  type HeldLetter,
  inPool,
  type LetterInfo,
  type MoveResult,
  type MoveTask,
  matches,
  moveAll,
  moveOne,
  receiveAll,
  release,
} from './dead-letters.js';
import {
  age,
  CliError,
  EXIT,
  exitCodesHelp,
  type Io,
  type Paint,
  paintFor,
  plural,
  progressFor,
  safe,
  safeJson,
} from './output.js';
import type { RestoreRequest } from './pipeline.js';
import { collectRows, parseSince, reportCsv, reportText, summarise } from './report.js';
import { DEFAULT_TTR_TARGET, parseTtrTargets, type TtrTargets } from './report-html.js';
import { writeReportPage } from './report-page.js';
import { lookUp, type StatusReport } from './status.js';
import { explainAwsError, resolveTarget, type Target, type TargetOptions } from './target.js';
import { checkRequest, describeRequest, policySource, readInput, type Verdict } from './validate.js';

interface GlobalOptions extends TargetOptions {
  json?: boolean;
  color: boolean;
  progress?: boolean;
}

interface Context {
  readonly io: Io;
  readonly options: GlobalOptions;
  readonly paint: Paint;
  /** Writes the command's result: JSON with --json, else the text. */
  result(json: unknown, text: () => string): void;
  progress: ReturnType<typeof progressFor>;
}

function contextOf(command: Command, io: Io): Context {
  const options = command.optsWithGlobals() as GlobalOptions;
  const json = options.json === true;
  const paint = paintFor(io.stdoutIsTTY, io.env, options.color !== false && !json);
  return {
    io,
    options,
    paint,
    result: (value, text) => io.stdout.write(json ? `${safeJson(value)}\n` : `${text()}\n`),
    progress: progressFor(io, options.progress ?? (io.stderrIsTTY && !json)),
  };
}

async function withTarget<T>(ctx: Context, work: (target: Target) => Promise<T>): Promise<T> {
  const target = resolveTarget(ctx.options, ctx.io);
  try {
    return await work(target);
  } finally {
    ctx.progress.done();
    target.close();
  }
}

async function aws<T>(target: Target, doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw explainAwsError(error, doing, target);
  }
}

function verdictText(v: Verdict, p: Paint): string {
  const lines: string[] = [];
  if (v.valid && v.request !== undefined) {
    lines.push(`${p.green('valid')}  ${safe(v.file)}: ${safe(describeRequest(v.request))}`);
  } else {
    const what = v.refusal === 'forbidden' ? 'refused by this deployment' : 'invalid';
    lines.push(`${p.red(what)}  ${safe(v.file)}: ${plural(v.problems.length, 'problem')}`);
    for (const problem of v.problems) lines.push(`  - ${safe(problem)}`);
  }
  if (v.note !== undefined) lines.push(p.yellow(`  ${safe(v.note)}`));
  if (v.notChecked.length > 0) {
    lines.push(
      p.yellow(
        `  not checked (no deployment settings): ${v.notChecked.join('; ')}. Set RESTORE_ROLE_ARN, ALLOWED_RESTORE_ROLE_ARNS, AWS_REGION (and ALLOWED_BACKUP_VAULTS) as the functions have them, or use --local.`,
      ),
    );
  }
  return lines.join('\n');
}

/** The request as printed: its Metadata keys, each value replaced by the mark the pipeline writes. */
function withoutMetadataValues(request: RestoreRequest): RestoreRequest {
  const metadata = request.Metadata;
  if (metadata === undefined) return request;
  return {
    ...request,
    Metadata: Object.fromEntries(Object.keys(metadata).map((key) => [key, `[redacted Metadata.${key}]`])),
  };
}

function verdictJson(v: Verdict) {
  return {
    file: v.file,
    valid: v.valid,
    ...(v.refusal === undefined ? {} : { refusal: v.refusal }),
    problems: v.problems,
    ...(v.request === undefined ? {} : { request: withoutMetadataValues(v.request) }),
    checkedAgainst: v.checkedAgainst,
    notChecked: v.notChecked,
    ...(v.note === undefined ? {} : { note: v.note }),
  };
}

/**
 * Checks a request file. The rules come from the functions' variables in the environment, else
 * from the deployed function (with --stage or --stack-name), else the local stack's (--local).
 */
async function verdictFor(ctx: Context, file: string, target?: Target): Promise<Verdict> {
  const text = await readInput(file, ctx.io);
  const local = ctx.options.local === true || ctx.options.endpointUrl !== undefined;
  let deployment: Record<string, string> | undefined;
  let note: string | undefined;
  const stack = ctx.options.stage !== undefined || ctx.options.stackName !== undefined;
  if (!local && stack && !ctx.io.env.RESTORE_ROLE_ARN) {
    const t = target ?? resolveTarget(ctx.options, ctx.io);
    try {
      deployment = await t.deploymentSettings();
    } catch (error) {
      note = `The deployed functions' settings could not be read: ${(error as Error).message}`;
    } finally {
      if (target === undefined) t.close();
    }
  }
  const verdict = checkRequest(
    file === '-' ? 'stdin' : file,
    text,
    policySource(ctx.io.env, local, ctx.options.region ?? ctx.io.env.AWS_REGION, deployment),
  );
  return note === undefined ? verdict : { ...verdict, note };
}

function statusText(report: StatusReport, p: Paint): string {
  const lines: string[] = [];
  for (const j of report.jobs) {
    const state = j.job?.status ?? 'unknown to AWS Backup';
    const colour =
      state === 'COMPLETED' ? p.green : state === 'FAILED' || state === 'ABORTED' ? p.red : p.yellow;
    lines.push(
      `${p.bold(safe(j.restoreJobId))}  ${colour(safe(state))}${j.job?.percentDone ? ` (${safe(j.job.percentDone.replace(/%?$/, '%'))})` : ''}`,
    );
    if (j.job?.statusMessage) lines.push(`  message:   ${safe(j.job.statusMessage)}`);
    if (j.job?.createdResourceArn) lines.push(`  created:   ${safe(j.job.createdResourceArn)}`);
    if (j.link !== undefined) {
      const trigger = j.link.trigger as { type?: string; id?: string } | undefined;
      lines.push(
        `  request:   ${safe(trigger?.type ?? '?')} ${safe(trigger?.id ?? j.link.triggerId ?? '')}`.trimEnd(),
      );
      if (j.link.recoveryPointArn) lines.push(`  recovery:  ${safe(j.link.recoveryPointArn)}`);
      if (j.link.startedAt) lines.push(`  started:   ${safe(j.link.startedAt)}`);
      if (j.link.redriveCount) lines.push(`  redriven:  ${plural(j.link.redriveCount, 'time')}`);
    }
    lines.push(
      `  outcome:   ${safe(j.outcome ?? (j.job?.status === 'COMPLETED' ? 'completed' : 'none recorded yet'))}`,
    );
    if (j.jobError) lines.push(`  AWS:       ${safe(j.jobError)}`);
  }
  for (const note of report.notes) lines.push(p.yellow(safe(note)));
  return lines.join('\n');
}

function letterRow(l: LetterInfo, p: Paint): string {
  const colour = l.failure === 'rejected' ? p.red : l.failure === 'restore-job-failed' ? p.yellow : p.bold;
  const ageText = l.ageSeconds === undefined ? '?' : age(l.ageSeconds * 1000);
  return [
    `${safe(l.messageId)}  ${colour(safe(l.failure))}  ${ageText} ago${l.triggerId ? `  ${safe(l.triggerType ?? 'trigger')} ${safe(l.triggerId)}` : ''}${l.restoreJobId ? `  job ${safe(l.restoreJobId)}` : ''}`,
    `  ${safe(l.reason)}`,
  ].join('\n');
}

function letterJson(l: LetterInfo) {
  return Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined));
}

function failureOption(): Option {
  return new Option('--failure <kind>', 'only dead letters of this failure kind').choices([...FAILURE_KINDS]);
}

function positive(name: string) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new InvalidArgumentError(`${name} must be a whole number above 0.`);
    return n;
  };
}

function ttrTargets(value: string): TtrTargets {
  try {
    return parseTtrTargets(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

interface ReportOptions {
  since: string;
  csv?: boolean;
  html?: string;
  ttrTarget?: TtrTargets;
}

/** `report --html FILE`: writes the page and says what it holds. */
async function htmlReport(ctx: Context, file: string, since: Date, targets?: TtrTargets): Promise<void> {
  const page = await withTarget(ctx, (target) =>
    aws(target, 'read the restores and dead letters', () =>
      writeReportPage(target, { file, since, targets: targets ?? parseTtrTargets('') }),
    ),
  );
  ctx.result(page, () =>
    [
      `Wrote ${file}: ${plural(page.restores, 'restore')}, ${plural(page.deadLetters, 'dead letter')}.`,
      ...(page.unreleased.length > 0
        ? [
            ctx.paint.yellow(
              `${plural(page.unreleased.length, 'dead letter')} stay hidden until the hold ends.`,
            ),
          ]
        : []),
    ].join('\n'),
  );
}

/** Builds the program; `exit` receives the exit code of each action. */
export function createProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('restore-pipeline')
    .description(
      'Operate the backup-restore pipeline: check and send restore requests, follow them, and work the dead-letter queue.',
    )
    .option('--stage <stage>', 'deployment stage (the stack is backup-restore-pipeline-<stage>)')
    .option('--region <region>', 'AWS Region (default: AWS_REGION)')
    .option('--stack-name <name>', 'CloudFormation stack name, instead of --stage')
    .option('--request-queue-url <url>', 'request queue URL, instead of the stack output')
    .option('--dead-letter-queue-url <url>', 'dead-letter queue URL, instead of the stack output')
    .option('--table <name>', 'job-link table name, instead of the stack output')
    .option('--local', 'use the local stack (npm run serve) at http://127.0.0.1:4566')
    .option('--endpoint-url <url>', 'use the local stack at this URL')
    .option('--json', 'print one JSON document on standard output')
    .option('--no-color', 'no colours (also off when not a terminal, or with NO_COLOR)')
    .option('--progress', 'show progress on standard error even when it is not a terminal')
    .addHelpText('after', exitCodesHelp())
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .exitOverride();

  program
    .command('validate')
    .description('check a restore request offline, as the functions would; exit code 1 when it is refused')
    .argument('<file>', 'JSON file with one restore request (or a "Restore Requested" event), or - for stdin')
    .action(async (file: string, _opts, command: Command) => {
      const ctx = contextOf(command, io);
      const verdict = await verdictFor(ctx, file);
      ctx.result(verdictJson(verdict), () => verdictText(verdict, ctx.paint));
      setExit(verdict.valid ? EXIT.ok : EXIT.invalid);
    });

  program
    .command('submit')
    .description('validate a restore request, then send it to the request queue; prints the message id')
    .argument('<file>', 'JSON file with one restore request, or - for stdin')
    .action(async (file: string, _opts, command: Command) => {
      const ctx = contextOf(command, io);
      await withTarget(ctx, async (target) => {
        const verdict = await verdictFor(ctx, file, target);
        if (!verdict.valid) {
          ctx.result(
            { ...verdictJson(verdict), sent: false },
            () => `${verdictText(verdict, ctx.paint)}\nNot sent.`,
          );
          setExit(EXIT.invalid);
          return;
        }
        const queueUrl = await target.requestQueueUrl();
        const out = await aws(target, 'send the request to the request queue', () =>
          target.sqs.send(
            new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(verdict.payload) }),
          ),
        );
        const messageId = out.MessageId ?? '';
        ctx.result({ ...verdictJson(verdict), sent: true, messageId, queueUrl }, () =>
          [
            `${ctx.paint.green('sent')}  ${safe(verdict.file)}: ${verdict.request ? safe(describeRequest(verdict.request)) : ''}`,
            `message id ${ctx.paint.bold(safe(messageId))}`,
            `follow it: restore-pipeline${ctx.options.local ? ' --local' : ''} status ${safe(messageId)}`,
          ].join('\n'),
        );
      });
    });

  program
    .command('status')
    .description('what became of a request: its restore job, the job state from AWS Backup, and the outcome')
    .argument('<id>', 'restore job id, or the SQS message id / EventBridge event id of the request')
    .option('--no-dead-letters', 'when no job is found, do not look for the id in the dead-letter queue')
    .action(async (id: string, opts: { deadLetters: boolean }, command: Command) => {
      const ctx = contextOf(command, io);
      await withTarget(ctx, async (target) => {
        const table = await target.table();
        let report = await aws(target, `look up ${id}`, () => lookUp(target, table, id));
        let deadLetters: LetterInfo[] = [];
        if (report.jobs.length === 0 && opts.deadLetters) {
          // A request refused before any job started is only in the dead-letter queue.
          const queueUrl = await target.deadLetterQueueUrl();
          const held = await aws(target, 'read the dead-letter queue', () =>
            receiveAll(target.sqs, queueUrl, {
              limit: 100_000,
              holdSeconds: DEFAULT_HOLD_SECONDS,
              waitSeconds: 1,
            }),
          );
          await release(target.sqs, queueUrl, held);
          deadLetters = held.map((h) => h.info).filter((l) => matches(l, [id], undefined));
          if (deadLetters.length > 0) {
            report = {
              ...report,
              notes: [`In the dead-letter queue: ${plural(deadLetters.length, 'dead letter')} for ${id}.`],
            };
          }
        }
        ctx.result({ ...report, deadLetters: deadLetters.map(letterJson) }, () =>
          [statusText(report, ctx.paint), ...deadLetters.map((l) => letterRow(l, ctx.paint))].join('\n'),
        );
        setExit(report.jobs.length > 0 || deadLetters.length > 0 ? EXIT.ok : EXIT.notFound);
      });
    });

  program
    .command('report')
    .description(
      'restores since a moment, per resource type: counts, validation pass rate, median and worst time to recovery',
    )
    .option('--since <age>', 'how far back: 90m, 36h, 7d or 2w', '7d')
    .option('--csv', 'print CSV on standard output')
    .option('--html <file>', 'write one self-contained HTML page: timelines, time to recovery, dead letters')
    .option(
      '--ttr-target <targets>',
      `with --html: time to recovery target, 4h or RDS=30m,EBS=2h (default ${DEFAULT_TTR_TARGET})`,
      ttrTargets,
    )
    .action(async (opts: ReportOptions, command: Command) => {
      const ctx = contextOf(command, io);
      const window = parseSince(opts.since);
      if (window === undefined) {
        throw new CliError(
          'usage',
          `--since must be a number and a unit (m, h, d or w), such as 7d; got ${opts.since}`,
          EXIT.usage,
        );
      }
      const since = new Date(Date.now() - window);
      if (opts.html !== undefined) return htmlReport(ctx, opts.html, since, opts.ttrTarget);
      await withTarget(ctx, async (target) => {
        const table = await target.table();
        const rows = await aws(target, 'read the job-link table', () => collectRows(target, table, since));
        const summaries = summarise(rows);
        if (opts.csv === true && ctx.options.json !== true) {
          io.stdout.write(`${reportCsv(summaries)}\n`);
          return;
        }
        ctx.result({ since: since.toISOString(), types: summaries }, () => reportText(summaries, since));
      });
    });

  program
    .command('dead-letters')
    .description('list the dead-letter queue without consuming it: failure kind, reason, age, ids')
    .addOption(failureOption())
    .option('--limit <n>', 'read at most this many messages', positive('--limit'), 1000)
    .option(
      '--hold <seconds>',
      'visibility timeout while reading (messages are made visible again right after)',
      positive('--hold'),
      DEFAULT_HOLD_SECONDS,
    )
    .action(async (opts: { failure?: string; limit: number; hold: number }, command: Command) => {
      const ctx = contextOf(command, io);
      await withTarget(ctx, async (target) => {
        const queueUrl = await target.deadLetterQueueUrl();
        const held = await aws(target, 'read the dead-letter queue', () =>
          receiveAll(target.sqs, queueUrl, {
            limit: opts.limit,
            holdSeconds: opts.hold,
            waitSeconds: 1,
            onProgress: (n, approx) => ctx.progress.update(`read ${n} of about ${approx} dead letters`),
          }),
        );
        const unreleased = await release(target.sqs, queueUrl, held);
        ctx.progress.done();
        const shown = held.map((h) => h.info).filter((l) => matches(l, [], opts.failure));
        const counts = Object.fromEntries(
          [...new Set(held.map((h) => h.info.failure))].map((f) => [
            f,
            held.filter((h) => h.info.failure === f).length,
          ]),
        );
        ctx.result({ queueUrl, read: held.length, counts, letters: shown.map(letterJson), unreleased }, () =>
          [
            ...shown.map((l) => letterRow(l, ctx.paint)),
            `${plural(shown.length, 'dead letter')}${opts.failure ? ` (${opts.failure})` : ''} of ${held.length} read${
              Object.keys(counts).length > 0
                ? `: ${Object.entries(counts)
                    .map(([f, n]) => `${n} ${safe(f)}`)
                    .join(', ')}`
                : ''
            }`,
            ...(unreleased.length > 0
              ? [ctx.paint.yellow(`${plural(unreleased.length, 'message')} stay hidden until the hold ends.`)]
              : []),
          ].join('\n'),
        );
      });
    });

  program
    .command('redrive')
    .description('move chosen dead letters back to the request queue, or all of them with a move task')
    .option('--id <id...>', 'dead letters by message id, dead-letter id, or the id of their request')
    .addOption(failureOption())
    .option('--all', 'move every message with an SQS message move task')
    .option('--dry-run', 'show what would move, move nothing')
    .option('--rate <n>', 'with --all: messages a second (MaxNumberOfMessagesPerSecond)', positive('--rate'))
    .option('--no-wait', 'with --all: start the move task and return')
    .option('--hold <seconds>', 'visibility timeout while moving', positive('--hold'), DEFAULT_HOLD_SECONDS)
    .action(
      async (
        opts: {
          id?: string[];
          failure?: string;
          all?: boolean;
          dryRun?: boolean;
          rate?: number;
          wait: boolean;
          hold: number;
        },
        command: Command,
      ) => {
        const ctx = contextOf(command, io);
        const ids = opts.id ?? [];
        if (opts.all && (ids.length > 0 || opts.failure !== undefined)) {
          throw new CliError(
            'usage',
            '--all moves every message: use it without --id and --failure.',
            EXIT.usage,
          );
        }
        if (!opts.all && ids.length === 0 && opts.failure === undefined) {
          throw new CliError(
            'usage',
            `Say what to move: --id ID (repeatable), --failure ${FAILURE_KINDS.join('|')}, or --all.`,
            EXIT.usage,
          );
        }
        await withTarget(ctx, async (target) => {
          const from = await target.deadLetterQueueUrl();
          const to = await target.requestQueueUrl();
          if (opts.all) {
            await redriveAll(ctx, target, from, to, opts, setExit);
            return;
          }
          const held = await aws(target, 'read the dead-letter queue', () =>
            receiveAll(target.sqs, from, {
              limit: 100_000,
              holdSeconds: opts.hold,
              waitSeconds: 1,
              onProgress: (n, approx) => ctx.progress.update(`read ${n} of about ${approx} dead letters`),
            }),
          );
          const chosen = held.filter((h) => matches(h.info, ids, opts.failure));
          const missing = ids.filter(
            (id) =>
              !chosen.some((h) => [h.info.messageId, h.info.deadLetterId, h.info.triggerId].includes(id)),
          );
          const results: MoveResult[] = [];
          const rest: HeldLetter[] = held.filter((h) => !chosen.includes(h));
          if (opts.dryRun) rest.push(...chosen);
          else {
            await inPool(chosen, 10, async (letter) => {
              const r = await moveOne(target.sqs, from, to, letter);
              results.push(r);
              if (r.result === 'not-moved') rest.push(letter);
              ctx.progress.update(`moved ${results.length} of ${chosen.length}`);
            });
          }
          await release(target.sqs, from, rest);
          ctx.progress.done();
          const moved = results.filter((r) => r.result !== 'not-moved');
          const failed = results.filter((r) => r.result === 'not-moved');
          const duplicated = results.filter((r) => r.result === 'sent-not-deleted');
          const summary = {
            dryRun: opts.dryRun === true,
            read: held.length,
            chosen: chosen.map((h) => letterJson(h.info)),
            moved: moved.map((r) => ({
              messageId: r.messageId,
              failure: r.failure,
              newMessageId: r.newMessageId,
            })),
            notMoved: failed.map((r) => ({ messageId: r.messageId, error: r.error })),
            sentNotDeleted: duplicated.map((r) => ({ messageId: r.messageId, error: r.error })),
            idsNotFound: missing,
          };
          ctx.result(summary, () => {
            const p = ctx.paint;
            const lines = opts.dryRun
              ? [
                  `would move ${plural(chosen.length, 'dead letter')}:`,
                  ...chosen.map((h) => letterRow(h.info, p)),
                ]
              : [
                  `${p.green('moved')} ${plural(moved.length, 'dead letter')} to the request queue${
                    moved.length > 0 ? `: ${moved.map((r) => safe(r.messageId)).join(', ')}` : ''
                  }`,
                ];
            for (const r of failed)
              lines.push(`${p.red('not moved')} ${safe(r.messageId)}: ${safe(r.error)}`);
            for (const r of duplicated)
              lines.push(
                `${p.yellow('sent, not deleted')} ${safe(r.messageId)}: it is still in the dead-letter queue too (${safe(r.error)}); the copy sent within the hour starts nothing twice, delete or ignore it.`,
              );
            for (const id of missing)
              lines.push(`${p.yellow('not found')} ${safe(id)}: no dead letter with this id`);
            return lines.join('\n');
          });
          const done = opts.dryRun ? chosen.length : moved.length;
          if (failed.length > 0 || duplicated.length > 0 || (missing.length > 0 && done > 0))
            setExit(EXIT.partial);
          else if (missing.length > 0) setExit(EXIT.notFound);
        });
      },
    );

  return program;
}

async function redriveAll(
  ctx: Context,
  target: Target,
  from: string,
  to: string,
  opts: { dryRun?: boolean; rate?: number; wait: boolean },
  setExit: (code: number) => void,
): Promise<void> {
  if (opts.dryRun) {
    ctx.result({ dryRun: true, from, to }, () => `would start a message move task from ${from} to ${to}`);
    return;
  }
  let task: MoveTask;
  try {
    task = await moveAll(target.sqs, from, to, {
      wait: opts.wait,
      ...(opts.rate === undefined ? {} : { ratePerSecond: opts.rate }),
      onProgress: (t) =>
        ctx.progress.update(`moved ${t.moved}${t.toMove === undefined ? '' : ` of ${t.toMove}`}`),
    });
  } catch (error) {
    const e = explainAwsError(error, 'move all dead letters (StartMessageMoveTask)', target);
    if (e.code !== 'unsupported') throw e;
    throw new CliError(
      e.code,
      `${e.message} Move them with --failure or --id instead: those are plain receives, sends and deletes.`,
      e.exitCode,
    );
  }
  ctx.result(task, () =>
    opts.wait
      ? `move task ${safe(task.status)}: ${plural(task.moved, 'message')} moved${task.failureReason ? ` (${safe(task.failureReason)})` : ''}`
      : `move task started (${safe(task.taskHandle ?? 'no handle')}); follow it with: aws sqs list-message-move-tasks --source-arn <dead-letter queue ARN>`,
  );
  if (opts.wait && task.status !== 'COMPLETED') setExit(EXIT.partial);
}

/** Runs the CLI with `argv` (without node and the script) and returns the exit code. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  let exit: number = EXIT.ok;
  const program = createProgram(io, (code) => {
    exit = code;
  });
  const json = argv.includes('--json');
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exit;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.exitCode === 0
      ) {
        return EXIT.ok;
      }
      return EXIT.usage;
    }
    const e =
      error instanceof CliError
        ? error
        : new CliError(
            'internal',
            `Unexpected error: ${(error as Error).stack ?? String(error)}`,
            EXIT.internal,
          );
    if (json) io.stdout.write(`${safeJson({ error: { code: e.code, message: e.message } })}\n`);
    else {
      const paint = paintFor(io.stderrIsTTY, io.env, !argv.includes('--no-color'));
      // Messages quote AWS's answers and ids from data: each line is made safe, the lines kept.
      io.stderr.write(`${paint.red('error')}: ${e.message.split('\n').map(safe).join('\n')}\n`);
    }
    return e.exitCode;
  }
}
