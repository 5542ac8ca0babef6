/**
 * Whether an alarm state change asks for a restore, and of what: only an opted-in alarm of this
 * deployment's account or a listed source account, through the path it may come by, going into
 * ALARM, restores; the resource it guards must be one this deployment may restore.
 */

import {
  isAllowedAccount,
  parseArn,
  partitionOfRegion,
  type Scope,
  vaultOwnerOf,
  withSourceAccount,
} from '../arn.js';
import type { AlarmEvent } from '../arrival/alarm.js';
import type { AlarmTarget, Config } from '../config.js';
import { ForbiddenRequestError, InvalidRequestError } from '../errors.js';
import { alarmTarget, type TargetSource } from './alarm-target.js';
import { accountRefusal, checkTargetPolicy } from './policy.js';
import { combine, refusalError } from './result.js';

/** An alarm that restores, with the resource it guards; or why it does nothing. */
export type CheckedAlarm =
  | {
      readonly act: true;
      readonly transition: Extract<Transition, { act: true }>;
      readonly target: AlarmTarget;
      readonly source: TargetSource;
    }
  | { readonly act: false; readonly reason: string };

/**
 * Checks an alarm state change, in order: opted in, its account, a transition into ALARM, the path
 * it came by, then the resource it guards and that resource's policy (the same checks, and
 * messages, as ALARM_TARGETS at cold start). Throws ForbiddenRequestError or InvalidRequestError;
 * a refused target carries the account its recovery point would come from, for its dead letter.
 */
export function checkAlarm(
  event: AlarmEvent,
  config: Config,
  trigger: { readonly type: string },
  vouchedByTable: boolean,
): CheckedAlarm {
  const refused = alarmOptInProblem(event, config.alarmNamePrefix) ?? alarmAccountProblem(event, config);
  if (refused !== undefined) throw new ForbiddenRequestError(refused);
  const transition = alarmTransition(event);
  if (!transition.act) return transition;
  const forged = alarmPathProblem(trigger, vouchedByTable, transition);
  if (forged !== undefined) throw new ForbiddenRequestError(forged);
  const { target, source } = alarmTarget(event, transition, config.alarmTargets);
  const owner = vaultOwnerOf(target, config);
  const policy = combine(
    ...Object.values(checkTargetPolicy({ ...target, backupVaultAccountId: owner }, config)),
  );
  if (policy.kind !== 'ok') throw withSourceAccount(refusalError(policy), owner);
  return { act: true, transition, target, source };
}

/**
 * The rule the deployed EventBridge rule applies (serverless.yml, restoreOnAlarm), checked again in
 * code: an alarm event can also arrive through the request queue, where no rule filtered it.
 */
function alarmOptInProblem(event: AlarmEvent, prefix: string): string | undefined {
  const envelope = event as AlarmEvent & { source?: unknown };
  // EventBridge always sets the source: an event without one was written by hand. Only an event from
  // aws.cloudwatch is read as an alarm everywhere else (never a drill: src/drills/drill.ts).
  if (envelope.source !== 'aws.cloudwatch')
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

/** The alarm ARN the event names in `resources`, when it names one. */
function namedAlarmArn(event: AlarmEvent): string | undefined {
  const named = Array.isArray(event.resources) ? event.resources[0] : undefined;
  return typeof named === 'string' ? named : undefined;
}

/** The partition of an alarm event: from its alarm ARN, else from its Region. docs/aws-behaviour.md#partitions */
export function partitionOf(event: AlarmEvent): string {
  const named = namedAlarmArn(event);
  const arn = named === undefined ? undefined : parseArn(named);
  return arn?.partition ?? partitionOfRegion(event.region ?? '');
}

/** A transition worth acting on, or why not. */
export type Transition =
  | {
      readonly act: true;
      readonly alarmName: string;
      readonly alarmArn: string;
      readonly partition: string;
      readonly changedAt: Date;
    }
  | { readonly act: false; readonly reason: string };

/** Only a transition into ALARM acts; OK, INSUFFICIENT_DATA and ALARM-to-ALARM repeats do nothing. */
export function alarmTransition(event: AlarmEvent): Transition {
  const detail = event.detail;
  if (typeof detail !== 'object' || detail === null || typeof detail.alarmName !== 'string') {
    throw new InvalidRequestError(
      'The alarm event has no detail.alarmName: it is not a CloudWatch Alarm State Change',
    );
  }
  const state = detail.state?.value;
  if (state !== 'ALARM') return { act: false, reason: `state is ${String(state)}` };
  if (detail.previousState?.value === 'ALARM')
    return { act: false, reason: 'the alarm was already in ALARM' };
  const changedAt = new Date(detail.state?.timestamp ?? event.time ?? '');
  if (Number.isNaN(changedAt.getTime())) {
    throw new InvalidRequestError(`Alarm ${detail.alarmName} has no readable state timestamp`);
  }
  const partition = partitionOf(event);
  const alarmArn =
    namedAlarmArn(event) ??
    `arn:${partition}:cloudwatch:${event.region}:${event.account}:alarm:${detail.alarmName}`;
  return { act: true, alarmName: detail.alarmName, alarmArn, partition, changedAt };
}

/**
 * Why an alarm's own account may not start a restore here (undefined: it may): the event's
 * `account`, and the account of the alarm's ARN when the event names one, must each be this
 * deployment's account or a listed source account. An alarm of any other account never restores,
 * whatever resource its tags or dimensions name: checked before its target is looked up, as a
 * foreign alarm's tags may name a listed account's resource.
 */
function alarmAccountProblem(event: AlarmEvent, scope: Scope): string | undefined {
  const account: unknown = event.account;
  if (typeof account !== 'string' || !/^\d{12}$/.test(account)) {
    return 'The alarm event names no account (its "account" field): it is not acted on';
  }
  const named = namedAlarmArn(event);
  const accounts = named === undefined ? [account] : [account, parseArn(named)?.accountId ?? ''];
  const foreign = accounts.find((a) => !isAllowedAccount(a, scope));
  return foreign === undefined ? undefined : accountRefusal('The alarm', foreign, scope);
}

/**
 * Why an alarm state change that did not come through the EventBridge rule from aws.cloudwatch is
 * not believed (undefined: it is). Through the request queue an alarm is whatever JSON a sender wrote
 * (an on-failure record, a dead letter): anyone with sqs:SendMessage could forge one at alarm
 * priority. Only an alarm the job table gives back (a failed job's letter, checked against the
 * pipeline's own link) is believed there. docs/aws-behaviour.md#cw-alarm-forged-on-queue
 */
function alarmPathProblem(
  trigger: { readonly type: string },
  vouchedByTable: boolean,
  transition: { readonly alarmName: string; readonly changedAt: Date },
): string | undefined {
  if (trigger.type === 'eventbridge' || vouchedByTable) return undefined;
  return `An alarm state change is believed only from the EventBridge rule of restoreOnAlarm (source aws.cloudwatch): through the request queue anyone who may send to it could forge one, so nothing was started. If alarm ${JSON.stringify(transition.alarmName)} did go into ALARM (aws cloudwatch describe-alarm-history --alarm-name <name> --history-item-type StateUpdate), send a request by resource for the resource it guards: {"ResourceArn": "<its resource ARN>", "RestoreTime": "${transition.changedAt.toISOString()}"}`;
}
