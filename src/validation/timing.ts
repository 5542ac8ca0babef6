/**
 * Time to recovery (pure): from the moment the need arose (the alarm's state change, the message's
 * sent time, the event's time) to job accepted, job COMPLETED, copy made ready and resource
 * validated (validation follows make-ready, so recovery ends at validated, or at ready); and the
 * CloudWatch embedded-metric lines for them (namespace BackupRestorePipeline, dimension ResourceType).
 */

import type { LogSink } from '../logger.js';
import { METRICS_NAMESPACE } from '../metrics.js';

/** The link's timestamps (ISO strings); the link fields are written by the start and the tracker. */
export interface RecoveryTimestamps {
  /** When the need arose: alarm state change, SQS SentTimestamp, or the event's `time`. */
  readonly neededAt?: string;
  /** StartRestoreJob answered (the job was accepted). */
  readonly acceptedAt?: string;
  /** The job COMPLETED (its completionDate). */
  readonly completedAt?: string;
  /** The copy was made ready (its make-ready record's readyAt). */
  readonly readyAt?: string;
  /** The final validation verdict was reached. */
  readonly validatedAt?: string;
}

/** Durations in seconds; a duration is absent when either end is unknown or they are out of order. */
export interface RecoveryDurations {
  /** neededAt -> acceptedAt. */
  readonly timeToAccepted?: number;
  /** neededAt -> completedAt. */
  readonly timeToRestored?: number;
  /** neededAt -> readyAt. */
  readonly timeToReady?: number;
  /** neededAt -> validatedAt: the time to recovery. */
  readonly timeToValidated?: number;
  /** acceptedAt -> completedAt: how long AWS Backup took. */
  readonly restoreDuration?: number;
  /** completedAt -> readyAt: how long make-ready took. */
  readonly readyDuration?: number;
  /** readyAt (else completedAt) -> validatedAt: how long the resource took to be judged usable. */
  readonly validationDuration?: number;
}

const ms = (iso: string | undefined) => (iso === undefined ? Number.NaN : Date.parse(iso));

function between(from: string | undefined, to: string | undefined): number | undefined {
  const a = ms(from);
  const b = ms(to);
  if (!Number.isFinite(a) || !Number.isFinite(b) || b < a) return undefined;
  return (b - a) / 1000;
}

/**
 * When a restore recovered (pure): at its passing verdict; a restore nothing could check
 * (`unchecked`) recovered when its copy was made ready; a failed one, or an unchecked one never
 * made ready, has no such time.
 */
export function recoveredAt(
  verdict: 'pass' | 'fail' | 'unchecked',
  validatedAt: string,
  readyAt: string | undefined,
): string | undefined {
  if (verdict === 'pass') return validatedAt;
  return verdict === 'unchecked' ? readyAt : undefined;
}

/** The durations of a link's timestamps. */
export function recoveryDurations(t: RecoveryTimestamps): RecoveryDurations {
  const entries: [keyof RecoveryDurations, number | undefined][] = [
    ['timeToAccepted', between(t.neededAt, t.acceptedAt)],
    ['timeToRestored', between(t.neededAt, t.completedAt)],
    ['timeToReady', between(t.neededAt, t.readyAt)],
    ['timeToValidated', between(t.neededAt, t.validatedAt)],
    ['restoreDuration', between(t.acceptedAt, t.completedAt)],
    ['readyDuration', between(t.completedAt, t.readyAt)],
    ['validationDuration', between(t.readyAt ?? t.completedAt, t.validatedAt)],
  ];
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined)) as RecoveryDurations;
}

/** The metric name of each duration. */
export const DURATION_METRICS: Readonly<Record<keyof RecoveryDurations, string>> = {
  timeToAccepted: 'TimeToRestoreAccepted',
  timeToRestored: 'TimeToRestoreCompleted',
  timeToReady: 'TimeToReady',
  timeToValidated: 'TimeToRecovery',
  restoreDuration: 'RestoreJobDuration',
  readyDuration: 'ReadyDuration',
  validationDuration: 'ValidationDuration',
};

/** One EMF line carrying every known duration, in seconds (empty string when there is none). */
export function durationMetricsLine(d: RecoveryDurations, resourceType: string, now: Date): string {
  const known = (Object.keys(DURATION_METRICS) as (keyof RecoveryDurations)[]).filter(
    (k) => d[k] !== undefined,
  );
  if (known.length === 0) return '';
  return JSON.stringify({
    _aws: {
      Timestamp: now.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [['ResourceType']],
          Metrics: known.map((k) => ({ Name: DURATION_METRICS[k], Unit: 'Seconds' })),
        },
      ],
    },
    ResourceType: resourceType || 'Unknown',
    ...Object.fromEntries(known.map((k) => [DURATION_METRICS[k], d[k]])),
  });
}

/** Writes the durations as one EMF line. */
export function emitDurations(sink: LogSink, d: RecoveryDurations, resourceType: string, now: Date): void {
  const line = durationMetricsLine(d, resourceType, now);
  if (line !== '') sink(line);
}
