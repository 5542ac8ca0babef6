/**
 * Configuration: what each function runs with, read once at cold start from the environment,
 * checked and frozen. The types and the error live here, below every folder; the one loader, which
 * holds each setting to the same rules as a request, is src/checks/config.ts.
 */

/** The environment a configuration is read from. */
export type Env = Readonly<Record<string, string | undefined>>;

/** How to choose the recovery point. */
export type PointSelection =
  /**
   * The default: the state change minus `marginSeconds` is the moment to restore to (a continuous
   * point covering it, restored to it; else the latest snapshot created at or before it).
   */
  | { readonly mode: 'before-alarm'; readonly marginSeconds?: number }
  /** The latest snapshot, whenever it was created (never a point-in-time restore: no moment). */
  | { readonly mode: 'latest' }
  /** As before-alarm, and a snapshot at most `hours` before the state change. */
  | { readonly mode: 'look-back'; readonly hours: number; readonly marginSeconds?: number };

/** A restore target from configuration or tags. */
export interface AlarmTarget {
  readonly resourceArn: string;
  readonly backupVaultName?: string;
  /**
   * The account that owns `backupVaultName`, a vault it shares with this account;
   * absent: the resource's account when that is a source account, else this account.
   */
  readonly backupVaultAccountId?: string;
  /** Metadata overrides applied on top of the stored restore metadata. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly iamRoleArn?: string;
  readonly recoveryPoint?: PointSelection;
  /** Seconds before the state change to restore to; overrides the margin derived from the alarm. */
  readonly pointInTimeMarginSeconds?: number;
}

/** Alarm name or ARN to target (the ALARM_TARGETS configuration). */
export type AlarmTargets = Readonly<Record<string, AlarmTarget>>;

/** The checked configuration every handler runs with. */
export interface Config {
  /** Where failed requests go, with the reason. */
  readonly deadLetterQueueUrl: string;
  /** The role AWS Backup restores with when a request names none. */
  readonly restoreRoleArn: string;
  /** The only roles a request may name (exact ARNs). */
  readonly allowedRoleArns: readonly string[];
  /** Receive count at which a retryable failure is dead-lettered (the queue's maxReceiveCount). */
  readonly maxReceiveCount: number;
  /** How many records of one SQS batch are worked on at once. */
  readonly restoreConcurrency: number;
  /** The partition, Region and account recovery points must belong to. */
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  /**
   * Other accounts whose shared vaults this deployment restores from (ALLOWED_SOURCE_ACCOUNT_IDS);
   * empty: its own account only. docs/aws-behaviour.md#x-shared-vault-restore
   */
  readonly sourceAccountIds: readonly string[];
  /** When set, only recovery points in these vaults may be restored. */
  readonly allowedVaultNames: readonly string[] | undefined;
  /** The DynamoDB table linking restore jobs to their requests. */
  readonly restoreJobsTable: string;
  /** Explicit alarm-to-resource mapping (ALARM_TARGETS). */
  readonly alarmTargets: AlarmTargets;
  /**
   * Alarms opt in by a name starting with this prefix or the tag backup-restore:enabled=true; the
   * EventBridge rule filters on the same, and the code checks again for alarms that arrive another way.
   */
  readonly alarmNamePrefix: string;
  /** When set, every completed restore is handed to validateRestore through this queue. */
  readonly validationQueueUrl: string | undefined;
  /** StartRestoreJob calls a second, every instance of every function together (default AWS's 5). */
  readonly startRestoreRatePerSecond: number | undefined;
  /**
   * Milliseconds each one-second window of the pacer is widened by (START_RESTORE_MARGIN_MS,
   * default 30): half for a caller's own lateness, half for the way to AWS.
   * docs/aws-behaviour.md#b-pacer-budget-item
   */
  readonly startRestoreMarginMs: number;
}

/** Thrown at cold start when the environment is not usable; lists every problem at once. */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n- ${problems.join('\n- ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** The checked configuration of validateRestore. */
export interface ValidationConfig {
  readonly region: string;
  readonly deadLetterQueueUrl: string;
  /** The validation queue itself (not-yet checks are put back here with a delay). */
  readonly validationQueueUrl: string;
  readonly restoreJobsTable: string;
  /** Lambda functions a request or alarm target may name as its validator (names or ARNs). */
  readonly allowedValidators: readonly string[];
  /** How long after the first check a not-yet may still turn into a pass. */
  readonly deadlineMinutes: number;
  /** The validation queue's maxReceiveCount: on that receive a retryable error is dead-lettered. */
  readonly maxReceiveCount: number;
  /** Validators named by alarm targets (ALARM_TARGETS' `validator`), by alarm name or ARN. */
  readonly alarmValidators: Readonly<Record<string, string>>;
}

/** The checked configuration of cleanupDrills. */
export interface DrillConfig {
  readonly region: string;
  readonly restoreJobsTable: string;
  readonly deadLetterQueueUrl: string;
  readonly cleanupNotReadyMaxRuns: number;
}
