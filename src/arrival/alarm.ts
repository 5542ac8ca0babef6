/**
 * A CloudWatch alarm state change as it arrives: its fields, its alarm ARN and its partition.
 * Decoding only; whether it asks for a restore is src/checks/alarm.ts, which resource it guards
 * src/plan/alarm-target.ts.
 */

import { parseArn, partitionOfRegion } from '../arn.js';

/** The fields of an alarm state change used here. */
export interface AlarmDetail {
  alarmName?: string;
  state?: { value?: string; reason?: string; reasonData?: string; timestamp?: string };
  previousState?: { value?: string; timestamp?: string };
  configuration?: {
    alarmRule?: string;
    metrics?: {
      id?: string;
      expression?: string;
      metricStat?: {
        metric?: { namespace?: string; name?: string; dimensions?: Record<string, string> };
        period?: number;
        stat?: string;
      };
    }[];
  };
  alarmTags?: Record<string, string>;
}

/** The alarm state change event (fields used here). */
export interface AlarmEvent {
  id?: string;
  account?: string;
  region?: string;
  time?: string;
  resources?: string[];
  detail?: AlarmDetail;
}

/** The alarm ARN the event names in `resources`, when it names one. */
export function namedAlarmArn(event: AlarmEvent): string | undefined {
  const named = Array.isArray(event.resources) ? event.resources[0] : undefined;
  return typeof named === 'string' ? named : undefined;
}

/** The partition of an alarm event: from its alarm ARN, else from its Region. docs/aws-behaviour.md#partitions */
export function partitionOf(event: AlarmEvent): string {
  const named = namedAlarmArn(event);
  const arn = named === undefined ? undefined : parseArn(named);
  return arn?.partition ?? partitionOfRegion(event.region ?? '');
}

/** An own property only: alarm names such as `constructor` or `__proto__` never read a prototype. */
export function own<T>(map: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}
