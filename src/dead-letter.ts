/**
 * The dead-letter message: build it (pure), send it, and take the original request back out of
 * one that an operator redrove to the request queue.
 */

import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { parseArn } from './arn.js';
import { classifyAwsError, describeError } from './errors.js';
import { gunzipBounded } from './job-link.js';
import { isPlainObject } from './json.js';

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
  | 'restore-validation-failed'
  /** A drill's resource could not be deleted, or an ownership check refused its deletion. */
  | 'drill-cleanup-failed';

/** What a dead letter says about the trigger that delivered the request. */
export interface TriggerInfo {
  readonly type: 'sqs' | 'eventbridge' | 'restore-job-event' | 'restore-validation';
  /** SQS message id or EventBridge event id. */
  readonly id: string;
  /** 1 for the first delivery. */
  readonly attempt: number;
  /** When the need arose, if the trigger says (an SQS message's SentTimestamp); kept on the job link. */
  readonly neededAt?: string;
}

/** The dead-letter message body (JSON), version 1. Documented in the README. */
export interface DeadLetter {
  readonly kind: 'restore-dead-letter';
  readonly version: 1;
  /**
   * Stable for one failure of one request: a dead letter sent twice (a lost answer, a repeated
   * event) carries the same id, and the request queue takes back only one letter of an id.
   */
  readonly deadLetterId: string;
  readonly failure: FailureKind;
  /** One line for a person: what went wrong and what to do. */
  readonly reason: string;
  readonly error: { readonly name: string; readonly message: string; readonly retryable: boolean };
  readonly trigger: TriggerInfo;
  readonly failedAt: string;
  /** How many times this request was redriven from the dead-letter queue before this failure. */
  readonly redriveCount: number;
  readonly original: OriginalRequest;
  /**
   * The account the recovery point came from (the owner of its vault; issue 15), when known: the
   * one the pipeline found, else the account of the request's RecoveryPointArn or ResourceArn.
   */
  readonly sourceAccountId?: string;
  /** Present (false) when the letter is larger than the request queue takes: see `reason`. */
  readonly redrivable?: false;
  /** The restore job, for `restore-job-failed`. */
  readonly restoreJob?: {
    readonly restoreJobId: string;
    readonly status: string;
    readonly statusMessage?: string;
    readonly resourceType?: string;
  };
}

/**
 * `sourceAccountId` for a letter: the account an error was tagged with once the pipeline knew
 * it, else the account in the request's RecoveryPointArn or ResourceArn (or an alarm's
 * backup-restore tags); nothing when neither says (EC2 and S3 ARNs carry no account).
 */
export function sourceAccountField(error: unknown, original: OriginalRequest): { sourceAccountId?: string } {
  const tagged = (error as { sourceAccountId?: unknown } | null)?.sourceAccountId;
  if (typeof tagged === 'string' && /^\d{12}$/.test(tagged)) return { sourceAccountId: tagged };
  let payload: unknown;
  try {
    payload =
      original.trigger === 'eventbridge'
        ? (original.event as { detail?: unknown } | null)?.detail
        : JSON.parse(originalBody(original) ?? 'null');
  } catch {
    return {};
  }
  if (typeof payload !== 'object' || payload === null) return {};
  const p = payload as Record<string, unknown>;
  const tags = (typeof p.alarmTags === 'object' && p.alarmTags !== null ? p.alarmTags : {}) as Record<
    string,
    unknown
  >;
  const owner = tags['backup-restore:vault-account-id'];
  if (typeof owner === 'string' && /^\d{12}$/.test(owner)) return { sourceAccountId: owner };
  const arn = [p.RecoveryPointArn, p.ResourceArn, tags['backup-restore:resource-arn']].find(
    (v): v is string => typeof v === 'string',
  );
  const account = arn === undefined ? undefined : parseArn(arn)?.accountId;
  return account === undefined || account === '' ? {} : { sourceAccountId: account };
}

/** SQS's largest message; the dead-letter queue is created with it. */
export const DEAD_LETTER_MAX_BYTES = 1_048_576;
/**
 * The request queue's MaximumMessageSize (serverless.yml): a dead letter must fit in it to be
 * redriven (docs/aws-behaviour.md#sqs-max-size).
 */
export const REDRIVE_MAX_BYTES = 262_144;

/** The id of a dead letter (pure): one per failed job, or per failure of one delivery of a request. */
export function deadLetterIdOf(args: {
  failure: FailureKind;
  trigger: TriggerInfo;
  redriveCount: number;
  restoreJobId?: string;
}): string {
  const parts =
    (args.failure === 'restore-job-failed' ||
      args.failure === 'restore-validation-failed' ||
      args.failure === 'drill-cleanup-failed') &&
    args.restoreJobId !== undefined
      ? ['job', args.failure, args.restoreJobId]
      : ['request', args.trigger.type, args.trigger.id, String(args.redriveCount)];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

const letterBytes = (letter: DeadLetter) => Buffer.byteLength(JSON.stringify(letter));

/**
 * Builds a dead letter. An original that would make the letter too large to redrive is kept
 * gzip-compressed; one still too large is marked `redrivable: false`, with how to recover it.
 */
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
  const redriveCount = args.redriveCount ?? 0;
  const letter: DeadLetter = {
    kind: 'restore-dead-letter',
    version: 1,
    deadLetterId: deadLetterIdOf({
      failure: args.failure,
      trigger: args.trigger,
      redriveCount,
      ...(args.restoreJob === undefined ? {} : { restoreJobId: args.restoreJob.restoreJobId }),
    }),
    failure: args.failure,
    reason: error.message,
    error,
    trigger: args.trigger,
    failedAt: args.now.toISOString(),
    redriveCount,
    original: args.original,
    ...sourceAccountField(args.error, args.original),
    ...(args.restoreJob === undefined ? {} : { restoreJob: args.restoreJob }),
  };
  if (letterBytes(letter) <= REDRIVE_MAX_BYTES) return letter;
  const original = args.original;
  const compressed: DeadLetter =
    'body' in original
      ? {
          ...letter,
          original: { trigger: 'sqs', bodyGzipBase64: gzipSync(original.body).toString('base64') },
        }
      : letter;
  if (letterBytes(compressed) <= REDRIVE_MAX_BYTES) return compressed;
  return {
    ...compressed,
    redrivable: false,
    reason: `${letter.reason}. This letter is larger than the request queue accepts (${REDRIVE_MAX_BYTES} bytes), so it cannot be moved back as it is: take \`original\` out, make it smaller, and submit it again`,
  };
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
  if ('bodyGzipBase64' in original) return gunzipBounded(Buffer.from(original.bodyGzipBase64, 'base64'));
  return undefined;
}

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
    }
  /** Lambda's on-failure destination record of an asynchronous (EventBridge) invocation. */
  | { readonly kind: 'on-failure-record'; readonly original: OriginalRequest; readonly redriveCount: number };

const FAILURE_KINDS: ReadonlySet<unknown> = new Set([
  'rejected',
  'retries-exhausted',
  'restore-job-failed',
  'restore-validation-failed',
  'drill-cleanup-failed',
]);
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
    const failure = FAILURE_KINDS.has(body.failure) ? (body.failure as FailureKind) : 'rejected';
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
