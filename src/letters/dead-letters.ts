/**
 * The dead-letter message: build it (pure) and send it. A letter taken back to the request queue
 * is decoded on arrival (src/arrival/redriven.ts).
 */

import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { parseArn } from '../arn.js';
import { serialisable } from '../arrival/decode.js';
import { type OriginalRequest, originalBody, type TriggerInfo } from '../arrival/original.js';
import { FAILURE_KINDS, type FailureKind, type LetterJob } from '../arrival/redriven.js';
import { classifyAwsError, describeError, ForbiddenRequestError } from '../errors.js';

/**
 * The kinds a letter may say: those a redriven letter is read as (src/arrival/redriven.ts), and
 * `make-ready-failed`: the job COMPLETED and its copy could not be made ready (src/ready/). That
 * letter carries the job's COMPLETED event as its original, never the request: taken back to the
 * request queue it is a job event, which only settles the job again and restores nothing.
 */
export type LetterFailure = FailureKind | 'make-ready-failed';

/** Every kind a letter may say, in the order docs/dead-letters.md lists them. */
export const LETTER_FAILURES: readonly LetterFailure[] = [...FAILURE_KINDS, 'make-ready-failed'];

/** Kinds whose letter is one per restore job (its id is the job's, whatever delivery sent it). */
const JOB_FAILURES: ReadonlySet<LetterFailure> = new Set<LetterFailure>([
  'restore-job-failed',
  'restore-validation-failed',
  'drill-cleanup-failed',
  'make-ready-failed',
]);

/** The dead-letter message body (JSON), version 1. Documented in docs/dead-letters.md. */
export interface DeadLetter {
  readonly kind: 'restore-dead-letter';
  readonly version: 1;
  /**
   * Stable for one failure of one request: a dead letter sent twice (a lost answer, a repeated
   * event) carries the same id, and the request queue takes back only one letter of an id.
   */
  readonly deadLetterId: string;
  readonly failure: LetterFailure;
  /** One line for a person: what went wrong and what to do. */
  readonly reason: string;
  readonly error: { readonly name: string; readonly message: string; readonly retryable: boolean };
  readonly trigger: TriggerInfo;
  readonly failedAt: string;
  /** How many times this request was redriven from the dead-letter queue before this failure. */
  readonly redriveCount: number;
  readonly original: OriginalRequest;
  /**
   * The account the recovery point came from (the owner of its vault), when known: the
   * one the pipeline found, else the account of the request's RecoveryPointArn or ResourceArn.
   */
  readonly sourceAccountId?: string;
  /** Present (false) when the letter is larger than the request queue takes: see `reason`. */
  readonly redrivable?: false;
  /** The restore job, for `restore-job-failed`, `restore-validation-failed`, `drill-cleanup-failed` and `make-ready-failed`. */
  readonly restoreJob?: LetterJob;
}

/**
 * A refusal whose letter keeps the kind and job of the letter it refuses (a redriven
 * `drill-cleanup-failed` letter comes back as one again, never as a plain `rejected` one that a
 * later redrive would restore).
 */
export class KeptLetterError extends ForbiddenRequestError {
  constructor(
    message: string,
    readonly failure: FailureKind,
    readonly restoreJob: LetterJob | undefined,
  ) {
    super(message);
    this.name = 'RedriveRefusedError';
  }
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
  failure: LetterFailure;
  trigger: TriggerInfo;
  redriveCount: number;
  restoreJobId?: string;
}): string {
  const parts =
    JOB_FAILURES.has(args.failure) && args.restoreJobId !== undefined
      ? ['job', args.failure, args.restoreJobId]
      : ['request', args.trigger.type, args.trigger.id, String(args.redriveCount)];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

const letterBytes = (letter: DeadLetter) => Buffer.byteLength(JSON.stringify(letter));

/** Text of at most this many characters stands for an event JSON cannot write. */
const UNWRITABLE_TEXT_CHARS = 4096;

/**
 * An event JSON.stringify cannot write (nested too deeply), as the beginning of its JSON text, its
 * levels past 32 cut; undefined for any original that can be written as it is.
 */
function unwritableEventText(original: OriginalRequest): string | undefined {
  if (original.trigger !== 'eventbridge' || serialisable(original.event)) return undefined;
  let out = '';
  const walk = (value: unknown, depth: number): void => {
    if (out.length >= UNWRITABLE_TEXT_CHARS) return;
    if (depth >= 32) out += '…';
    else if (Array.isArray(value) || (typeof value === 'object' && value !== null)) {
      const array = Array.isArray(value);
      out += array ? '[' : '{';
      Object.entries(value).forEach(([key, item], i) => {
        if (out.length >= UNWRITABLE_TEXT_CHARS) return;
        out += `${i > 0 ? ',' : ''}${array ? '' : `${JSON.stringify(key)}:`}`;
        walk(item, depth + 1);
      });
      out += array ? ']' : '}';
    } else out += JSON.stringify(value) ?? String(value);
  };
  walk(original.event, 0);
  return out.slice(0, UNWRITABLE_TEXT_CHARS);
}

/**
 * Builds a dead letter. An original that would make the letter too large to redrive is kept
 * gzip-compressed; one still too large is marked `redrivable: false`, with how to recover it; an
 * event nested too deeply to be written is kept as truncated text, `redrivable: false` too.
 */
export function buildDeadLetter(args: {
  failure: LetterFailure;
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
  const unwritable = unwritableEventText(args.original);
  if (unwritable !== undefined) {
    return {
      ...letter,
      original: { trigger: 'eventbridge', event: unwritable },
      redrivable: false,
      reason: `${letter.reason}. The event is nested too deeply to be written as JSON: \`original.event\` holds its beginning as text, and it cannot be redriven; send the request again in a sound shape`,
    };
  }
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
