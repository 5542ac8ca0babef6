/** `dead-letters` and `redrive`: read the dead-letter queue without consuming it, and move letters back. */

import { type Command, InvalidArgumentError, Option } from 'commander';
import { LETTER_FAILURES } from '../src/letters/dead-letters.js';
import { aws, type Context, contextOf, type SetExit, withTarget } from './context.js';
import {
  DEFAULT_HOLD_SECONDS,
  type HeldLetter,
  inPool,
  type MoveResult,
  type MoveTask,
  matches,
  moveAll,
  moveOne,
  receiveAll,
  release,
} from './dead-letters.js';
import { letterJson, letterRow } from './letter-text.js';
import { CliError, EXIT, type Io, plural, safe } from './output.js';
import { explainAwsError, type Target } from './target.js';

function failureOption(): Option {
  return new Option('--failure <kind>', 'only dead letters of this failure kind').choices([
    ...LETTER_FAILURES,
  ]);
}

function positive(name: string) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new InvalidArgumentError(`${name} must be a whole number above 0.`);
    return n;
  };
}

interface ListOptions {
  failure?: string;
  limit: number;
  hold: number;
}

interface RedriveOptions {
  id?: string[];
  failure?: string;
  all?: boolean;
  dryRun?: boolean;
  rate?: number;
  wait: boolean;
  hold: number;
}

/** Reads up to `limit` dead letters, holding them `holdSeconds`, with progress. */
function readDeadLetters(
  ctx: Context,
  target: Target,
  queueUrl: string,
  limit: number,
  holdSeconds: number,
): Promise<HeldLetter[]> {
  return aws(target, 'read the dead-letter queue', () =>
    receiveAll(target.sqs, queueUrl, {
      limit,
      holdSeconds,
      waitSeconds: 1,
      onProgress: (n, approx) => ctx.progress.update(`read ${n} of about ${approx} dead letters`),
    }),
  );
}

async function listDeadLetters(ctx: Context, opts: ListOptions): Promise<void> {
  await withTarget(ctx, async (target) => {
    const queueUrl = await target.deadLetterQueueUrl();
    const held = await readDeadLetters(ctx, target, queueUrl, opts.limit, opts.hold);
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
}

/** Refuses a redrive that says too much (--all with a choice) or too little (nothing chosen). */
function checkRedriveChoice(opts: RedriveOptions, ids: readonly string[]): void {
  if (opts.all && (ids.length > 0 || opts.failure !== undefined)) {
    throw new CliError('usage', '--all moves every message: use it without --id and --failure.', EXIT.usage);
  }
  if (!opts.all && ids.length === 0 && opts.failure === undefined) {
    throw new CliError(
      'usage',
      `Say what to move: --id ID (repeatable), --failure ${LETTER_FAILURES.join('|')}, or --all.`,
      EXIT.usage,
    );
  }
}

async function redrive(ctx: Context, opts: RedriveOptions, setExit: SetExit): Promise<void> {
  const ids = opts.id ?? [];
  checkRedriveChoice(opts, ids);
  await withTarget(ctx, async (target) => {
    const from = await target.deadLetterQueueUrl();
    const to = await target.requestQueueUrl();
    if (opts.all) {
      await redriveAll(ctx, target, from, to, opts, setExit);
      return;
    }
    await redriveChosen(ctx, target, { from, to }, ids, opts, setExit);
  });
}

/** What a redrive of chosen letters did: the letters chosen, each one's move, the ids not found. */
interface ChosenMoves {
  read: number;
  chosen: HeldLetter[];
  missing: string[];
  moved: MoveResult[];
  failed: MoveResult[];
  duplicated: MoveResult[];
}

/** Moves the letters chosen by id or failure kind (none with --dry-run); the others are made visible again. */
async function redriveChosen(
  ctx: Context,
  target: Target,
  queues: { from: string; to: string },
  ids: readonly string[],
  opts: RedriveOptions,
  setExit: SetExit,
): Promise<void> {
  const { from, to } = queues;
  const held = await readDeadLetters(ctx, target, from, 100_000, opts.hold);
  const chosen = held.filter((h) => matches(h.info, ids, opts.failure));
  const missing = ids.filter(
    (id) => !chosen.some((h) => [h.info.messageId, h.info.deadLetterId, h.info.triggerId].includes(id)),
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
  const moves: ChosenMoves = {
    read: held.length,
    chosen,
    missing,
    moved: results.filter((r) => r.result !== 'not-moved'),
    failed: results.filter((r) => r.result === 'not-moved'),
    duplicated: results.filter((r) => r.result === 'sent-not-deleted'),
  };
  ctx.result(chosenMovesJson(moves, opts.dryRun === true), () =>
    chosenMovesText(ctx, moves, opts.dryRun === true),
  );
  const done = opts.dryRun ? chosen.length : moves.moved.length;
  if (moves.failed.length > 0 || moves.duplicated.length > 0 || (missing.length > 0 && done > 0))
    setExit(EXIT.partial);
  else if (missing.length > 0) setExit(EXIT.notFound);
}

function chosenMovesJson(m: ChosenMoves, dryRun: boolean) {
  return {
    dryRun,
    read: m.read,
    chosen: m.chosen.map((h) => letterJson(h.info)),
    moved: m.moved.map((r) => ({
      messageId: r.messageId,
      failure: r.failure,
      newMessageId: r.newMessageId,
    })),
    notMoved: m.failed.map((r) => ({ messageId: r.messageId, error: r.error })),
    sentNotDeleted: m.duplicated.map((r) => ({ messageId: r.messageId, error: r.error })),
    idsNotFound: m.missing,
  };
}

function chosenMovesText(ctx: Context, m: ChosenMoves, dryRun: boolean): string {
  const p = ctx.paint;
  const lines = dryRun
    ? [`would move ${plural(m.chosen.length, 'dead letter')}:`, ...m.chosen.map((h) => letterRow(h.info, p))]
    : [
        `${p.green('moved')} ${plural(m.moved.length, 'dead letter')} to the request queue${
          m.moved.length > 0 ? `: ${m.moved.map((r) => safe(r.messageId)).join(', ')}` : ''
        }`,
      ];
  for (const r of m.failed) lines.push(`${p.red('not moved')} ${safe(r.messageId)}: ${safe(r.error)}`);
  for (const r of m.duplicated)
    lines.push(
      `${p.yellow('sent, not deleted')} ${safe(r.messageId)}: it is still in the dead-letter queue too (${safe(r.error)}); the copy sent within the hour starts nothing twice, delete or ignore it.`,
    );
  for (const id of m.missing) lines.push(`${p.yellow('not found')} ${safe(id)}: no dead letter with this id`);
  return lines.join('\n');
}

async function redriveAll(
  ctx: Context,
  target: Target,
  from: string,
  to: string,
  opts: { dryRun?: boolean; rate?: number; wait: boolean },
  setExit: SetExit,
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

/** Adds `dead-letters` and `redrive`. */
export function addDeadLetterCommands(program: Command, io: Io, setExit: SetExit): void {
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
    .action((opts: ListOptions, command: Command) => listDeadLetters(contextOf(command, io), opts));

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
    .action((opts: RedriveOptions, command: Command) => redrive(contextOf(command, io), opts, setExit));
}
