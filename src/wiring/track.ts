/**
 * The dependencies of the tracker and the reconciler: the restore functions' (restore.ts), and an
 * SNS alerter when ALERT_TOPIC_ARN is set. The SNS client is built on the first alert.
 */

import { SNSClient } from '@aws-sdk/client-sns';
import { snsAlerter } from '../alerts.js';
import type { Env } from '../config.js';
import type { LogSink } from '../logger.js';
import type { TrackDeps } from '../outcome/job-event.js';
import { lazily, sdkClient } from './clients.js';
import { depsFromEnv } from './restore.js';

let memo: TrackDeps | undefined;

/** Builds the tracker's dependencies from an environment; throws ConfigError listing every problem. */
export function trackDepsFromEnv(env: Env, sink?: LogSink): TrackDeps {
  const base: TrackDeps = depsFromEnv(env, sink);
  const topicArn = env.ALERT_TOPIC_ARN?.trim() ?? '';
  if (topicArn === '') return base;
  // The alert goes out with the dead letter, so it may use the dead letter's reserve.
  const sns = lazily(async () => sdkClient(SNSClient, base.config.region, 'dead-letter'));
  return { ...base, alerts: snsAlerter(sns, topicArn) };
}

/** The tracker's dependencies from `process.env`, built once per container (the reconciler shares them). */
export function trackDeps(): TrackDeps {
  memo ??= trackDepsFromEnv(process.env);
  return memo;
}
