/**
 * A CloudWatch alarm state change as it arrives: the fields read of it. Whether it asks for a
 * restore is src/checks/alarm.ts, which resource it guards src/checks/alarm-target.ts.
 */

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
