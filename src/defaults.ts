/**
 * The default dependencies of the deployed handlers: configuration from the environment and SDK
 * clients, built once per container. Endpoints come from the SDK's standard settings
 * (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_BACKUP, AWS_ENDPOINT_URL_SQS), so the same code reaches AWS
 * or the local endpoint.
 */

import { randomBytes } from 'node:crypto';
import { BackupClient } from '@aws-sdk/client-backup';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { loadConfig } from './config.js';
import { createLogger, type LogLevel, type LogSink } from './logger.js';
import { createMetrics, pacingFields } from './metrics.js';
import { paceStartRestoreJob } from './pacing/middleware.js';
import { createPacer } from './pacing/pacer.js';
import { dynamoBudgetStore } from './pacing/store.js';
import { REQUEST_HANDLER_OPTIONS, underDeadline } from './runner/deadline.js';
import type { Deps } from './types.js';

/** AWS Backup's default StartRestoreJob quota: calls a second per account and Region. */
export const START_RESTORE_JOB_QUOTA = 5;

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
  const level = (env.LOG_LEVEL?.toLowerCase() ?? 'info') as LogLevel;
  // Every call but the dead letter stops short of the reserve; the dead letter may use it.
  const ddb = underDeadline(new DynamoDBClient(clientOptions(config.region)), 'work');
  const backup = underDeadline(new BackupClient(clientOptions(config.region)), 'work');
  const logger = createLogger({
    level: ['debug', 'info', 'warn', 'error'].includes(level) ? level : 'info',
    ...(sink === undefined ? {} : { sink }),
  });
  const sinkLine = sink ?? ((line: string) => process.stdout.write(`${line}\n`));
  // The budget's own client: one attempt a call, the pacer tries again at once (the SDK's backoff
  // would hold every caller of the instance behind one slow call). Built on the first start.
  const paceDdb = () =>
    underDeadline(new DynamoDBClient({ ...clientOptions(config.region), maxAttempts: 1 }), 'work');
  // Every attempt, the SDK's retries included, takes a call of the account budget in the job
  // table; without the table it takes none (its request is given back, never guessed).
  paceStartRestoreJob(
    backup,
    createPacer(dynamoBudgetStore(paceDdb, config.restoreJobsTable), {
      quota: config.startRestoreRatePerSecond ?? START_RESTORE_JOB_QUOTA,
      marginMs: config.startRestoreMarginMs,
      id: randomBytes(4).toString('hex'),
      onGrant: (report) => sinkLine(JSON.stringify(pacingFields(report))),
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
    metrics: createMetrics(sinkLine),
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
