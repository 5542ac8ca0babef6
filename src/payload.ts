/**
 * The request object inside whatever arrived (an SQS body, a "Restore Requested" event, or the
 * original carried by a dead letter), and the Metadata values in it that logs must never show.
 */

import type { BackupClient } from '@aws-sdk/client-backup';
import { storedRestoreMetadata } from './aws/backup.js';
import type { Config } from './config.js';
import { type OriginalRequest, originalBody } from './dead-letter.js';
import { InvalidRequestError } from './errors.js';
import { metadataSecrets } from './request.js';
import type { Incoming } from './types.js';

/** The detail-type of the events other systems put on a bus to ask for a restore. */
export const RESTORE_REQUESTED = 'Restore Requested';

type EventLike = { 'detail-type'?: unknown; detail?: unknown };

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

/** The request object an original carries; throws InvalidRequestError when there is none. */
export function requestPayload(original: OriginalRequest): unknown {
  if (original.trigger === 'eventbridge') {
    const event = original.event as EventLike | null;
    if (typeof event !== 'object' || event === null) {
      throw new InvalidRequestError('The event is not an EventBridge event object');
    }
    if (event['detail-type'] !== RESTORE_REQUESTED) {
      throw new InvalidRequestError(
        `The event's detail-type is ${JSON.stringify(String(event['detail-type']).slice(0, 80))}; this function handles "${RESTORE_REQUESTED}" events`,
      );
    }
    if (event.detail === undefined)
      throw new InvalidRequestError('The "Restore Requested" event has no detail');
    return event.detail;
  }
  const body = originalBody(original) ?? '';
  if (body.trim() === '')
    throw new InvalidRequestError('The message body is empty; send one restore request as JSON');
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new InvalidRequestError(`The message body is not valid JSON (${describeJsonError(error, body)})`);
  }
}

/** The request object of an incoming request, reusing the body parsed on arrival. */
export function payloadOf(incoming: Incoming): unknown {
  return incoming.parsedBody !== undefined ? incoming.parsedBody.value : requestPayload(incoming.original);
}

/** Metadata values an original carries, from an event's detail or an SQS body (never throws). */
export function originalSecrets(original: OriginalRequest): string[] {
  if (original.trigger === 'eventbridge')
    return metadataSecrets((original.event as EventLike | null)?.detail);
  let body: string;
  try {
    body = originalBody(original) ?? 'null';
  } catch {
    // A compressed original that cannot be unpacked: nothing of it is ever read, or logged.
    return [];
  }
  try {
    return metadataSecrets(JSON.parse(body));
  } catch {
    // Not JSON: every value in it may be a Metadata value.
    return valuesInBrokenJson(body);
  }
}

/** Metadata values an incoming request carries (never throws). */
export function incomingSecrets(incoming: Incoming): string[] {
  return incoming.parsedBody !== undefined
    ? metadataSecrets(incoming.parsedBody.value)
    : originalSecrets(incoming.original);
}

/**
 * Metadata values this deployment's configuration holds (ALARM_TARGETS overrides): secret in
 * every invocation, since AWS may echo them in any message about a restore they went into.
 */
export function configSecrets(config: Pick<Config, 'alarmTargets'>): string[] {
  return Object.values(config.alarmTargets).flatMap((target) => Object.values(target.metadata ?? {}));
}

/**
 * Metadata values stored with the recovery point of a restore job (from its event's
 * recoveryPointArn and backupVaultArn): AWS may quote them in the job's status message, and
 * neither the request nor the job link holds them. Best effort: [] when they cannot be read.
 */
export async function storedSecretsOfJob(
  backup: BackupClient,
  detail: { recoveryPointArn?: string; backupVaultArn?: string },
): Promise<string[]> {
  const vault = /:backup-vault:(.+)$/.exec(detail.backupVaultArn ?? '')?.[1];
  if (vault === undefined || detail.recoveryPointArn === undefined) return [];
  try {
    return Object.values((await storedRestoreMetadata(backup, vault, detail.recoveryPointArn)).metadata);
  } catch {
    return [];
  }
}
