/** Types shared by the handlers and the flow they run. */

import type { BackupClient } from '@aws-sdk/client-backup';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/** The request exactly as it reached the pipeline. */
export type OriginalRequest =
  | { readonly trigger: 'sqs'; readonly body: string }
  | { readonly trigger: 'sqs'; readonly bodyGzipBase64: string }
  | { readonly trigger: 'eventbridge'; readonly event: unknown };

/** What a dead letter says about the trigger that delivered the request. */
export interface TriggerInfo {
  readonly type: 'sqs' | 'eventbridge' | 'restore-job-event' | 'restore-validation';
  /** SQS message id or EventBridge event id. */
  readonly id: string;
  /** 1 for the first delivery. */
  readonly attempt: number;
  /** When the need arose, if the trigger says (an SQS message's SentTimestamp); kept on the job link. */
  readonly neededAt?: string;
}

/** A secret and what it is, e.g. `["eu-west-9z", "Metadata.availabilityZone"]`. */
export type NamedSecret = readonly [value: string, name: string];

/** A client built on first use: the dead-letter path is rare, and loading SQS costs cold start. */
export type Lazy<T> = () => Promise<T>;

/** What every handler needs; built once at module scope, replaced in tests. */
export interface Deps {
  readonly config: Config;
  readonly backup: BackupClient;
  /** SQS, for dead letters only; loaded on first use. */
  readonly sqs: Lazy<SQSClient>;
  /** Why a drill may not restore into this new bucket (src/resources/s3-bucket-check.ts drillBucketProblem, wired with its client). */
  readonly drillBucketProblem?: (bucket: string, accountId: string) => Promise<string | undefined>;
  readonly ddb: DynamoDBClient;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now: () => Date;
}

/**
 * A request as it arrived, with what a redrive carried along: the part of an Arrival
 * (src/arrival/decode.ts) that starting a restore and its outcome read.
 */
export interface Incoming {
  readonly original: OriginalRequest;
  readonly redriveCount: number;
  /**
   * Set once the job table confirmed that the previous attempt's restore job failed: a fresh
   * idempotency token is needed.
   */
  readonly failedRestoreJobId?: string;
}

/** Where a request stands in its trigger's retries. */
export interface AttemptInfo {
  readonly trigger: TriggerInfo;
  /** True when the trigger will not deliver the request again. */
  readonly lastAttempt: boolean;
}

/** The outcome of a request that did not fail. */
export type Outcome =
  | {
      readonly status: 'started';
      readonly restoreJobId: string;
      /** The account the recovery point came from (the owner of its vault). */
      readonly sourceAccountId?: string;
    }
  /** A recovery held back: another recovery of the resource is PENDING or RUNNING (it is dead-lettered, with the reason). */
  | { readonly status: 'skipped'; readonly reason: string; readonly activeRestoreJobId: string }
  /** An alarm transition that does not ask for a restore (OK, INSUFFICIENT_DATA, ALARM repeats). */
  | { readonly status: 'ignored'; readonly reason: string };
