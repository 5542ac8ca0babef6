/**
 * A message taken back from the dead-letter queue to the request queue: one of this pipeline's dead
 * letters, or Lambda's on-failure destination record of an asynchronous invocation. What it claims
 * is decoded here and believed only once checked (src/checks/redriven.ts).
 */

import { isPlainObject } from '../json.js';
import type { OriginalRequest } from './original.js';

/** Why a request is in the dead-letter queue, in the order a letter may say it. */
export const FAILURE_KINDS = [
  /** The request was refused before or by StartRestoreJob (a permanent error). */
  'rejected',
  /** A retryable error persisted until the last attempt. */
  'retries-exhausted',
  /** AWS accepted the restore job and it later ended FAILED or ABORTED (or partly failed). */
  'restore-job-failed',
  /** The job COMPLETED, but the resource it created failed validation (or could not be validated). */
  'restore-validation-failed',
  /** A drill's resource could not be deleted, or an ownership check refused its deletion. */
  'drill-cleanup-failed',
] as const;

/** Why a request is in the dead-letter queue. */
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** What a message on the request queue claims to carry back from the dead-letter queue. */
export type Redriven =
  /** A dead letter of this pipeline (its claims are checked before they are believed). */
  | {
      readonly kind: 'dead-letter';
      readonly original: OriginalRequest;
      readonly redriveCount: number;
      readonly failure: FailureKind;
      readonly deadLetterId: string;
      /** For `restore-job-failed`: the job whose failure the letter reports. */
      readonly failedRestoreJobId?: string;
      /** For `drill-cleanup-failed`: the drill's job, as the letter names it (kept on its refusal). */
      readonly cleanupJob?: LetterJob;
    }
  /** Lambda's on-failure destination record of an asynchronous (EventBridge) invocation. */
  | { readonly kind: 'on-failure-record'; readonly original: OriginalRequest; readonly redriveCount: number };

/** The restore job a letter names (`restoreJob`), bounded. */
export interface LetterJob {
  readonly restoreJobId: string;
  readonly status: string;
  readonly statusMessage?: string;
  readonly resourceType?: string;
}

/** The restoreJob a letter carries, each field a bounded string, or undefined. */
function letterJob(job: Record<string, unknown> | undefined): LetterJob | undefined {
  const text = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : undefined);
  const restoreJobId = text(job?.restoreJobId, 200);
  if (restoreJobId === undefined) return undefined;
  const statusMessage = text(job?.statusMessage, 2000);
  const resourceType = text(job?.resourceType, 50);
  return {
    restoreJobId,
    status: text(job?.status, 50) ?? 'COMPLETED',
    ...(statusMessage === undefined ? {} : { statusMessage }),
    ...(resourceType === undefined ? {} : { resourceType }),
  };
}

const KNOWN_FAILURES: ReadonlySet<unknown> = new Set(FAILURE_KINDS);
const DEAD_LETTER_ID = /^[0-9a-f]{32}$/;
const MAX_REDRIVES = 1_000;

function isOriginal(value: unknown): value is OriginalRequest {
  if (!isPlainObject(value)) return false;
  if (value.trigger === 'sqs')
    return typeof value.body === 'string' || typeof value.bodyGzipBase64 === 'string';
  return value.trigger === 'eventbridge' && isPlainObject(value.event);
}

/**
 * Recognises a dead letter (or a Lambda on-failure destination record) and returns what it claims;
 * undefined for anything else. Nothing here is trusted yet: the pipeline checks every claim
 * (the job table for a failed job, the same checks as its own function for an event).
 */
export function unwrapRedriven(body: unknown): Redriven | undefined {
  if (!isPlainObject(body)) return undefined;
  if (body.kind === 'restore-dead-letter' && isOriginal(body.original)) {
    const job = isPlainObject(body.restoreJob) ? body.restoreJob : undefined;
    const count =
      typeof body.redriveCount === 'number' && Number.isInteger(body.redriveCount) ? body.redriveCount : 0;
    const failure = KNOWN_FAILURES.has(body.failure) ? (body.failure as FailureKind) : 'rejected';
    return {
      kind: 'dead-letter',
      original: body.original,
      redriveCount: Math.min(MAX_REDRIVES, Math.max(0, count)) + 1,
      failure,
      deadLetterId:
        typeof body.deadLetterId === 'string' && DEAD_LETTER_ID.test(body.deadLetterId)
          ? body.deadLetterId
          : '',
      ...((failure === 'restore-job-failed' || failure === 'restore-validation-failed') &&
      typeof job?.restoreJobId === 'string'
        ? { failedRestoreJobId: job.restoreJobId.slice(0, 200) }
        : {}),
      ...(failure === 'drill-cleanup-failed' && letterJob(job) !== undefined
        ? { cleanupJob: letterJob(job) as LetterJob }
        : {}),
    };
  }
  // Lambda's on-failure destination record for an asynchronous (EventBridge) invocation.
  if (isPlainObject(body.requestContext) && isPlainObject(body.requestPayload) && 'responseContext' in body) {
    return {
      kind: 'on-failure-record',
      original: { trigger: 'eventbridge', event: body.requestPayload },
      redriveCount: 1,
    };
  }
  return undefined;
}
