/** `status`: what became of a request, from the job table, AWS Backup and the dead-letter queue. */

import type { Command } from 'commander';
import { aws, type Context, contextOf, type SetExit, withTarget } from './context.js';
import { DEFAULT_HOLD_SECONDS, type LetterInfo, matches, receiveAll, release } from './dead-letters.js';
import { letterJson, letterRow } from './letter-text.js';
import { EXIT, type Io, type Paint, plural, safe } from './output.js';
import { lookUp, type StatusReport } from './status.js';
import type { Target } from './target.js';

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

/** The dead letters of a request refused before any job started (it is only in the dead-letter queue). */
async function deadLettersOf(target: Target, id: string): Promise<LetterInfo[]> {
  const queueUrl = await target.deadLetterQueueUrl();
  const held = await aws(target, 'read the dead-letter queue', () =>
    receiveAll(target.sqs, queueUrl, {
      limit: 100_000,
      holdSeconds: DEFAULT_HOLD_SECONDS,
      waitSeconds: 1,
    }),
  );
  await release(target.sqs, queueUrl, held);
  return held.map((h) => h.info).filter((l) => matches(l, [id], undefined));
}

async function status(ctx: Context, id: string, lookInDeadLetters: boolean, setExit: SetExit): Promise<void> {
  await withTarget(ctx, async (target) => {
    const table = await target.table();
    let report = await aws(target, `look up ${id}`, () => lookUp(target, table, id));
    let deadLetters: LetterInfo[] = [];
    if (report.jobs.length === 0 && lookInDeadLetters) {
      deadLetters = await deadLettersOf(target, id);
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
}

/** Adds `status`. */
export function addStatusCommand(program: Command, io: Io, setExit: SetExit): void {
  program
    .command('status')
    .description('what became of a request: its restore job, the job state from AWS Backup, and the outcome')
    .argument('<id>', 'restore job id, or the SQS message id / EventBridge event id of the request')
    .option('--no-dead-letters', 'when no job is found, do not look for the id in the dead-letter queue')
    .action((id: string, opts: { deadLetters: boolean }, command: Command) =>
      status(contextOf(command, io), id, opts.deadLetters, setExit),
    );
}
