/**
 * The job table as serverless.yml declares it (the `RestoreJobsTable` resource), turned into the
 * CreateTable and UpdateTimeToLive calls that make the same table locally: key schema, attribute
 * definitions, indexes, billing mode and the TTL attribute come from the template, never a copy.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CreateTableCommandInput, TimeToLiveSpecification } from '@aws-sdk/client-dynamodb';
import { parseDocument } from 'yaml';

/** What makes the declared table: CreateTable's input (without a name) and the TTL to set after. */
export interface TableDeclaration {
  create: Omit<CreateTableCommandInput, 'TableName'>;
  ttl?: TimeToLiveSpecification;
}

/** CloudFormation properties CreateTable takes as they are. */
const AS_IS = [
  'AttributeDefinitions',
  'KeySchema',
  'BillingMode',
  'GlobalSecondaryIndexes',
  'LocalSecondaryIndexes',
  'ProvisionedThroughput',
  'TableClass',
  'DeletionProtectionEnabled',
] as const;

/**
 * Properties with no local effect: a name chosen by the stack (the local name is given), and point
 * in time recovery, which is not a CreateTable setting (UpdateContinuousBackups; nothing local reads it).
 */
const NOT_LOCAL = new Set(['TableName', 'PointInTimeRecoverySpecification']);

/** The resource `logicalId` of a serverless.yml text as CreateTable (and UpdateTimeToLive) input. */
export function tableDeclaration(template: string, logicalId = 'RestoreJobsTable'): TableDeclaration {
  // CloudFormation's short tags (!Ref, !GetAtt ...) elsewhere in the file are not the table's business.
  const doc = parseDocument(template, { logLevel: 'silent' });
  if (doc.errors.length > 0) throw new Error(`serverless.yml does not parse: ${doc.errors[0]?.message}`);
  const resource = doc.getIn(['resources', 'Resources', logicalId], false) as
    | { toJSON(): { Type?: string; Properties?: Record<string, unknown> } }
    | undefined;
  const declared = resource?.toJSON();
  if (declared?.Type !== 'AWS::DynamoDB::Table' || declared.Properties === undefined) {
    throw new Error(`serverless.yml declares no AWS::DynamoDB::Table ${logicalId} with Properties`);
  }
  const properties = declared.Properties;
  const create: Record<string, unknown> = {};
  const unknown: string[] = [];
  let ttl: TimeToLiveSpecification | undefined;
  for (const [name, value] of Object.entries(properties)) {
    if ((AS_IS as readonly string[]).includes(name)) create[name] = value;
    else if (name === 'TimeToLiveSpecification') ttl = value as TimeToLiveSpecification;
    else if (name === 'SSESpecification') {
      const sse = value as { SSEEnabled?: boolean; SSEType?: string; KMSMasterKeyId?: string };
      create.SSESpecification = {
        Enabled: sse.SSEEnabled,
        ...(sse.SSEType === undefined ? {} : { SSEType: sse.SSEType }),
        ...(sse.KMSMasterKeyId === undefined ? {} : { KMSMasterKeyId: sse.KMSMasterKeyId }),
      };
    } else if (!NOT_LOCAL.has(name)) unknown.push(name);
  }
  if (unknown.length > 0) {
    throw new Error(
      `serverless.yml's ${logicalId} has ${unknown.join(', ')}, which local/job-table.ts does not make locally yet`,
    );
  }
  return { create: create as TableDeclaration['create'], ...(ttl === undefined ? {} : { ttl }) };
}

let cached: TableDeclaration | undefined;

/** The job table of this repository's serverless.yml, read once. */
export function restoreJobsTable(): TableDeclaration {
  cached ??= tableDeclaration(readFileSync(join(__dirname, '..', 'serverless.yml'), 'utf8'));
  return cached;
}
