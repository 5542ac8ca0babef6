/**
 * One restore request from arrival to outcome, shared by every trigger: decode, check, build,
 * start; and on failure, the decision between a retry and a dead letter.
 */

import type { BackupClient } from '@aws-sdk/client-backup';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from './config.js';
import {
  buildDeadLetter,
  type FailureKind,
  type OriginalRequest,
  originalBody,
  sendDeadLetter,
  type TriggerInfo,
  unwrapRedriven,
} from './dead-letter.js';
import { describeError, InvalidRequestError } from './errors.js';
import { recordJobLink } from './job-link.js';
import { errorFields, type Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { buildStartRestoreJobInput, parseRestoreRequest, type RecoveryPointRequest } from './request.js';
import { startRestoreJob } from './restore.js';

/** What every handler needs; built once at module scope, replaced in tests. */
export interface Deps {
  readonly config: Config;
  readonly backup: BackupClient;
  readonly sqs: SQSClient;
  readonly ddb: DynamoDBClient;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now: () => Date;
}

/** A request as it arrived, with what a redrive carried along. */
export interface Incoming {
  readonly original: OriginalRequest;
  readonly redriveCount: number;
  readonly failedRestoreJobId?: string;
}

/** The detail-type of the events other systems put on a bus to ask for a restore. */
export const RESTORE_REQUESTED = 'Restore Requested';

/** Wraps an SQS body; a dead letter redriven to the request queue gives back its original. */
export function decodeSqsBody(body: string): Incoming {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { original: { trigger: 'sqs', body }, redriveCount: 0 };
  }
  return unwrapRedriven(parsed) ?? { original: { trigger: 'sqs', body }, redriveCount: 0 };
}

function describeJsonError(error: unknown): string {
  return error instanceof Error ? error.message.replace(/[^\x20-\x7e]/g, '?').slice(0, 200) : 'unreadable';
}

/** The request object an original carries; throws InvalidRequestError when there is none. */
export function requestPayload(original: OriginalRequest): unknown {
  if (original.trigger === 'eventbridge') {
    const event = original.event as { 'detail-type'?: unknown; detail?: unknown } | null;
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
    throw new InvalidRequestError(`The message body is not valid JSON (${describeJsonError(error)})`);
  }
}

/** Metadata values of a payload, to scrub from logs before the payload is even checked. */
export function metadataSecrets(payload: unknown): string[] {
  const metadata = (payload as { Metadata?: unknown } | null)?.Metadata;
  if (typeof metadata !== 'object' || metadata === null) return [];
  return Object.values(metadata).filter((v): v is string => typeof v === 'string');
}

/** The outcome of a request that did not fail. */
export type Outcome = { readonly status: 'started'; readonly restoreJobId: string };

/** Checks and starts one restore; throws a RestorePipelineError (or anything unexpected). */
export async function processRequest(
  deps: Deps,
  incoming: Incoming,
  payload: unknown,
  attempt: AttemptInfo,
  log: Logger,
): Promise<Outcome> {
  const request = parseRestoreRequest(payload, deps.config);
  if (request.kind !== 'recovery-point') {
    throw new InvalidRequestError(
      'Requests by ResourceArn are not enabled in this deployment; name the RecoveryPointArn and Metadata instead',
    );
  }
  return startRecoveryPoint(deps, request, incoming, attempt, log);
}

async function startRecoveryPoint(
  deps: Deps,
  request: RecoveryPointRequest,
  incoming: Incoming,
  attempt: AttemptInfo,
  log: Logger,
): Promise<Outcome> {
  const input = buildStartRestoreJobInput(request, {
    restoreRoleArn: deps.config.restoreRoleArn,
    ...(incoming.failedRestoreJobId === undefined ? {} : { generation: incoming.failedRestoreJobId }),
  });
  log.debug('Starting restore job', {
    recoveryPointArn: input.RecoveryPointArn,
    resourceType: input.ResourceType,
    metadataKeys: Object.keys(input.Metadata ?? {}),
    idempotencyToken: input.IdempotencyToken,
  });
  const restoreJobId = await startRestoreJob(deps.backup, input);
  const link = {
    restoreJobId,
    original: incoming.original,
    trigger: attempt.trigger,
    redriveCount: incoming.redriveCount,
    recoveryPointArn: input.RecoveryPointArn ?? '',
    ...(input.ResourceType === undefined ? {} : { resourceType: input.ResourceType }),
    startedAt: deps.now().toISOString(),
  };
  try {
    await recordJobLink(deps.ddb, deps.config.restoreJobsTable, link, deps.now());
  } catch (error) {
    // Retried, the same token gives the same job back and the link is written then. On the last
    // attempt the job is running: dead-lettering the request would restore it twice on redrive.
    if (!attempt.lastAttempt) throw error;
    log.error(
      'Restore job started, but its link could not be recorded: an asynchronous failure of this job will not be dead-lettered',
      {
        ...errorFields(error),
        restoreJobId,
      },
    );
  }
  deps.metrics.count('RestoreJobsStarted', input.ResourceType ?? 'Unknown');
  return { status: 'started', restoreJobId };
}

/** Where a failure stands in the trigger's retries. */
export interface AttemptInfo {
  readonly trigger: TriggerInfo;
  /** True when the trigger will not deliver the request again. */
  readonly lastAttempt: boolean;
}

/**
 * Decides what a failure becomes. Permanent errors, and retryable ones on the last attempt, are
 * dead-lettered and resolve; other retryable errors are rethrown so the trigger retries. A dead
 * letter that cannot be sent throws, so the request is retried rather than lost.
 */
export async function settleFailure(
  deps: Deps,
  incoming: Incoming,
  attempt: AttemptInfo,
  error: unknown,
  log: Logger,
): Promise<void> {
  const described = describeError(error);
  if (described.retryable && !attempt.lastAttempt) {
    log.warn('Restore request failed; it will be retried', {
      ...errorFields(error),
      attempt: attempt.trigger.attempt,
    });
    throw error;
  }
  const failure: FailureKind = described.retryable ? 'retries-exhausted' : 'rejected';
  const letter = buildDeadLetter({
    failure,
    error,
    trigger: attempt.trigger,
    original: incoming.original,
    now: deps.now(),
    redriveCount: incoming.redriveCount,
  });
  try {
    const messageId = await sendDeadLetter(deps.sqs, deps.config.deadLetterQueueUrl, letter);
    log.warn('Restore request dead-lettered', {
      ...errorFields(error),
      failure,
      deadLetterMessageId: messageId,
    });
  } catch (sendError) {
    log.error('Could not send the dead letter; the request will be retried', {
      ...errorFields(sendError),
      reason: described.message,
    });
    throw sendError;
  }
}
