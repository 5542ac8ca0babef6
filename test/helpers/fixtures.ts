/** Test helpers: the events/ samples (cloned per use), a configuration, and captured logs. */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackupClient } from '@aws-sdk/client-backup';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { loadConfig } from '../../src/checks/config';
import type { Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import type { Deps } from '../../src/types';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const ROLE = `arn:aws:iam::${ACCOUNT}:role/service-role/AWSBackupDefaultServiceRole`;
export const OTHER_ROLE = `arn:aws:iam::${ACCOUNT}:role/RestoreOperator`;
export const DLQ_URL = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/restore-dlq`;

/** A fresh copy of a JSON file in events/. */
export function loadEvent<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', 'events', name), 'utf8')) as T;
}

/** A checked configuration with test values; `env` overrides them. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    DEAD_LETTER_QUEUE_URL: DLQ_URL,
    RESTORE_ROLE_ARN: ROLE,
    ALLOWED_RESTORE_ROLE_ARNS: `${ROLE},${OTHER_ROLE}`,
    AWS_REGION: REGION,
    MAX_RECEIVE_COUNT: '5',
    RESTORE_CONCURRENCY: '4',
    RESTORE_JOBS_TABLE: 'restore-jobs',
    ...env,
  });
}

/** Dependencies for a handler under test, with logs captured into `lines`. */
export function testDeps(overrides: Partial<Deps> = {}): Deps & { lines: string[]; metricLines: string[] } {
  const lines: string[] = [];
  const metricLines: string[] = [];
  return {
    config: testConfig(),
    backup: new BackupClient({
      region: REGION,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    }),
    sqs: async () =>
      new SQSClient({ region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
    ddb: new DynamoDBClient({
      region: REGION,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    }),
    logger: createLogger({ sink: (line) => lines.push(line), level: 'debug' }),
    metrics: createMetrics((line) => metricLines.push(line)),
    now: () => new Date('2026-11-26T12:00:00.000Z'),
    ...overrides,
    lines,
    metricLines,
  };
}

/** An SQS record with `body`, shaped as the SQS event source delivers it. */
export function sqsRecord(body: string, messageId: string, receiveCount = 1): SQSRecord {
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '1764151200000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1764151200100',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:requests`,
    awsRegion: REGION,
  };
}

/** An SQS event of the given bodies. */
export function sqsEvent(...bodies: (string | object)[]): SQSEvent {
  return {
    Records: bodies.map((b, i) => sqsRecord(typeof b === 'string' ? b : JSON.stringify(b), `msg-${i + 1}`)),
  };
}

/** A Lambda context for handler calls. */
export const context = {
  awsRequestId: 'req-1',
  functionName: 'test',
  getRemainingTimeInMillis: () => 30_000,
} as never;
