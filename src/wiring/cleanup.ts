/**
 * The dependencies of cleanupDrills. Its resource clients come from src/drills/clients.ts (built on
 * first use: one run touches one or two services); here every client, those included, is put
 * under the invocation's deadline (clients.ts).
 */

import { BackupClient } from '@aws-sdk/client-backup';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { loadDrillConfig, logLevelOf } from '../checks/config.js';
import type { Env } from '../config.js';
import type { CleanupDeps } from '../drills/cleanup.js';
import { drillClients } from '../drills/clients.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { lazily, lazyUnderDeadline, lineSink, sdkClient } from './clients.js';

/** Builds the dependencies from an environment; throws ConfigError listing every problem. */
export function cleanupDepsFromEnv(env: Env): CleanupDeps {
  const config = loadDrillConfig(env);
  const ddb = sdkClient(DynamoDBClient, config.region);
  const { ddb: _same, ...resources } = drillClients(config.region, ddb);
  return {
    config,
    ddb,
    backup: sdkClient(BackupClient, config.region),
    sqs: lazily(async () => sdkClient(SQSClient, config.region, 'dead-letter')),
    clients: { ddb, ...lazyUnderDeadline(resources) },
    logger: createLogger({ level: logLevelOf(env) }),
    metrics: createMetrics(lineSink()),
    now: () => new Date(),
  };
}
