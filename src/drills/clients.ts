/**
 * The resource clients a drill needs, each built on first use (one run touches one or two services).
 * Only the cleanup function imports this file: the tracker and the reconciler must not (their
 * bundles would carry the EC2, RDS, EFS, S3 and S3 Control clients; test/integration/drills/bundles.test.ts checks it).
 */

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EFSClient } from '@aws-sdk/client-efs';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ControlClient } from '@aws-sdk/client-s3-control';
import type { DrillClients } from './resources.js';

const REQUEST_HANDLER = { connectionTimeout: 3_000, requestTimeout: 10_000 } as const;

function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= make();
    return value;
  };
}

/** Lazily built clients for the Region; DynamoDB is the caller's own. */
export function drillClients(region: string, ddb: DynamoDBClient): DrillClients {
  const client = { region, requestHandler: REQUEST_HANDLER };
  return {
    ddb,
    rds: once(() => new RDSClient(client)),
    ec2: once(() => new EC2Client(client)),
    efs: once(() => new EFSClient(client)),
    s3: once(() => new S3Client(client)),
    s3control: once(() => new S3ControlClient(client)),
  };
}
