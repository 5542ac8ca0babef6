/**
 * One request from arrival to outcome, shared by every trigger: decode, dispatch (a restore
 * request or an alarm), and on failure, the decision between a retry and a dead letter.
 */

import { createHash } from 'node:crypto';
import { startRestoreOfPoint } from './act/restore-point.js';
import { restoreByResource } from './act/restore-resource.js';
import { type AlarmEvent, alarmTarget, alarmTransition } from './alarm.js';
import { parseRestoreRequest } from './checks/request.js';
import {
  buildDeadLetter,
  type FailureKind,
  type OriginalRequest,
  sendDeadLetter,
  unwrapRedriven,
} from './dead-letter.js';
import { describeError, ForbiddenRequestError, RestorePipelineError } from './errors.js';
import { errorFields, type Logger } from './logger.js';
import type { RestoreJobDetail } from './outcome/job-event.js';
import { claimRedrive, findJobLink } from './outcome/job-link.js';
import { trackRestoreJob } from './outcome/track.js';
import { payloadOf, incomingSecrets as secretsOfIncoming } from './payload.js';
import { deriveIdempotencyToken } from './plan/start-input.js';
import type { AttemptInfo, Deps, Incoming, Outcome } from './types.js';
import { findVerdict } from './validation/record.js';

export { RESTORE_REQUESTED, requestPayload } from './payload.js';

/**
 * Metadata values an incoming request carries, for scrubbing its logs; never throws. An original
 * that cannot be read (a compressed body that does not unpack within the bound: a gzip bomb) has
 * no values to scrub, and its refusal must reach the dead-letter queue: the handlers call this
 * before their per-record error handling, so a throw here used to fail the record on every
 * receive until the queue's redrive policy moved the raw body, with no reason.
 */
export function incomingSecrets(incoming: Incoming): string[] {
  try {
    return secretsOfIncoming(incoming);
  } catch {
    return [];
  }
}
export { metadataSecrets } from './request.js';
export type { AttemptInfo, Deps, Incoming, Outcome } from './types.js';

/** The detail-type of CloudWatch alarm state changes. */
export const ALARM_STATE_CHANGE = 'CloudWatch Alarm State Change';
/** The detail-type of AWS Backup's restore job events. */
export const RESTORE_JOB_STATE_CHANGE = 'Restore Job State Change';

/** Whether a value survives JSON.stringify (an envelope nested thousands deep does not). */
function serialisable(value: unknown): boolean {
  try {
    JSON.stringify(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Wraps an SQS body. A dead letter (or Lambda on-failure record) redriven to the request queue gives
 * back its original, with its claims kept aside in `redriven` until processIncoming checks them.
 */
export function decodeSqsBody(body: string): Incoming {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { original: { trigger: 'sqs', body }, redriveCount: 0 };
  }
  const redriven = unwrapRedriven(parsed);
  if (redriven === undefined || !serialisable(redriven.original))
    return { original: { trigger: 'sqs', body }, redriveCount: 0, parsedBody: { value: parsed } };
  return { original: redriven.original, redriveCount: redriven.redriveCount, redriven };
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
  const refused = alarmOptInProblem(event, deps.config.alarmNamePrefix);
  if (refused !== undefined) throw new ForbiddenRequestError(refused);
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
      ...(target.backupVaultAccountId === undefined
        ? {}
        : { backupVaultAccountId: target.backupVaultAccountId }),
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

/**
 * The rule the deployed EventBridge rule applies (serverless.yml, restoreOnAlarm), checked again in
 * code: an alarm event can also arrive through the request queue, where no rule filtered it.
 */
export function alarmOptInProblem(event: AlarmEvent, prefix: string): string | undefined {
  const envelope = event as AlarmEvent & { source?: unknown };
  if (envelope.source !== undefined && envelope.source !== 'aws.cloudwatch')
    return 'An alarm state change must come from the source aws.cloudwatch';
  const detail = event.detail;
  // A malformed event is refused by alarmTransition, with its own message.
  if (typeof detail !== 'object' || detail === null || typeof detail.alarmName !== 'string') return undefined;
  const name = detail.alarmName;
  const tags = detail.alarmTags;
  const tagged =
    typeof tags === 'object' && tags !== null && Object.hasOwn(tags, 'backup-restore:enabled')
      ? tags['backup-restore:enabled'] === 'true'
      : false;
  if (name.startsWith(prefix) || tagged) return undefined;
  return `The alarm has not opted in to restores: its name does not start with "${prefix}" and it has no tag backup-restore:enabled=true`;
}

/**
 * Checks what a message taken back from the dead-letter queue claims. A dead letter is taken back
 * once per dead-letter id; a failed job's letter is believed only when the job table holds that
 * failure, and the request restored is the one the table kept, not the letter's copy.
 */
async function checkRedriven(deps: Deps, incoming: Incoming, attempt: AttemptInfo, log: Logger) {
  const redriven = incoming.redriven;
  if (redriven?.kind !== 'dead-letter') return { incoming };
  const table = deps.config.restoreJobsTable;
  if (redriven.deadLetterId !== '' && attempt.trigger.type === 'sqs') {
    // Keyed by the id and what the letter carries: a forged letter that borrows a real letter's id
    // cannot use up that letter's redrive, unless it carries the very same request.
    const key = createHash('sha256')
      .update(`${redriven.deadLetterId}\n${JSON.stringify(redriven.original)}`)
      .digest('hex')
      .slice(0, 32);
    const claim = await claimRedrive(deps.ddb, table, key, attempt.trigger.id, deps.now());
    if (claim.kind === 'duplicate') {
      log.info('Ignored a dead letter that was redriven before', {
        deadLetterId: redriven.deadLetterId,
        firstMessageId: claim.firstMessageId,
      });
      return {
        done: {
          status: 'ignored',
          reason: `dead letter ${redriven.deadLetterId} was redriven before (message ${claim.firstMessageId})`,
        } as Outcome,
      };
    }
  }
  if (redriven.failure === 'drill-cleanup-failed') {
    // The restore succeeded; what failed is the deletion of a drill's resource. Restoring again
    // would leave a second resource behind.
    throw new ForbiddenRequestError(
      "A drill-cleanup-failed letter reports a drill resource left behind, not a failed restore: it is not restored again. Check the resource named in its restoreJob and delete it by hand if it is the drill's",
    );
  }
  if (redriven.failedRestoreJobId === undefined) return { incoming };
  const jobId = redriven.failedRestoreJobId;
  const link = await findJobLink(deps.ddb, table, jobId);
  const problem =
    link === undefined
      ? 'no such job, or its record expired'
      : redriven.failure === 'restore-validation-failed'
        ? (await findVerdict(deps.ddb, table, jobId))?.verdict === 'fail'
          ? undefined
          : 'no failed validation is recorded for it'
        : link.outcome === undefined || link.outcome === 'COMPLETED'
          ? `the job ended ${link.outcome ?? 'without a recorded end'}`
          : undefined;
  if (link === undefined || problem !== undefined) {
    deps.metrics.count('RedrivesRefused', 'Unknown');
    throw new ForbiddenRequestError(
      `The dead letter says restore job ${jobId} failed, but this pipeline holds no record of that failure (${problem}), so it is not restored again. To restore, submit the request itself`,
    );
  }
  return {
    incoming: {
      original: link.original,
      redriveCount: incoming.redriveCount,
      failedRestoreJobId: jobId,
    } satisfies Incoming,
  };
}

/** Checks and starts one request (or alarm); throws a RestorePipelineError (or anything unexpected). */
export async function processIncoming(
  deps: Deps,
  arrived: Incoming,
  attempt: AttemptInfo,
  log: Logger,
): Promise<Outcome> {
  const checked = await checkRedriven(deps, arrived, attempt, log);
  if (checked.done !== undefined) return checked.done;
  const incoming = checked.incoming;
  const alarm = alarmEventOf(incoming.original);
  if (alarm !== undefined) return processAlarm(deps, alarm, incoming, attempt, log);
  const jobEvent = eventOfType(incoming.original, RESTORE_JOB_STATE_CHANGE);
  if (jobEvent !== undefined) {
    // The tracker's on-failure record, redriven: the job is read from AWS, never taken from the
    // record (anyone who can send to the request queue can write one).
    const tracked = await trackRestoreJob(deps, jobEvent as { id?: string; detail?: RestoreJobDetail }, log, {
      trusted: false,
    });
    return { status: 'ignored', reason: `restore job event handled: ${tracked}` };
  }

  const request = parseRestoreRequest(payloadOf(incoming), deps.config);
  if (request.kind === 'recovery-point') return startRestoreOfPoint(deps, request, incoming, attempt, log);
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
