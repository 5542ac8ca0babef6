/**
 * Whether an alarm state change asks for a restore: only a transition into ALARM does, and only
 * an alarm of this deployment's account or a listed source account may start one.
 */

import type { Scope } from '../arn.js';
import { type AlarmEvent, namedAlarmArn, partitionOf } from '../arrival/alarm.js';
import { InvalidRequestError } from '../errors.js';
import { checkAlarmAccount } from './policy.js';

/** A transition worth acting on, or why not. */
export type Transition =
  | { readonly act: true; readonly alarmName: string; readonly alarmArn: string; readonly changedAt: Date }
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
  const alarmArn =
    namedAlarmArn(event) ??
    `arn:${partitionOf(event)}:cloudwatch:${event.region}:${event.account}:alarm:${detail.alarmName}`;
  return { act: true, alarmName: detail.alarmName, alarmArn, changedAt };
}

/**
 * Why an alarm's own account may not start a restore here (undefined: it may): it must be this
 * deployment's account or a listed source account, as its event and its ARN say. Checked before its
 * target is looked up: a foreign alarm's tags may name a listed account's resource.
 */
export function alarmAccountProblem(event: AlarmEvent, scope: Scope): string | undefined {
  const verdict = checkAlarmAccount({ account: event.account, alarmArn: namedAlarmArn(event) }, scope);
  return verdict.kind === 'ok' ? undefined : verdict.problems.join('; ');
}

/**
 * Why an alarm state change that did not come through the EventBridge rule from aws.cloudwatch is
 * not believed (undefined: it is). Through the request queue an alarm is whatever JSON a sender wrote
 * (an on-failure record, a dead letter): anyone with sqs:SendMessage could forge one at alarm
 * priority. Only an alarm the job table gives back (a failed job's letter, checked against the
 * pipeline's own link) is believed there. docs/aws-behaviour.md#cw-alarm-forged-on-queue
 */
export function alarmPathProblem(
  trigger: { readonly type: string },
  vouchedByTable: boolean,
  transition: { readonly alarmName: string; readonly changedAt: Date },
): string | undefined {
  if (trigger.type === 'eventbridge' || vouchedByTable) return undefined;
  return `An alarm state change is believed only from the EventBridge rule of restoreOnAlarm (source aws.cloudwatch): through the request queue anyone who may send to it could forge one, so nothing was started. If alarm ${JSON.stringify(transition.alarmName)} did go into ALARM (aws cloudwatch describe-alarm-history --alarm-name <name> --history-item-type StateUpdate), send a request by resource for the resource it guards: {"ResourceArn": "<its resource ARN>", "RestoreTime": "${transition.changedAt.toISOString()}"}`;
}
