/**
 * The dependencies of the restore functions (restoreFromQueue, restoreFromEvent, restoreOnAlarm):
 * configuration from the environment and SDK clients, built once per container. Every client is
 * built by sdkClient (clients.ts), under the invocation's deadline.
 */

import { randomBytes } from 'node:crypto';
import { BackupClient } from '@aws-sdk/client-backup';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { loadConfig, logLevelOf } from '../checks/config.js';
import type { Env } from '../config.js';
import { createLogger, type LogSink } from '../logger.js';
import { createMetrics, pacingFields } from '../metrics.js';
import { paceStartRestoreJob } from '../pacing/middleware.js';
import { createPacer } from '../pacing/pacer.js';
import { dynamoBudgetStore } from '../pacing/store.js';
import type { Deps } from '../types.js';
import { lazily, lineSink, sdkClient } from './clients.js';

/** AWS Backup's default StartRestoreJob quota: calls a second per account and Region. */
export const START_RESTORE_JOB_QUOTA = 5;

let memo: Deps | undefined;
let alarmMemo: Deps | undefined;

/**
 * Builds the dependencies from an environment; throws ConfigError listing every problem. The SDK
 * clients take their endpoints, retries and credentials from the process environment.
 */
export function depsFromEnv(env: Env, sink?: LogSink): Deps {
  const config = loadConfig(env);
  // Every call but the dead letter stops short of the reserve; the dead letter may use it.
  const ddb = sdkClient(DynamoDBClient, config.region);
  const backup = sdkClient(BackupClient, config.region);
  const logger = createLogger({ level: logLevelOf(env), ...(sink === undefined ? {} : { sink }) });
  const sinkLine = lineSink(sink);
  // The budget's own client: one attempt a call, the pacer tries again at once (the SDK's backoff
  // would hold every caller of the instance behind one slow call). Built on the first start.
  const paceDdb = () => sdkClient(DynamoDBClient, config.region, 'work', { maxAttempts: 1 });
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
  return {
    config,
    backup,
    // Built on the first dead letter: most containers never send one. SQS is used for nothing else.
    sqs: lazily(async () => sdkClient(SQSClient, config.region, 'dead-letter')),
    ddb,
    // Paced per attempt inside the Backup client (above); pacing here again would halve the rate.
    logger,
    metrics: createMetrics(sinkLine),
    now: () => new Date(),
  };
}

/**
 * The dependencies from `process.env`, built on first use (once per container). The handler files
 * ask for them at cold start (src/runner/handler.ts atColdStart): nothing runs when this module loads.
 */
export function defaultDeps(): Deps {
  memo ??= withDrillBucketCheck(depsFromEnv(process.env));
  return memo;
}

/**
 * The alarm function's dependencies from `process.env`, built on first use: as defaultDeps, without
 * the check before a drill of a bucket. An alarm restores what its alarm guards and is never a drill
 * (src/drills/drill.ts), its rule passes nothing else, and its role may not look at buckets
 * (serverless.yml `headDrillBuckets`): a drill of a bucket that came to it is refused, and its
 * bundle, the one an incident's cold start loads, carries no S3 client (docs/performance.md).
 */
export function alarmDeps(): Deps {
  alarmMemo ??= depsFromEnv(process.env);
  return alarmMemo;
}

/**
 * The check before a drill of a bucket starts (src/resources/s3-bucket-check.ts drillBucketProblem), for the
 * functions that start drills: its S3 client and steps are loaded on the first drill of a bucket, and
 * the tracker's and reconciler's bundles, built on depsFromEnv, carry neither.
 */
export function withDrillBucketCheck(deps: Deps): Deps {
  const s3 = lazily(async () => sdkClient((await import('@aws-sdk/client-s3')).S3Client, deps.config.region));
  return {
    ...deps,
    drillBucketProblem: async (bucket, accountId) => {
      const { drillBucketProblem } = await import('../resources/s3-bucket-check.js');
      return drillBucketProblem(await s3(), bucket, accountId);
    },
  };
}
