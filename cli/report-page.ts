/**
 * `restore-pipeline report --html FILE`: the restores of the range (`collectRows`, the same rows
 * as the table and the CSV), the dead letters of the range (read without consuming them, as the
 * `dead-letters` command does), and the charting library from node_modules, made into one page
 * by `reportHtml` and written to FILE.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DEFAULT_HOLD_SECONDS, type LetterInfo, receiveAll, release } from './dead-letters.js';
import { CliError, EXIT } from './output.js';
import { collectRows, summarise } from './report.js';
import { reportHtml, type TtrTargets } from './report-html.js';
import type { Target } from './target.js';

/** Chart.js's browser build (UMD), read from the installed package. */
export function chartLibrary(): string {
  // The package exports only its modules; the UMD file sits beside the CommonJS one.
  return readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
}

/** The dead letters that failed since `since` (those with no time are kept); the queue is left as it was. */
export async function collectLetters(
  sqs: SQSClient,
  queueUrl: string,
  since: Date,
): Promise<{ letters: LetterInfo[]; unreleased: string[] }> {
  const held = await receiveAll(sqs, queueUrl, {
    limit: 10_000,
    holdSeconds: DEFAULT_HOLD_SECONDS,
    waitSeconds: 1,
  });
  const unreleased = await release(sqs, queueUrl, held);
  const letters = held
    .map((h) => h.info)
    .filter((l) => l.failedAt === undefined || !(Date.parse(l.failedAt) < since.getTime()));
  return { letters, unreleased };
}

/** What was written. */
export interface PageWritten {
  readonly file: string;
  readonly bytes: number;
  readonly restores: number;
  readonly deadLetters: number;
  /** Dead letters that stay hidden until the hold ends (their visibility could not be reset). */
  readonly unreleased: string[];
}

/** Reads the range from the target and writes the page. */
export async function writeReportPage(
  target: Target,
  options: { file: string; since: Date; targets: TtrTargets; now?: () => Date },
): Promise<PageWritten> {
  const rows = await collectRows(target, await target.table(), options.since);
  const { letters, unreleased } = await collectLetters(
    target.sqs,
    await target.deadLetterQueueUrl(),
    options.since,
  );
  const html = reportHtml({
    generatedAt: (options.now ?? (() => new Date()))(),
    since: options.since,
    source: target.description,
    targets: options.targets,
    rows,
    summaries: summarise(rows),
    letters,
    chartScript: chartLibrary(),
  });
  try {
    writeFileSync(options.file, html);
  } catch (error) {
    throw new CliError('usage', `Cannot write ${options.file}: ${(error as Error).message}`, EXIT.usage);
  }
  return {
    file: options.file,
    bytes: Buffer.byteLength(html),
    restores: rows.length,
    deadLetters: letters.length,
    unreleased,
  };
}
