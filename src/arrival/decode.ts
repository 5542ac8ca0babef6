/**
 * What arrived, decoded once: an SQS body (a request, or a dead letter or on-failure record taken
 * back from the dead-letter queue) or an EventBridge event, into one Arrival that carries the
 * original exactly, its kind, the request object in it (or why there is none) and the Metadata
 * values that logs must never show. Nothing here is checked or trusted yet.
 */

import { InvalidRequestError } from '../errors.js';
import { isPlainObject } from '../json.js';
import type { Incoming } from '../types.js';
import { type OriginalRequest, originalBody } from './original.js';
import { type Redriven, unwrapRedriven } from './redriven.js';

/** Metadata values of a payload, to scrub from logs before the payload is even checked. */
function secretsOfPayload(payload: unknown): string[] {
  const metadata = (payload as { Metadata?: unknown } | null)?.Metadata;
  if (typeof metadata !== 'object' || metadata === null) return [];
  return Object.values(metadata).filter((v): v is string => typeof v === 'string');
}

/** The detail-type of the events other systems put on a bus to ask for a restore. */
export const RESTORE_REQUESTED = 'Restore Requested';
/** The detail-type of CloudWatch alarm state changes. */
export const ALARM_STATE_CHANGE = 'CloudWatch Alarm State Change';
/** The detail-type of AWS Backup's restore job events. */
export const RESTORE_JOB_STATE_CHANGE = 'Restore Job State Change';

/** The envelope fields of an EventBridge event read before it is checked. */
export type EventLike = { 'detail-type'?: unknown; detail?: unknown };

/** What an arrival asks for. */
export type ArrivalKind = 'restore-request' | 'resource-request' | 'alarm' | 'job-event';

/** The request object an original carries, or the error that refuses it (no object to read). */
export type RequestBody = { readonly value: unknown } | { readonly unreadable: unknown };

/** What an original holds, by kind. */
export type Content =
  /** An EventBridge CloudWatch alarm state change (checked by the alarm step, not here). */
  | { readonly kind: 'alarm'; readonly event: EventLike }
  /** An AWS Backup restore job event: only ever a redriven on-failure record of the tracker. */
  | { readonly kind: 'job-event'; readonly event: EventLike }
  /** A restore request, by recovery point or by resource (a body that cannot be read is the former). */
  | { readonly kind: 'restore-request' | 'resource-request'; readonly request: RequestBody };

/** What arrived, decoded once. */
export type Arrival = Incoming &
  Content & {
    /** Metadata values of the original, to scrub from every log line about it. */
    readonly secrets: readonly string[];
    /** What a message taken back from the dead-letter queue claims (checked before it is believed). */
    readonly redriven?: Redriven;
  };

/**
 * Where a body stops being JSON, without the parser's words: V8 quotes a snippet of the body
 * (`Unexpected token 'C', "{"a": CANARY-lon"... is not valid JSON`), which may hold a Metadata
 * value that no scrubber knows yet (the body could not be read).
 */
export function describeJsonError(error: unknown, body: string): string {
  const message = error instanceof Error ? error.message : '';
  const position = /\bposition (\d+)/.exec(message)?.[1];
  if (position !== undefined) return `syntax error at character ${position} of ${body.length}`;
  if (/unexpected end/i.test(message)) return `the body ends early, after ${body.length} characters`;
  return `syntax error in ${body.length} characters`;
}

/**
 * The string values in a text that is not valid JSON (what follows a colon in quotes, or an
 * unquoted word after a colon), so they can be scrubbed although the body cannot be parsed.
 */
export function valuesInBrokenJson(body: string): string[] {
  const values: string[] = [];
  for (const m of body.matchAll(/:\s*("(?:[^"\\]|\\.)*"?|[^\s,{}[\]":]+)/g)) {
    const raw = m[1] ?? '';
    if (!raw.startsWith('"')) {
      values.push(raw);
      continue;
    }
    const quoted = raw.endsWith('"') && raw.length > 1 ? raw : `${raw}"`;
    try {
      values.push(JSON.parse(quoted) as string);
    } catch {
      values.push(raw.slice(1).replace(/"$/, ''));
    }
  }
  return values;
}

/** An SQS body parsed, or the error that refuses it. */
function parseBody(body: string): RequestBody {
  if (body.trim() === '')
    return {
      unreadable: new InvalidRequestError('The message body is empty; send one restore request as JSON'),
    };
  try {
    return { value: JSON.parse(body) };
  } catch (error) {
    return {
      unreadable: new InvalidRequestError(
        `The message body is not valid JSON (${describeJsonError(error, body)})`,
      ),
    };
  }
}

/** The restore request kind of a request object: by resource when it names a resource and no point. */
function requestKind(request: RequestBody): 'restore-request' | 'resource-request' {
  if (!('value' in request)) return 'restore-request';
  const value = request.value;
  return isPlainObject(value) && 'ResourceArn' in value && !('RecoveryPointArn' in value)
    ? 'resource-request'
    : 'restore-request';
}

function notRestoreRequested(detailType: unknown): InvalidRequestError {
  return new InvalidRequestError(
    `The event's detail-type is ${JSON.stringify(String(detailType).slice(0, 80))}; this function handles "${RESTORE_REQUESTED}" events`,
  );
}

/** What an EventBridge event holds: an alarm, a job event, or a "Restore Requested" request. */
function eventContent(event: unknown): Content {
  if (typeof event !== 'object' || event === null)
    return {
      kind: 'restore-request',
      request: { unreadable: new InvalidRequestError('The event is not an EventBridge event object') },
    };
  const envelope = event as EventLike;
  const detailType = envelope['detail-type'];
  if (detailType === ALARM_STATE_CHANGE) return { kind: 'alarm', event: envelope };
  if (detailType === RESTORE_JOB_STATE_CHANGE) return { kind: 'job-event', event: envelope };
  // The source aws.cloudwatch is what names an alarm everywhere else (drills, cleanup, validation):
  // a request claiming it (written by hand, EventBridge refuses it) would be read as an alarm there.
  const request: RequestBody =
    detailType !== RESTORE_REQUESTED
      ? { unreadable: notRestoreRequested(detailType) }
      : (envelope as { source?: unknown }).source === 'aws.cloudwatch'
        ? {
            unreadable: new InvalidRequestError(
              'A "Restore Requested" event cannot come from aws.cloudwatch',
            ),
          }
        : envelope.detail === undefined
          ? { unreadable: new InvalidRequestError('The "Restore Requested" event has no detail') }
          : { value: envelope.detail };
  return { kind: requestKind(request), request };
}

/**
 * Decodes an original: its content and its secrets. `parsed` is an SQS body already parsed on
 * arrival (so it is parsed once). Never throws: an original that cannot be read (a compressed
 * body that does not unpack within the bound) is a request refused with that error, and has no
 * values to scrub.
 */
function decodeOriginal(
  original: OriginalRequest,
  parsed?: RequestBody,
): { content: Content; secrets: readonly string[] } {
  if (original.trigger === 'eventbridge')
    return {
      content: unlessThrown(() => eventContent(original.event)),
      // The detail of any event, whatever its detail-type: a refused event's letter is logged too.
      secrets: safely(() => secretsOfPayload((original.event as EventLike | null)?.detail)),
    };
  let body: string;
  try {
    body = originalBody(original) ?? '';
  } catch (error) {
    return { content: { kind: 'restore-request', request: { unreadable: error } }, secrets: [] };
  }
  const request = parsed ?? parseBody(body);
  return {
    content: { kind: requestKind(request), request },
    // Not JSON: every value in it may be a Metadata value.
    secrets: safely(() => ('value' in request ? secretsOfPayload(request.value) : valuesInBrokenJson(body))),
  };
}

/** An event whose fields cannot even be read into a message is refused with what was thrown. */
function unlessThrown(content: () => Content): Content {
  try {
    return content();
  } catch (error) {
    return { kind: 'restore-request', request: { unreadable: error } };
  }
}

function safely(secrets: () => string[]): string[] {
  try {
    return secrets();
  } catch {
    return [];
  }
}

/** Whether a value survives JSON.stringify (an envelope nested thousands deep does not). */
export function serialisable(value: unknown): boolean {
  try {
    JSON.stringify(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * The Arrival of an original: how it is decoded when it first arrives, and again when the job
 * table gives back the request a dead letter named (a redriven failed job).
 */
export function arrivalOf(
  original: OriginalRequest,
  along: { redriveCount: number; redriven?: Redriven; failedRestoreJobId?: string },
  parsed?: RequestBody,
): Arrival {
  const { content, secrets } = decodeOriginal(original, parsed);
  return {
    original,
    redriveCount: along.redriveCount,
    ...(along.failedRestoreJobId === undefined ? {} : { failedRestoreJobId: along.failedRestoreJobId }),
    ...(along.redriven === undefined ? {} : { redriven: along.redriven }),
    ...content,
    secrets,
  };
}

/**
 * Decodes an SQS body. A dead letter (or Lambda on-failure record) redriven to the request queue
 * gives back its original, with its claims kept aside in `redriven` until they are checked.
 */
export function arriveFromSqs(body: string): Arrival {
  const parsed = parseBody(body);
  const redriven = 'value' in parsed ? unwrapRedriven(parsed.value) : undefined;
  if (redriven === undefined || !serialisable(redriven.original))
    return arrivalOf({ trigger: 'sqs', body }, { redriveCount: 0 }, parsed);
  return arrivalOf(redriven.original, { redriveCount: redriven.redriveCount, redriven });
}

/** Decodes an EventBridge event delivered to a function (never a redrive). */
export function arriveFromEvent(event: unknown): Arrival {
  return arrivalOf({ trigger: 'eventbridge', event }, { redriveCount: 0 });
}
