/**
 * CloudWatch alarm state changes (EventBridge rule on opted-in alarms, asynchronous invocation):
 * restores the resource an alarm guards when the alarm goes into ALARM.
 *
 * - Acts only on a transition into ALARM; OK, INSUFFICIENT_DATA and ALARM-to-ALARM repeats are
 *   logged and ignored.
 * - The resource comes from ALARM_TARGETS, else the alarm's tags, else its metric dimensions; the
 *   recovery point is the latest COMPLETED one created before the state change (or per target:
 *   latest, look-back:Nh); its stored metadata is cleaned and given a new identity.
 * - Only an alarm raised in this deployment's account or a listed source account acts; any other
 *   event (a restore request, a job event), which its rule never passes, is dead-lettered with
 *   where to send it, and its bundle carries no request checks, job tracking or S3 client.
 * - While another recovery of the same resource is PENDING or RUNNING, or being started, the alarm
 *   starts nothing: it is logged, counted and dead-lettered with the reason (redriven once that
 *   restore has ended, the letter restores). A drill of the resource never holds a recovery back:
 *   the recovery starts and the drill is recorded as superseded on its link.
 * - One restore of a resource at a time is proven by its claim in the job table; a claim that
 *   cannot be proven (the table down, or an answer lost and the table unreadable) starts nothing
 *   and throws (retryable).
 * - The idempotency token comes from the alarm ARN and the state-change time, so Lambda's retries
 *   and duplicate deliveries start one job.
 * - Failures: permanent (no mapping for a composite alarm, no recovery point, refused target) are
 *   dead-lettered with what to fix and the invocation succeeds; retryable ones throw, Lambda
 *   retries twice, then the on-failure destination (the dead-letter queue) takes the event.
 */

import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import type { AlarmDetail } from '../src/arrival/alarm.js';
import type { ALARM_STATE_CHANGE } from '../src/arrival/decode.js';
import { atColdStart, type DepsSource, inInvocation } from '../src/runner/handler.js';
import { runAlarmEvent } from '../src/runner/run-item.js';
import type { Deps, Outcome } from '../src/types.js';
import { alarmDeps } from '../src/wiring/restore.js';

/** The event this function receives. */
export type AlarmStateChange = EventBridgeEvent<typeof ALARM_STATE_CHANGE, AlarmDetail>;

/** The Middy-wrapped handler for `deps` (a value, or a function that builds it on first use). */
export function createHandler(deps: DepsSource<Deps>) {
  return middy<AlarmStateChange, Outcome | undefined>().handler(inInvocation(deps, runAlarmEvent));
}

/** The deployed handler. */
export const handler = createHandler(atColdStart(alarmDeps));
