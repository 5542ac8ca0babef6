/** The resource clients a drill needs, each built on first use (one run touches one or two services). */

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EFSClient } from '@aws-sdk/client-efs';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { type DrillHandOffDeps, handOffDrill } from './cleanup.js';
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
  };
}

/** The tracker's hand-off (TrackDeps.drillHandOff) over these clients. */
export function drillHandOffFor(deps: Omit<DrillHandOffDeps, 'clients'> & { region: string }) {
  const clients = drillClients(deps.region, deps.ddb);
  return (job: Parameters<typeof handOffDrill>[1]) =>
    handOffDrill({ ddb: deps.ddb, table: deps.table, clients, now: deps.now }, job);
}
