/**
 * What a restore job's `Restore Job State Change` event (or AWS's description of the job) means for
 * the pipeline, and what the tracker needs and answers. Pure.
 */

import type { DescribeRestoreJobCommandOutput } from '@aws-sdk/client-backup';
import type { Alerter } from '../alerts.js';
import type { Deps } from '../types.js';

/** The detail of a `Restore Job State Change` event (fields used here). */
export interface RestoreJobDetail {
  restoreJobId?: string;
  /** The state, on every event but the first. */
  status?: string;
  /** The state, on the first (CREATED) event only. */
  state?: string;
  statusMessage?: string;
  resourceType?: string;
  createdResourceArn?: string;
  creationDate?: string;
  completionDate?: string;
  iamRoleArn?: string;
  recoveryPointArn?: string;
  sourceResourceArn?: string;
  backupVaultArn?: string;
  percentDone?: string;
}

/** A job's detail that names its job: what the completed and failed paths act on. */
export type EndedJobDetail = RestoreJobDetail & { restoreJobId: string };

/** What an event means for the pipeline. */
export type JobEventMeaning =
  | { readonly kind: 'progress'; readonly status: string }
  | { readonly kind: 'completed' }
  | { readonly kind: 'failed'; readonly status: string; readonly reason: string }
  | { readonly kind: 'invalid'; readonly reason: string };

/** Reads an event's detail (pure). Restore events carry their state in `status`, except CREATED. */
export function interpretJobEvent(detail: RestoreJobDetail | undefined): JobEventMeaning {
  if (typeof detail !== 'object' || detail === null || typeof detail.restoreJobId !== 'string') {
    return { kind: 'invalid', reason: 'the event has no detail.restoreJobId' };
  }
  const status = detail.status ?? detail.state;
  switch (status) {
    case 'CREATED':
    case 'PENDING':
    case 'RUNNING':
      return { kind: 'progress', status };
    case 'COMPLETED': {
      const message = detail.statusMessage ?? '';
      // S3 (and EKS) restores report COMPLETED when some objects failed; the status message says so.
      if (/^(S3|EKS)/.test(detail.resourceType ?? '') && /fail|skip/i.test(message)) {
        return { kind: 'failed', status: 'COMPLETED_WITH_FAILURES', reason: message };
      }
      return { kind: 'completed' };
    }
    case 'FAILED':
    case 'ABORTED':
      return { kind: 'failed', status, reason: detail.statusMessage ?? 'AWS gave no status message' };
    default:
      return {
        kind: 'invalid',
        reason: `unknown restore job status ${JSON.stringify(String(status)).slice(0, 40)}`,
      };
  }
}

/** A job as AWS describes it (DescribeRestoreJob), in the event's field names (pure). */
export function detailOfDescribed(
  restoreJobId: string,
  out: DescribeRestoreJobCommandOutput,
): EndedJobDetail {
  const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : undefined);
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const detail: EndedJobDetail = { restoreJobId };
  const fields: [keyof RestoreJobDetail, string | undefined][] = [
    ['status', text(out.Status)],
    ['statusMessage', text(out.StatusMessage)],
    ['resourceType', text(out.ResourceType)],
    ['createdResourceArn', text(out.CreatedResourceArn)],
    ['creationDate', iso(out.CreationDate)],
    ['completionDate', iso(out.CompletionDate)],
    ['iamRoleArn', text(out.IamRoleArn)],
    ['recoveryPointArn', text(out.RecoveryPointArn)],
    // The vault lets the tracker read the point's stored metadata, so AWS's echo of it is scrubbed.
    ['backupVaultArn', text(out.BackupVaultArn)],
  ];
  for (const [name, value] of fields) if (value !== undefined) detail[name] = value;
  return detail;
}

/** What the tracker did with one event. */
export type TrackOutcome = 'progress' | 'not-ours' | 'duplicate' | 'completed' | 'dead-lettered' | 'invalid';

/** Extra dependencies of the tracker. */
export interface TrackDeps extends Deps {
  /** When set, one short message per failed restore is published here. */
  readonly alerts?: Alerter;
}
