/**
 * `restore-pipeline report --since 7d`: restores since a moment, per resource type: counts, the
 * validation pass rate, and the median and worst time to recovery (and its parts). Reads the job-link
 * table (Scan, filtered on startedAt, every page followed), each job's outcome and verdict, and,
 * where the table has no end yet, the job from AWS Backup (DescribeRestoreJob).
 */

import { type BackupClient, DescribeRestoreJobCommand } from '@aws-sdk/client-backup';
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  ScanCommand,
  type ScanCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { drillOf } from '../src/drills/drill.js';
import { outcomeKey, readyKey, verdictKey } from '../src/table/keys.js';
import { linkFromItem } from '../src/table/links.js';
import { readyFromItem } from '../src/table/ready.js';
import {
  type RecoveryDurations,
  type RecoveryTimestamps,
  recoveredAt,
  recoveryDurations,
} from '../src/validation/timing.js';
import { safe } from './output.js';

type Item = Record<string, AttributeValue>;

/** One restore, as the report sees it. */
export interface ReportRow {
  readonly restoreJobId: string;
  readonly resourceType: string;
  readonly drill: boolean;
  /** COMPLETED, FAILED, ABORTED, or the job's status while it runs ('unknown' when AWS has no record). */
  readonly status: string;
  readonly verdict?: 'pass' | 'fail' | 'unchecked';
  readonly durations: RecoveryDurations;
  /** The times the durations come from: needed (requested), accepted (started), completed, validated. */
  readonly times?: RecoveryTimestamps;
  /** The recovery point the job restores. */
  readonly recoveryPointArn?: string;
  /** What makeReady recorded: its state and the seconds from COMPLETED to ready. */
  readonly ready?: { readonly state: string; readonly seconds?: number };
}

/** The summary of one resource type. */
export interface TypeSummary {
  readonly resourceType: string;
  readonly restores: number;
  readonly drills: number;
  readonly completed: number;
  readonly failed: number;
  readonly validated: number;
  readonly passed: number;
  /** passed / (passed + failed validations); undefined when nothing was validated. */
  readonly passRate?: number;
  /** Seconds: need -> validated (the time to recovery). */
  readonly timeToRecovery: { readonly median?: number; readonly worst?: number; readonly count: number };
  /** Seconds: need -> COMPLETED. */
  readonly timeToRestored: { readonly median?: number; readonly worst?: number; readonly count: number };
  /** Seconds: accepted -> COMPLETED (AWS Backup's own time). */
  readonly restoreDuration: { readonly median?: number; readonly worst?: number; readonly count: number };
  /** Made ready after COMPLETED (only where makeReady recorded any), and the seconds it took. */
  readonly ready?: {
    readonly count: number;
    readonly notReady: number;
    readonly median?: number;
    readonly worst?: number;
  };
}

/** Parses `7d`, `36h`, `90m`, `2w` into milliseconds; undefined when it is none of those. */
export function parseSince(text: string): number | undefined {
  const m = /^(\d{1,6})([mhdw])$/.exec(text.trim());
  if (m === null) return undefined;
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'm' | 'h' | 'd' | 'w'];
  const value = Number(m[1]) * unit;
  return value > 0 ? value : undefined;
}

function stats(values: number[]): { median?: number; worst?: number; count: number } {
  if (values.length === 0) return { count: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, worst: sorted[sorted.length - 1] as number, count: sorted.length };
}

/** The summary per resource type (pure), types in name order. */
export function summarise(rows: readonly ReportRow[]): TypeSummary[] {
  const byType = new Map<string, ReportRow[]>();
  for (const row of rows) byType.set(row.resourceType, [...(byType.get(row.resourceType) ?? []), row]);
  return [...byType.keys()].sort().map((resourceType) => {
    const of = byType.get(resourceType) ?? [];
    const passed = of.filter((r) => r.verdict === 'pass').length;
    const failedValidation = of.filter((r) => r.verdict === 'fail').length;
    const pick = (k: keyof RecoveryDurations) =>
      of.map((r) => r.durations[k]).filter((v): v is number => v !== undefined);
    return {
      resourceType,
      restores: of.length,
      drills: of.filter((r) => r.drill).length,
      completed: of.filter((r) => r.status === 'COMPLETED').length,
      failed: of.filter((r) => r.status === 'FAILED' || r.status === 'ABORTED').length,
      validated: of.filter((r) => r.verdict !== undefined).length,
      passed,
      ...(passed + failedValidation === 0 ? {} : { passRate: passed / (passed + failedValidation) }),
      timeToRecovery: stats(pick('timeToValidated')),
      timeToRestored: stats(pick('timeToRestored')),
      restoreDuration: stats(pick('restoreDuration')),
      ...readySummary(of),
    };
  });
}

/** Completed -> ready over rows that have a make-ready record; nothing when none has. */
function readySummary(rows: readonly ReportRow[]): { ready?: TypeSummary['ready'] } {
  const made = rows.filter((r) => r.ready !== undefined);
  if (made.length === 0) return {};
  const ready = made.filter((r) => r.ready?.state === 'ready');
  const { median, worst } = stats(
    ready.map((r) => r.ready?.seconds).filter((v): v is number => v !== undefined),
  );
  return {
    ready: {
      count: ready.length,
      notReady: made.filter((r) => r.ready?.state === 'not-ready').length,
      ...(median === undefined ? {} : { median }),
      ...(worst === undefined ? {} : { worst }),
    },
  };
}

async function getItem(ddb: DynamoDBClient, table: string, key: string): Promise<Item | undefined> {
  return (await ddb.send(new GetItemCommand({ TableName: table, Key: { restoreJobId: { S: key } } }))).Item;
}

/** Every restore started since `since` (links only: the other items of the table carry no startedAt). */
export async function collectRows(
  clients: { ddb: DynamoDBClient; backup: BackupClient },
  table: string,
  since: Date,
): Promise<ReportRow[]> {
  const links: Item[] = [];
  let start: Item | undefined;
  do {
    const page: ScanCommandOutput = await clients.ddb.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: 'startedAt >= :since',
        ExpressionAttributeValues: { ':since': { S: since.toISOString() } },
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    links.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  const rows: ReportRow[] = [];
  for (const item of links) {
    const link = linkFromItem(item);
    const [outcome, validation, readyItem] = await Promise.all([
      getItem(clients.ddb, table, outcomeKey(link.restoreJobId)),
      getItem(clients.ddb, table, verdictKey(link.restoreJobId)),
      getItem(clients.ddb, table, readyKey(link.restoreJobId)),
    ]);
    const made = readyFromItem(readyItem);
    let status = outcome?.state?.S === 'done' ? (outcome.outcome?.S ?? 'unknown') : undefined;
    let completedAt = outcome?.completedAt?.S;
    if (status === undefined || (status === 'COMPLETED' && completedAt === undefined)) {
      // The table has no end yet (or an end recorded before completedAt was kept): ask AWS Backup.
      try {
        const job = await clients.backup.send(
          new DescribeRestoreJobCommand({ RestoreJobId: link.restoreJobId }),
        );
        status ??= job.Status ?? 'unknown';
        completedAt ??= job.Status === 'COMPLETED' ? job.CompletionDate?.toISOString() : undefined;
      } catch (error) {
        if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
        status ??= 'unknown';
      }
    }
    const verdict = validation?.verdict?.S as ReportRow['verdict'] | undefined;
    const readyAt = made?.readyAt;
    // As the validator times it: recovered at a passing verdict, or at ready when unchecked.
    const validatedAt =
      verdict === undefined || validation?.validatedAt?.S === undefined
        ? undefined
        : recoveredAt(verdict, validation.validatedAt.S, readyAt);
    const times: RecoveryTimestamps = {
      ...(link.neededAt === undefined ? {} : { neededAt: link.neededAt }),
      ...(link.acceptedAt === undefined ? {} : { acceptedAt: link.acceptedAt }),
      ...(completedAt === undefined ? {} : { completedAt }),
      ...(readyAt === undefined ? {} : { readyAt }),
      ...(validatedAt === undefined ? {} : { validatedAt }),
    };
    rows.push({
      restoreJobId: link.restoreJobId,
      resourceType: link.resourceType ?? 'Unknown',
      drill: drillOf(link.original) !== undefined,
      status,
      ...(verdict === undefined ? {} : { verdict }),
      durations: recoveryDurations(times),
      times,
      recoveryPointArn: link.recoveryPointArn,
      ...(made === undefined
        ? {}
        : {
            ready: {
              state: made.state,
              ...(made.readySeconds === undefined ? {} : { seconds: made.readySeconds }),
            },
          }),
    });
  }
  return rows;
}

const COLUMNS = [
  'resourceType',
  'restores',
  'drills',
  'completed',
  'failed',
  'validated',
  'passed',
  'passRate',
  'timeToRecoveryMedian',
  'timeToRecoveryWorst',
  'timeToRestoredMedian',
  'timeToRestoredWorst',
  'restoreDurationMedian',
  'restoreDurationWorst',
] as const;

function flat(s: TypeSummary): Record<(typeof COLUMNS)[number], string | number | undefined> {
  return {
    resourceType: s.resourceType,
    restores: s.restores,
    drills: s.drills,
    completed: s.completed,
    failed: s.failed,
    validated: s.validated,
    passed: s.passed,
    passRate: s.passRate,
    timeToRecoveryMedian: s.timeToRecovery.median,
    timeToRecoveryWorst: s.timeToRecovery.worst,
    timeToRestoredMedian: s.timeToRestored.median,
    timeToRestoredWorst: s.timeToRestored.worst,
    restoreDurationMedian: s.restoreDuration.median,
    restoreDurationWorst: s.restoreDuration.worst,
  };
}

/** CSV (RFC 4180), seconds and the pass rate as plain numbers, empty where unknown. */
export function reportCsv(summaries: readonly TypeSummary[]): string {
  const cell = (v: string | number | undefined) => {
    if (v === undefined) return '';
    const text = typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : safe(v);
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [COLUMNS.join(','), ...summaries.map((s) => COLUMNS.map((c) => cell(flat(s)[c])).join(','))].join(
    '\n',
  );
}

/** A duration for people: 42s, 12m 5s, 3h 4m. */
export function humanSeconds(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** The table for people. */
export function reportText(summaries: readonly TypeSummary[], since: Date): string {
  if (summaries.length === 0) return `No restores started since ${since.toISOString()}.`;
  const header = [
    'type',
    'restores',
    'drills',
    'completed',
    'failed',
    'pass rate',
    'TTR median',
    'TTR worst',
    'job median',
    'job worst',
    'ready (completed -> ready median)',
  ];
  const rows = summaries.map((s) => [
    safe(s.resourceType),
    String(s.restores),
    String(s.drills),
    String(s.completed),
    String(s.failed),
    s.passRate === undefined ? '-' : `${Math.round(s.passRate * 100)}% (${s.passed}/${s.validated})`,
    humanSeconds(s.timeToRecovery.median),
    humanSeconds(s.timeToRecovery.worst),
    humanSeconds(s.restoreDuration.median),
    humanSeconds(s.restoreDuration.worst),
    s.ready === undefined
      ? '-'
      : `${s.ready.count}${s.ready.notReady > 0 ? ` (${s.ready.notReady} not ready)` : ''} (${humanSeconds(s.ready.median)})`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    `Restores started since ${since.toISOString()} (TTR: time to recovery, from the need to a validated resource)`,
    line(header),
    ...rows.map(line),
  ].join('\n');
}
