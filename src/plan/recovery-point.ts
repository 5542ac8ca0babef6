/**
 * Which recovery point restores a resource to a moment, and how: a snapshot created at or before
 * it, or a continuous point restored to that moment to the second. Pure: no AWS calls, no clock.
 */

import type { Candidate } from '../aws/backup.js';
import { POINT_IN_TIME_KEYS, type ResourceType } from '../resources/rules.js';

/** Statuses a restore can start from. docs/aws-behaviour.md#recovery-point-status */
export const ELIGIBLE_STATUSES: ReadonlySet<string> = new Set(['COMPLETED', 'AVAILABLE']);

/** True for a continuous backup's point (`...:recovery-point:continuous:<id>`). docs/aws-behaviour.md#continuous-arn */
export function isContinuous(arn: string): boolean {
  return /:recovery-point:continuous:/.test(arn);
}

/**
 * How far behind now the latest restorable moment of a continuous backup lags ("typically 5
 * minutes before the current time"). docs/aws-behaviour.md#continuous-window
 */
export const CONTINUOUS_LAG_MS = 5 * 60_000;
/** Continuous backups are kept 1 to 35 days. docs/aws-behaviour.md#continuous-window */
export const CONTINUOUS_MAX_DAYS = 35;

/** The window a choice looked in. */
export interface Window {
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

/** What to restore. */
export type Choice =
  | { readonly kind: 'snapshot'; readonly point: Candidate }
  /** A continuous point restored to `restoreTime` (whole seconds). */
  | { readonly kind: 'point-in-time'; readonly point: Candidate; readonly restoreTime: Date };

/** The moments a continuous point can restore to, as far as the pipeline can tell. */
export function continuousWindow(point: Candidate, now: Date): { from: Date; to: Date } {
  const days = Math.min(point.DeleteAfterDays ?? CONTINUOUS_MAX_DAYS, CONTINUOUS_MAX_DAYS);
  const from = Math.max(point.CreationDate.getTime(), now.getTime() - days * 86_400_000);
  return { from: new Date(from), to: new Date(now.getTime() - CONTINUOUS_LAG_MS) };
}

/** `at` cut down to the whole second (AWS takes restore times to the second). */
export function toSecond(at: Date): Date {
  return new Date(Math.floor(at.getTime() / 1000) * 1000);
}

function usable(p: Candidate, allowedVaults: readonly string[] | undefined): boolean {
  return (
    ELIGIBLE_STATUSES.has(p.Status) &&
    // "This composite recovery point cannot be restored, but nested recovery points can be
    // restored." docs/aws-behaviour.md#composite-points
    p.IsParent !== true &&
    (allowedVaults === undefined || allowedVaults.includes(p.BackupVaultName))
  );
}

/**
 * Chooses the recovery point. With a `pointInTime` moment (an alarm, or a request with a restore
 * time), a continuous point whose window covers the moment wins and is restored to it to the
 * second; otherwise the latest snapshot inside `window`. A continuous point is never chosen
 * without a time, and never as a snapshot.
 */
export function chooseRecoveryPoint(
  points: readonly Candidate[],
  options: {
    readonly window: Window;
    readonly pointInTime?: Date;
    readonly now: Date;
    readonly allowedVaults?: readonly string[];
  },
): Choice | undefined {
  const eligible = points.filter((p) => usable(p, options.allowedVaults));
  if (options.pointInTime !== undefined) {
    const at = toSecond(options.pointInTime);
    const covering = eligible
      .filter((p) => isContinuous(p.RecoveryPointArn))
      .filter((p) => {
        const w = continuousWindow(p, options.now);
        return w.from.getTime() <= at.getTime() && at.getTime() <= w.to.getTime();
      })
      .sort((a, b) => b.CreationDate.getTime() - a.CreationDate.getTime())[0];
    if (covering !== undefined) return { kind: 'point-in-time', point: covering, restoreTime: at };
  }
  const { notAfter, notBefore } = options.window;
  const snapshot = eligible
    .filter((p) => !isContinuous(p.RecoveryPointArn))
    .filter((p) => notAfter === undefined || p.CreationDate.getTime() <= notAfter.getTime())
    .filter((p) => notBefore === undefined || p.CreationDate.getTime() >= notBefore.getTime())
    .sort((a, b) => b.CreationDate.getTime() - a.CreationDate.getTime())[0];
  return snapshot === undefined ? undefined : { kind: 'snapshot', point: snapshot };
}

/** The metadata key a type takes its point-in-time restore moment in, or undefined. */
export function pointInTimeKey(type: string): string | undefined {
  return POINT_IN_TIME_KEYS[type as ResourceType];
}

/** Restore metadata for a point-in-time restore: the type's time key set to the moment, ISO to the second. */
export function withRestoreTime(
  type: string,
  metadata: Readonly<Record<string, string>>,
  restoreTime: Date,
): Record<string, string> | undefined {
  const key = pointInTimeKey(type);
  if (key === undefined) return undefined;
  const out: Record<string, string> = { ...metadata };
  // A stored "restore to the latest time" flag would override the moment.
  for (const k of Object.keys(out)) if (/^uselatestrestorabletime$/i.test(k)) delete out[k];
  out[key] = `${toSecond(restoreTime).toISOString().slice(0, 19)}Z`;
  return out;
}
