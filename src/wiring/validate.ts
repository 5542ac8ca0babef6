/**
 * The dependencies of validateRestore. Only this function bundles the RDS, EC2, EFS, S3 and Lambda
 * clients, each built on first use; every client is under the invocation's deadline (clients.ts).
 */

import { BackupClient } from '@aws-sdk/client-backup';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EFSClient } from '@aws-sdk/client-efs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { loadValidationConfig, logLevelOf } from '../checks/config.js';
import type { Env } from '../config.js';
import { createLogger } from '../logger.js';
import { once } from '../runner/handler.js';
import type { ValidateDeps } from '../validation/validate.js';
import { lineSink, sdkClient } from './clients.js';

/** Builds the dependencies from an environment; throws ConfigError listing every problem. */
export function validateDepsFromEnv(env: Env): ValidateDeps {
  const config = loadValidationConfig(env);
  const region = config.region;
  const backup = sdkClient(BackupClient, region);
  const ddb = sdkClient(DynamoDBClient, region);
  return {
    config,
    backup,
    ddb,
    sqs: once(() => Promise.resolve(sdkClient(SQSClient, region, 'dead-letter'))),
    lambda: once(() => sdkClient(LambdaClient, region)),
    resources: {
      backup,
      ddb,
      rds: once(() => sdkClient(RDSClient, region)),
      ec2: once(() => sdkClient(EC2Client, region)),
      efs: once(() => sdkClient(EFSClient, region)),
      s3: once(() => sdkClient(S3Client, region)),
    },
    logger: createLogger({ level: logLevelOf(env) }),
    metricsSink: lineSink(),
    now: () => new Date(),
  };
}
