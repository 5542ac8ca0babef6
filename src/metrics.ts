/**
 * Metrics in CloudWatch's embedded metric format: one JSON log line per data point, turned into
 * CloudWatch metrics by Lambda's log ingestion with no API call. A data point can also ride on a
 * log line (metricFields): EMF allows other fields beside its own, so one line is both.
 */

import type { LogSink } from './logger.js';

/** The namespace of every metric. */
export const METRICS_NAMESPACE = 'BackupRestorePipeline';

/** Writes metrics as EMF lines. */
export interface Metrics {
  /** Adds 1 to `name` for the resource type. */
  count(
    name:
      | 'RestoreJobsStarted'
      | 'RestoreJobsCompleted'
      | 'RestoreJobsFailed'
      | 'RestoresSkipped'
      | 'RestoreJobsUnlinked'
      | 'RestoreJobsReconciled'
      | 'MakeReadyReconciled'
      | 'RedrivesRefused'
      | 'DrillsCleanedUp'
      | 'DrillCleanupsRefused'
      | 'DrillCleanupsFailed',
    resourceType: string,
  ): void;
  /** Records a duration in seconds. */
  seconds(name: 'RestoreDuration', value: number, resourceType: string): void;
}

/** The top-level fields of one EMF data point (`_aws`, the dimension and the value). */
export function metricFields(
  name: string,
  unit: 'Count' | 'Seconds',
  value: number,
  resourceType: string,
  at: Date = new Date(),
): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: at.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [['ResourceType']],
          Metrics: [{ Name: name, Unit: unit }],
        },
      ],
    },
    ResourceType: resourceType || 'Unknown',
    [name]: value,
  };
}

/** Creates a metrics writer over a log sink (stdout in Lambda). */
export function createMetrics(sink: LogSink, now: () => Date = () => new Date()): Metrics {
  const put = (name: string, unit: 'Count' | 'Seconds', value: number, resourceType: string) =>
    sink(JSON.stringify(metricFields(name, unit, value, resourceType, now())));
  return {
    count: (name, resourceType) => put(name, 'Count', 1, resourceType),
    seconds: (name, value, resourceType) => put(name, 'Seconds', value, resourceType),
  };
}

/**
 * What the StartRestoreJob pacer reports per grant write and priority (src/pacing/pacer.ts): the
 * calls of that priority in the write, and the budget writes and reads (under the first caller's).
 */
export interface PacingReport {
  readonly priority: 'alarm' | 'recovery' | 'drill';
  readonly calls: number;
  readonly writes: number;
  readonly reads: number;
}

/**
 * One EMF line for the calls of one priority in a grant write of the pacer, dimensioned by
 * Priority: the calls granted to callers of that priority (StartRestoreCalls), and the budget
 * writes and reads the write took (PacingWrites, PacingReads; 0 on the lines after the first of a
 * write), so the dashboard shows calls by priority and writes per start.
 */
export function pacingFields(report: PacingReport, at: Date = new Date()): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: at.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [['Priority']],
          Metrics: [
            { Name: 'StartRestoreCalls', Unit: 'Count' },
            { Name: 'PacingWrites', Unit: 'Count' },
            { Name: 'PacingReads', Unit: 'Count' },
          ],
        },
      ],
    },
    Priority: report.priority,
    StartRestoreCalls: report.calls,
    PacingWrites: report.writes,
    PacingReads: report.reads,
  };
}
