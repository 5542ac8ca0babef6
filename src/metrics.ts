/**
 * Metrics in CloudWatch's embedded metric format: one JSON log line per data point, turned into
 * CloudWatch metrics by Lambda's log ingestion with no API call.
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
      | 'RedrivesRefused'
      | 'DrillsCleanedUp'
      | 'DrillCleanupsRefused'
      | 'DrillCleanupsFailed',
    resourceType: string,
  ): void;
  /** Records a duration in seconds. */
  seconds(name: 'RestoreDuration', value: number, resourceType: string): void;
}

/** Creates a metrics writer over a log sink (stdout in Lambda). */
export function createMetrics(sink: LogSink, now: () => Date = () => new Date()): Metrics {
  const put = (name: string, unit: 'Count' | 'Seconds', value: number, resourceType: string) =>
    sink(
      JSON.stringify({
        _aws: {
          Timestamp: now().getTime(),
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
      }),
    );
  return {
    count: (name, resourceType) => put(name, 'Count', 1, resourceType),
    seconds: (name, value, resourceType) => put(name, 'Seconds', value, resourceType),
  };
}
