/** A sample CloudWatch alarm on one EBS volume going into ALARM, as EventBridge delivers it (campaigns and benches). */

import type { EventBridgeEvent } from 'aws-lambda';

/** What differs between the alarms a campaign sends. */
export interface EbsAlarm {
  readonly id: string;
  readonly name: string;
  readonly volumeId: string;
  /** The event's time. */
  readonly time: string;
  /** When the alarm went into ALARM (its idempotency comes from this and the alarm ARN). */
  readonly stateAt: string;
  /** When it last went into OK. */
  readonly previousAt: string;
  readonly account?: string;
  readonly region?: string;
}

/** The "CloudWatch Alarm State Change" event of an opted-in alarm on `volumeId`. */
export function ebsVolumeAlarm(a: EbsAlarm): EventBridgeEvent<string, unknown> {
  const account = a.account ?? '123456789012';
  const region = a.region ?? 'eu-west-1';
  return {
    version: '0',
    id: a.id,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account,
    time: a.time,
    region,
    resources: [`arn:aws:cloudwatch:${region}:${account}:alarm:${a.name}`],
    detail: {
      alarmName: a.name,
      state: { value: 'ALARM', reason: 'Threshold Crossed', timestamp: a.stateAt },
      previousState: { value: 'OK', reason: 'Threshold not crossed', timestamp: a.previousAt },
      configuration: {
        metrics: [
          {
            id: 'm1',
            metricStat: {
              metric: {
                namespace: 'AWS/EBS',
                name: 'VolumeStalledIOCheck',
                dimensions: { VolumeId: a.volumeId },
              },
              period: 60,
              stat: 'Maximum',
            },
            returnData: true,
          },
        ],
      },
    },
  };
}
