/**
 * One request from arrival to outcome, shared by every trigger: decode, dispatch (a restore
 * request or an alarm), and on failure, the decision between a retry and a dead letter.
 */

import { type AlarmEvent, alarmTarget, alarmTransition } from './alarm.js';
import { restoreByResource } from './by-resource.js';
import {
  buildDeadLetter,
  type FailureKind,
  type OriginalRequest,
  sendDeadLetter,
  unwrapRedriven,
} from './dead-letter.js';
import { describeError, RestorePipelineError } from './errors.js';
import { errorFields, type Logger } from './logger.js';
import { payloadOf } from './payload.js';
import { deriveIdempotencyToken, parseRestoreRequest } from './request.js';
import { startRecoveryPoint } from './restore.js';
import { type RestoreJobDetail, trackRestoreJob } from './track.js';
import type { AttemptInfo, Deps, Incoming, Outcome } from './types.js';

export { incomingSecrets, RESTORE_REQUESTED, requestPayload } from './payload.js';
export { metadataSecrets } from './request.js';
export type { AttemptInfo, Deps, Incoming, Outcome } from './types.js';

/** The detail-type of CloudWatch alarm state changes. */
export const ALARM_STATE_CHANGE = 'CloudWatch Alarm State Change';
/** The detail-type of AWS Backup's restore job events. */
export const RESTORE_JOB_STATE_CHANGE = 'Restore Job State Change';

/** Wraps an SQS body; a dead letter redriven to the request queue gives back its original. */
export function decodeSqsBody(body: string): Incoming {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { original: { trigger: 'sqs', body }, redriveCount: 0 };
  }
  return (
    unwrapRedriven(parsed) ?? {
      original: { trigger: 'sqs', body },
      redriveCount: 0,
      parsedBody: { value: parsed },
    }
  );
}

type EventLike = { 'detail-type'?: unknown; detail?: unknown };

function eventOfType(original: OriginalRequest, detailType: string): unknown {
  if (original.trigger !== 'eventbridge') return undefined;
  const event = original.event as EventLike | null;
  return event !== null && typeof event === 'object' && event['detail-type'] === detailType
    ? original.event
    : undefined;
}

function alarmEventOf(original: OriginalRequest): AlarmEvent | undefined {
  return eventOfType(original, ALARM_STATE_CHANGE) as AlarmEvent | undefined;
}

/** Handles what an alarm asks for: a restore of the resource it guards, or nothing. */
export async function processAlarm(
  deps: Deps,
  event: AlarmEvent,
  incoming: Incoming,
  attempt: AttemptInfo,
  log: Logger,
): Promise<Outcome> {
  const transition = alarmTransition(event);
  if (!transition.act) {
    log.info('Alarm state change ignored', { reason: transition.reason, alarmName: event.detail?.alarmName });
    return { status: 'ignored', reason: transition.reason };
  }
  const { target, source } = alarmTarget(event, transition, deps.config.alarmTargets);
  log.info('Alarm target found', {
    alarmName: transition.alarmName,
    resourceArn: target.resourceArn,
    source,
  });
  return restoreByResource(
    deps,
    {
      resourceArn: target.resourceArn,
      ...(target.backupVaultName === undefined ? {} : { backupVaultName: target.backupVaultName }),
      overrides: target.metadata ?? {},
      ...(target.iamRoleArn === undefined ? {} : { iamRoleArn: target.iamRoleArn }),
      selection: target.recoveryPoint ?? { mode: 'before-alarm' },
      at: transition.changedAt,
      // The same alarm transition always asks for the same restore, however often it is delivered.
      idempotencyToken: deriveIdempotencyToken({
        alarmArn: transition.alarmArn,
        changedAt: transition.changedAt.toISOString(),
      }),
      oneAtATime: true,
    },
    incoming,
    attempt,
    log,
  );
}

/** Checks and starts one request (or alarm); throws a RestorePipelineError (or anything unexpected). */
export async function processIncoming(
  deps: Deps,
  incoming: Incoming,
  attempt: AttemptInfo,
  log: Logger,
): Promise<Outcome> {
  const alarm = alarmEventOf(incoming.original);
  if (alarm !== undefined) return processAlarm(deps, alarm, incoming, attempt, log);
  const jobEvent = eventOfType(incoming.original, RESTORE_JOB_STATE_CHANGE);
  if (jobEvent !== undefined) {
    // The tracker's on-failure record, redriven: follow the job again, which dead-letters its request.
    const tracked = await trackRestoreJob(deps, jobEvent as { id?: string; detail?: RestoreJobDetail }, log);
    return { status: 'ignored', reason: `restore job event handled: ${tracked}` };
  }

  const request = parseRestoreRequest(payloadOf(incoming), deps.config);
  if (request.kind === 'recovery-point') return startRecoveryPoint(deps, request, incoming, attempt, log);
  const at = request.RestoreTime === undefined ? deps.now() : new Date(request.RestoreTime);
  const { kind: _kind, ...identity } = request;
  return restoreByResource(
    deps,
    {
      resourceArn: request.ResourceArn,
      ...(request.BackupVaultName === undefined ? {} : { backupVaultName: request.BackupVaultName }),
      overrides: request.Metadata,
      ...(request.IamRoleArn === undefined ? {} : { iamRoleArn: request.IamRoleArn }),
      selection: request.RestoreTime === undefined ? { mode: 'latest' } : { mode: 'before-alarm' },
      at,
      idempotencyToken: request.IdempotencyToken ?? deriveIdempotencyToken(identity),
      ...(request.CopySourceTagsToRestoredResource === undefined
        ? {}
        : { copySourceTags: request.CopySourceTagsToRestoredResource }),
      oneAtATime: false,
    },
    incoming,
    attempt,
    log,
  );
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
    log.warn('Request failed; it will be retried', {
      ...errorFields(error),
      attempt: attempt.trigger.attempt,
    });
    throw error;
  }
  const failure: FailureKind = described.retryable ? 'retries-exhausted' : 'rejected';
  const letter = buildDeadLetter({
    failure,
    error:
      failure === 'retries-exhausted'
        ? Object.assign(
            new RestorePipelineError(`${described.message}. ${EXHAUSTED_HINT}`, { retryable: true }),
            {
              name: described.name,
            },
          )
        : error,
    trigger: attempt.trigger,
    original: incoming.original,
    now: deps.now(),
    redriveCount: incoming.redriveCount,
  });
  try {
    const messageId = await sendDeadLetter(deps.sqs, deps.config.deadLetterQueueUrl, letter);
    log.warn('Request dead-lettered', { ...errorFields(error), failure, deadLetterMessageId: messageId });
  } catch (sendError) {
    log.error('Could not send the dead letter; the request will be retried', {
      ...errorFields(sendError),
      reason: described.message,
    });
    throw sendError;
  }
}

/** What a person should know about a request whose retries ran out. */
export const EXHAUSTED_HINT =
  'Retries ran out; AWS may still have accepted the restore if an answer was lost. Redrive when the cause has passed: within an hour the same idempotency token makes AWS start nothing twice';

/** Logs an outcome the way every handler does. */
export function logOutcome(log: Logger, outcome: Outcome, fields: Record<string, unknown> = {}): void {
  if (outcome.status === 'started')
    log.info('Restore job started', { restoreJobId: outcome.restoreJobId, ...fields });
}
