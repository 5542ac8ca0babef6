/** Failure alerts on SNS. Only the tracker imports this, so only its bundle carries the SNS client. */

import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';

/** Publishes one short alert. */
export type Alerter = (subject: string, message: string) => Promise<void>;

/** An Alerter publishing to `topicArn`; the client is built on the first alert. */
export function snsAlerter(sns: () => Promise<SNSClient>, topicArn: string): Alerter {
  return async (subject, message) => {
    await (await sns()).send(
      new PublishCommand({ TopicArn: topicArn, Subject: subject.slice(0, 99), Message: message }),
    );
  };
}
