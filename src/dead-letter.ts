/**
 * The dead-letter message: build it (pure), send it, and take the original request back out of
 * one that an operator redrove to the request queue.
 */

import { gunzipSync, gzipSync } from 'node:zlib';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { classifyAwsError, describeError } from './errors.js';

/** The request exactly as it reached the pipeline. */
export type OriginalRequest =
  | { readonly trigger: 'sqs'; readonly body: string }
  | { readonly trigger: 'sqs'; readonly bodyGzipBase64: string }
  | { readonly trigger: 'eventbridge'; readonly event: unknown };

/** Why a request is in the dead-letter queue. */
export type FailureKind =
  /** The request was refused before or by StartRestoreJob (a permanent error). */
  | 'rejected'
  /** A retryable error persisted until the last attempt. */
  | 'retries-exhausted'
  /** AWS accepted the restore job and it later ended FAILED or ABORTED (or partly failed). */
  | 'restore-job-failed'
  /** The job COMPLETED, but the resource it created failed validation (or could not be validated). */
  | 'restore-validation-failed';

/** What a dead letter says about the trigger that delivered the request. */
export interface TriggerInfo {
  readonly type: 'sqs' | 'eventbridge' | 'restore-job-event' | 'restore-validation';
  /** SQS message id or EventBridge event id. */
  readonly id: string;
  /** 1 for the first delivery. */
  readonly attempt: number;
}

/** The dead-letter message body (JSON), version 1. Documented in the README. */
export interface DeadLetter {
  readonly kind: 'restore-dead-letter';
  readonly version: 1;
  readonly failure: FailureKind;
  /** One line for a person: what went wrong and what to do. */
  readonly reason: string;
  readonly error: { readonly name: string; readonly message: string; readonly retryable: boolean };
  readonly trigger: TriggerInfo;
  readonly failedAt: string;
  /** How many times this request was redriven from the dead-letter queue before this failure. */
  readonly redriveCount: number;
  readonly original: OriginalRequest;
  /** The restore job, for `restore-job-failed`. */
  readonly restoreJob?: {
    readonly restoreJobId: string;
    readonly status: string;
    readonly statusMessage?: string;
    readonly resourceType?: string;
  };
}

/** SQS's largest message; the dead-letter queue is created with it. */
export const DEAD_LETTER_MAX_BYTES = 1_048_576;

/** Builds a dead letter. An original too large to fit as text is kept gzip-compressed. */
export function buildDeadLetter(args: {
  failure: FailureKind;
  error: unknown;
  trigger: TriggerInfo;
  original: OriginalRequest;
  now: Date;
  redriveCount?: number;
  restoreJob?: DeadLetter['restoreJob'];
}): DeadLetter {
  const error = describeError(args.error);
  const letter: DeadLetter = {
    kind: 'restore-dead-letter',
    version: 1,
    failure: args.failure,
    reason: error.message,
    error,
    trigger: args.trigger,
    failedAt: args.now.toISOString(),
    redriveCount: args.redriveCount ?? 0,
    original: args.original,
    ...(args.restoreJob === undefined ? {} : { restoreJob: args.restoreJob }),
  };
  const original = args.original;
  if ('body' in original && Buffer.byteLength(JSON.stringify(letter)) > DEAD_LETTER_MAX_BYTES) {
    return {
      ...letter,
      original: { trigger: 'sqs', bodyGzipBase64: gzipSync(original.body).toString('base64') },
    };
  }
  return letter;
}

/** Sends a dead letter; a failure is thrown as a retryable error so the request is retried. */
export async function sendDeadLetter(
  sqs: () => Promise<SQSClient>,
  queueUrl: string,
  letter: DeadLetter,
): Promise<string> {
  try {
    const client = await sqs();
    const out = await client.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(letter) }),
    );
    return out.MessageId ?? '';
  } catch (error) {
    const wrapped = classifyAwsError('SendMessage to the dead-letter queue', error);
    // Whatever SQS said, the request must not be acknowledged without its dead letter.
    throw Object.assign(wrapped, { retryable: true });
  }
}

/** The original request body text of an SQS original. */
export function originalBody(original: OriginalRequest): string | undefined {
  if ('body' in original) return original.body;
  if ('bodyGzipBase64' in original)
    return gunzipSync(Buffer.from(original.bodyGzipBase64, 'base64')).toString();
  return undefined;
}

/** A request that came back from the dead-letter queue (or a Lambda on-failure destination). */
export interface Redriven {
  readonly original: OriginalRequest;
  readonly redriveCount: number;
  /** Set when the previous attempt's restore job failed: a fresh idempotency token is needed. */
  readonly failedRestoreJobId?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isOriginal(value: unknown): value is OriginalRequest {
  if (!isObject(value)) return false;
  if (value.trigger === 'sqs')
    return typeof value.body === 'string' || typeof value.bodyGzipBase64 === 'string';
  return value.trigger === 'eventbridge' && 'event' in value;
}

/**
 * Recognises a dead letter (or a Lambda on-failure destination record) and returns the original
 * request it carries; undefined for anything else.
 */
export function unwrapRedriven(body: unknown): Redriven | undefined {
  if (!isObject(body)) return undefined;
  if (body.kind === 'restore-dead-letter' && isOriginal(body.original)) {
    const job = isObject(body.restoreJob) ? body.restoreJob : undefined;
    return {
      original: body.original,
      redriveCount: (typeof body.redriveCount === 'number' ? body.redriveCount : 0) + 1,
      // A redrive after a failed job or a failed validation must restore again: a fresh token.
      ...((body.failure === 'restore-job-failed' || body.failure === 'restore-validation-failed') &&
      typeof job?.restoreJobId === 'string'
        ? { failedRestoreJobId: job.restoreJobId }
        : {}),
    };
  }
  // Lambda's on-failure destination record for an asynchronous (EventBridge) invocation.
  if (isObject(body.requestContext) && isObject(body.requestPayload) && 'responseContext' in body) {
    return { original: { trigger: 'eventbridge', event: body.requestPayload }, redriveCount: 1 };
  }
  return undefined;
}
