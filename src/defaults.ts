/**
 * The default dependencies of the deployed handlers: configuration from the environment and SDK
 * clients, built once per container. Endpoints come from the SDK's standard settings
 * (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_BACKUP, AWS_ENDPOINT_URL_SQS), so the same code reaches AWS
 * or the local endpoint.
 */

import { BackupClient } from '@aws-sdk/client-backup';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { loadConfig } from './config.js';
import { createLinkWriter } from './job-link.js';
import { createLogger, type LogLevel, type LogSink } from './logger.js';
import { createMetrics } from './metrics.js';
import { createRateLimiter, UNLIMITED } from './rate-limit.js';
import type { Deps } from './types.js';

/** Socket timeouts, so a hung connection fails over to the SDK's retries instead of the Lambda timeout. */
const REQUEST_HANDLER = { connectionTimeout: 3_000, requestTimeout: 10_000 } as const;

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
  const ddb = new DynamoDBClient({ region: config.region, requestHandler: REQUEST_HANDLER });
  const now = () => new Date();
  return {
    config,
    backup: new BackupClient({ region: config.region, requestHandler: REQUEST_HANDLER }),
    // Built on the first dead letter: most containers never send one.
    sqs: lazily(async () => new SQSClient({ region: config.region, requestHandler: REQUEST_HANDLER })),
    ddb,
    links: createLinkWriter(ddb, config.restoreJobsTable, now),
    startPacing:
      config.startRestoreRatePerSecond === undefined
        ? UNLIMITED
        : createRateLimiter(config.startRestoreRatePerSecond),
    logger: createLogger({
      level: ['debug', 'info', 'warn', 'error'].includes(level) ? level : 'info',
      ...(sink === undefined ? {} : { sink }),
    }),
    metrics: createMetrics(sink ?? ((line) => process.stdout.write(`${line}\n`))),
    now,
  };
}

/** Builds (once per container) the dependencies from `process.env`. */
export function defaultDeps(): Deps {
  memo ??= depsFromEnv(process.env);
  return memo;
}

/** Forgets the memoised dependencies (local runs that change the environment between runs). */
export function resetDefaultDeps(): void {
  memo = undefined;
}

// In Lambda a bad configuration stops the function at cold start, before it takes any message.
if (process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined) defaultDeps();
