/** `report`: restores since a moment, per resource type, as text, CSV, JSON or one HTML page. */

import { type Command, InvalidArgumentError } from 'commander';
import { aws, type Context, contextOf, withTarget } from './context.js';
import { CliError, EXIT, type Io, plural } from './output.js';
import { collectRows, parseSince, reportCsv, reportText, summarise } from './report.js';
import { DEFAULT_TTR_TARGET, parseTtrTargets, type TtrTargets } from './report-html.js';
import { writeReportPage } from './report-page.js';

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

async function report(ctx: Context, opts: ReportOptions): Promise<void> {
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
      ctx.io.stdout.write(`${reportCsv(summaries)}\n`);
      return;
    }
    ctx.result({ since: since.toISOString(), types: summaries }, () => reportText(summaries, since));
  });
}

/** Adds `report`. */
export function addReportCommand(program: Command, io: Io): void {
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
    .action((opts: ReportOptions, command: Command) => report(contextOf(command, io), opts));
}
