/**
 * The default dependencies of the deployed handlers: configuration from the environment and SDK
 * clients, built once per container. Endpoints come from the SDK's standard settings
 * (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_BACKUP, AWS_ENDPOINT_URL_SQS), so the same code reaches AWS
 * or the local endpoint.
 */

import { BackupClient } from '@aws-sdk/client-backup';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ConfigError, loadConfig } from './config.js';
import { createLogger, errorFields, type LogLevel, type LogSink } from './logger.js';
import { createMetrics, metricFields } from './metrics.js';
import {
  ARRIVAL_MARGIN,
  createRateLimiter,
  createSharedPacer,
  FALLBACK_HOLD_MS,
  paceStartRestoreJob,
  startRestoreShare,
} from './rate-limit.js';
import { REQUEST_HANDLER_OPTIONS, underDeadline } from './runner/deadline.js';
import type { Deps } from './types.js';

/**
 * Options of every SDK client: connection and request timeouts that throw (see deadline.ts).
 * Build clients with these, then put them underDeadline.
 */
export function clientOptions(region: string) {
  return { region, requestHandler: REQUEST_HANDLER_OPTIONS };
}

let memo: Deps | undefined;

/** `make`, run once on first use (again after a failure). */
export function lazily<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= make().catch((error: unknown) => {
      value = undefined;
      throw error;
    });
    return value;
  };
}

/**
 * Builds the dependencies from an environment; throws ConfigError listing every problem. The SDK
 * clients take their endpoints, retries and credentials from the process environment.
 */
export function depsFromEnv(env: Readonly<Record<string, string | undefined>>, sink?: LogSink): Deps {
  const config = loadConfig(env);
  const share = startRestoreShare(env, config.startRestoreRatePerSecond);
  if (share.problems.length > 0) throw new ConfigError(share.problems);
  const level = (env.LOG_LEVEL?.toLowerCase() ?? 'info') as LogLevel;
  // Every call but the dead letter stops short of the reserve; the dead letter may use it.
  const ddb = underDeadline(new DynamoDBClient(clientOptions(config.region)), 'work');
  const backup = underDeadline(new BackupClient(clientOptions(config.region)), 'work');
  const logger = createLogger({
    level: ['debug', 'info', 'warn', 'error'].includes(level) ? level : 'info',
    ...(sink === undefined ? {} : { sink }),
  });
  // Every attempt, the SDK's retries included, claims a slot of the account budget in the job
  // table; without DynamoDB, a slot of this instance's static share.
  paceStartRestoreJob(
    backup,
    createSharedPacer(ddb, {
      table: config.restoreJobsTable,
      perSecond: share.budget,
      fallback: createRateLimiter(share.perSecond, Date.now, ARRIVAL_MARGIN),
      onFallback: (error) =>
        logger.metric(
          `StartRestoreJob pacing fell back to this instance's share (${share.perSecond} a second) for ${FALLBACK_HOLD_MS / 1000} s: the job table could not be reached`,
          errorFields(error),
          metricFields('StartPacingFallbacks', 'Count', 1, 'All'),
        ),
    }),
  );
  const now = () => new Date();
  return {
    config,
    backup,
    // Built on the first dead letter: most containers never send one. SQS is used for nothing else.
    sqs: lazily(async () => underDeadline(new SQSClient(clientOptions(config.region)), 'dead-letter')),
    ddb,
    // Paced per attempt inside the Backup client (above); pacing here again would halve the rate.
    logger,
    metrics: createMetrics(sink ?? ((line) => process.stdout.write(`${line}\n`))),
    now,
  };
}

/**
 * The dependencies from `process.env`, built on first use (once per container). The handler files
 * ask for them at cold start (src/runner/handler.ts atColdStart): nothing runs when this module loads.
 */
export function defaultDeps(): Deps {
  memo ??= depsFromEnv(process.env);
  return memo;
}
