/**
 * One arrival to its outcome: its redrive claims checked, then by kind: an alarm (restore the
 * resource it guards), a job event (the tracker's redriven on-failure record), or a restore
 * request (by recovery point or by resource). Failures are thrown to the runner.
 */

import { startRestoreOfPoint } from '../act/restore-point.js';
import { restoreByResource } from '../act/restore-resource.js';
import type { AlarmEvent } from '../arrival/alarm.js';
import type { Arrival, RequestBody } from '../arrival/decode.js';
import { checkAlarm } from '../checks/alarm.js';
import { checkRedriven } from '../checks/redriven.js';
import { parseArrivedRequest } from '../checks/request.js';
import { InvalidRequestError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { RestoreJobDetail } from '../outcome/job-event.js';
import { trackRestoreJob } from '../outcome/track.js';
import { planResourceRestore, type ResourceRestore } from '../plan/resource-restore.js';
import { plannedStart } from '../plan/start-input.js';
import { deriveIdempotencyToken } from '../plan/token.js';
import type { AttemptInfo, Deps, Incoming, Outcome } from '../types.js';
import { priorityOf, withPriority } from './priority.js';

/** Handles what an alarm asks for: a restore of the resource it guards, or nothing. */
async function processAlarm(
  deps: Deps,
  event: AlarmEvent,
  incoming: Incoming,
  attempt: AttemptInfo,
  log: Logger,
): Promise<Outcome> {
  const checked = checkAlarm(event, deps.config, attempt.trigger, incoming.failedRestoreJobId !== undefined);
  if (!checked.act) {
    log.info('Alarm state change ignored', { reason: checked.reason, alarmName: event.detail?.alarmName });
    return { status: 'ignored', reason: checked.reason };
  }
  const { transition, target, source } = checked;
  log.info('Alarm target found', {
    alarmName: transition.alarmName,
    resourceArn: target.resourceArn,
    source,
  });
  return restoreResource(
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

/** A restore by resource: planned (plan/), and started once the guard has run (act/), alongside. */
function restoreResource(
  deps: Deps,
  spec: ResourceRestore,
  incoming: Incoming,
  attempt: AttemptInfo,
  log: Logger,
): Promise<Outcome> {
  const planning = planResourceRestore(deps, spec, incoming.failedRestoreJobId, log);
  return restoreByResource(deps, spec, planning, incoming, attempt, log);
}

/**
 * The run of a drill that arrived in an EventBridge event: the event's id, so each scheduled run
 * (the same detail every time) is a drill of its own, with its own token and name, while repeats of
 * one event (Lambda's retries, its on-failure record redriven) stay one drill.
 */
function drillRunOf(request: { readonly Drill?: unknown }, incoming: Incoming): { drillEventId?: string } {
  if (request.Drill === undefined || incoming.original.trigger !== 'eventbridge') return {};
  const id = (incoming.original.event as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? { drillEventId: id } : {};
}

/** Checks and starts a restore request, by recovery point or by resource. */
async function processRequest(
  deps: Deps,
  body: RequestBody,
  incoming: Incoming,
  attempt: AttemptInfo,
  log: Logger,
): Promise<Outcome> {
  const request = parseArrivedRequest(body, deps.config);
  if (request.kind === 'recovery-point') {
    const planned = plannedStart(request, deps.config.restoreRoleArn, incoming.failedRestoreJobId);
    return startRestoreOfPoint(deps, planned, incoming, attempt, log);
  }
  const at = request.RestoreTime === undefined ? deps.now() : new Date(request.RestoreTime);
  const { kind: _kind, ...identity } = request;
  return restoreResource(
    deps,
    {
      resourceArn: request.ResourceArn,
      ...(request.BackupVaultName === undefined ? {} : { backupVaultName: request.BackupVaultName }),
      overrides: request.Metadata,
      ...(request.IamRoleArn === undefined ? {} : { iamRoleArn: request.IamRoleArn }),
      selection: request.RestoreTime === undefined ? { mode: 'latest' } : { mode: 'before-alarm' },
      at,
      idempotencyToken:
        request.IdempotencyToken ?? deriveIdempotencyToken({ ...identity, ...drillRunOf(request, incoming) }),
      ...(request.CopySourceTagsToRestoredResource === undefined
        ? {}
        : { copySourceTags: request.CopySourceTagsToRestoredResource }),
      ...(request.Drill === undefined ? {} : { drill: request.Drill }),
      oneAtATime: false,
    },
    incoming,
    attempt,
    log,
  );
}

/** Checks and starts what arrived; throws a RestorePipelineError (or anything unexpected). */
export async function processIncoming(
  deps: Deps,
  arrived: Arrival,
  attempt: AttemptInfo,
  log: Logger,
): Promise<Outcome> {
  const checked = await checkRedriven(deps, arrived, attempt, log);
  if ('done' in checked) return checked.done;
  const arrival = checked.arrival;
  // Its StartRestoreJob calls take the account budget at the priority of what is restored (alarms
  // first): for a redriven failed job the table's request, never the letter's own copy.
  return withPriority(priorityOf(arrival), () => processChecked(deps, arrival, attempt, log));
}

/** Starts what arrived, once its redrive claims are checked. */
async function processChecked(
  deps: Deps,
  arrival: Arrival,
  attempt: AttemptInfo,
  log: Logger,
): Promise<Outcome> {
  switch (arrival.kind) {
    case 'alarm':
      return processAlarm(deps, arrival.event as AlarmEvent, arrival, attempt, log);
    case 'job-event': {
      // The tracker's on-failure record, redriven: the job is read from AWS, never taken from the
      // record (anyone who can send to the request queue can write one).
      const event = arrival.event as { id?: string; detail?: RestoreJobDetail };
      const tracked = await trackRestoreJob(deps, event, log, { trusted: false });
      return { status: 'ignored', reason: `restore job event handled: ${tracked}` };
    }
    default:
      return processRequest(deps, arrival.request, arrival, attempt, log);
  }
}

/**
 * The alarm function's dispatch: an alarm state change, at alarm priority; anything else is refused
 * (its rule passes nothing else). Its bundle carries neither request checks nor job tracking.
 */
export async function processAlarmIncoming(
  deps: Deps,
  arrival: Arrival,
  attempt: AttemptInfo,
  log: Logger,
): Promise<Outcome> {
  if (arrival.kind !== 'alarm') {
    throw new InvalidRequestError(
      `restoreOnAlarm restores on CloudWatch alarm state changes only, and this is a ${arrival.kind}: send a restore request to the request queue or as a "Restore Requested" event`,
    );
  }
  return withPriority('alarm', () => processAlarm(deps, arrival.event as AlarmEvent, arrival, attempt, log));
}
