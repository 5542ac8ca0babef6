/** Configuration: read once at cold start from the environment, checked, and frozen. */

import { type AlarmTargets, parseAlarmTargets } from './alarm.js';
import { ROLE_ARN_PATTERN } from './arn.js';
import {
  integerSettings,
  listSetting,
  QUEUE_URL_PATTERN,
  REGION_PATTERN,
  TABLE_NAME_PATTERN,
} from './checks/settings.js';
import { ACCOUNT_ID, VAULT_NAME } from './checks/shape.js';

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

/** Reads and checks the configuration; throws ConfigError naming every problem. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const problems: string[] = [];

  const deadLetterQueueUrl = env.DEAD_LETTER_QUEUE_URL ?? '';
  if (deadLetterQueueUrl === '') problems.push('DEAD_LETTER_QUEUE_URL is not set');
  else if (!QUEUE_URL_PATTERN.test(deadLetterQueueUrl)) {
    problems.push(`DEAD_LETTER_QUEUE_URL must be an SQS queue URL, got "${deadLetterQueueUrl}"`);
  }

  const restoreRoleArn = env.RESTORE_ROLE_ARN ?? '';
  const roleMatch = ROLE_ARN_PATTERN.exec(restoreRoleArn);
  if (restoreRoleArn === '') problems.push('RESTORE_ROLE_ARN is not set');
  else if (roleMatch === null) {
    problems.push(`RESTORE_ROLE_ARN must be an IAM role ARN, got "${restoreRoleArn}"`);
  }

  const allowedRoleArns =
    listSetting(env.ALLOWED_RESTORE_ROLE_ARNS) ?? (restoreRoleArn ? [restoreRoleArn] : []);
  for (const arn of allowedRoleArns) {
    if (!ROLE_ARN_PATTERN.test(arn)) {
      problems.push(`ALLOWED_RESTORE_ROLE_ARNS holds "${arn}", which is not an IAM role ARN`);
    }
  }
  if (restoreRoleArn !== '' && !allowedRoleArns.includes(restoreRoleArn)) {
    problems.push('ALLOWED_RESTORE_ROLE_ARNS must include RESTORE_ROLE_ARN (the default role)');
  }

  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? '';
  if (!REGION_PATTERN.test(region)) problems.push(`AWS_REGION must be a Region name, got "${region}"`);

  const accountId = env.ALLOWED_ACCOUNT_ID ?? roleMatch?.[2] ?? '';
  if (!ACCOUNT_ID.pattern.test(accountId)) {
    problems.push(`ALLOWED_ACCOUNT_ID must be a 12-digit account id, got "${accountId}"`);
  }

  const sourceAccountIds = [...new Set(listSetting(env.ALLOWED_SOURCE_ACCOUNT_IDS) ?? [])];
  for (const id of sourceAccountIds) {
    if (!ACCOUNT_ID.pattern.test(id))
      problems.push(`ALLOWED_SOURCE_ACCOUNT_IDS holds "${id}", which is not a 12-digit account id`);
  }

  const allowedVaultNames = listSetting(env.ALLOWED_BACKUP_VAULTS);
  for (const name of allowedVaultNames ?? []) {
    if (!VAULT_NAME.pattern.test(name))
      problems.push(`ALLOWED_BACKUP_VAULTS holds an invalid vault name "${name}"`);
  }

  const restoreJobsTable = env.RESTORE_JOBS_TABLE ?? '';
  if (!TABLE_NAME_PATTERN.test(restoreJobsTable)) {
    problems.push(
      restoreJobsTable === ''
        ? 'RESTORE_JOBS_TABLE is not set'
        : `RESTORE_JOBS_TABLE must be a DynamoDB table name, got "${restoreJobsTable}"`,
    );
  }

  const rateText = env.START_RESTORE_RATE_PER_SECOND?.trim() ?? '';
  const rate = rateText === '' ? undefined : Number(rateText);
  if (rate !== undefined && !(rate > 0 && rate <= 1000)) {
    problems.push(
      `START_RESTORE_RATE_PER_SECOND must be a number above 0 and at most 1000, got "${rateText}"`,
    );
  }

  // Targets are held to the same scope as requests: a mapped role, account or Region outside it
  // stops the function at cold start rather than at the first alarm.
  const alarms = parseAlarmTargets(env.ALARM_TARGETS, {
    partition: roleMatch?.[1] ?? 'aws',
    region,
    accountId,
    sourceAccountIds,
    allowedRoleArns,
    allowedVaultNames,
  });
  problems.push(...alarms.problems);

  const validationQueueUrl = env.VALIDATION_QUEUE_URL?.trim() || undefined;
  if (validationQueueUrl !== undefined && !QUEUE_URL_PATTERN.test(validationQueueUrl)) {
    problems.push(`VALIDATION_QUEUE_URL must be an SQS queue URL, got "${validationQueueUrl}"`);
  }

  const alarmNamePrefix = env.ALARM_NAME_PREFIX ?? 'restore-';
  if (!/^[\x21-\x7e]{1,255}$/.test(alarmNamePrefix)) {
    problems.push('ALARM_NAME_PREFIX must be 1 to 255 printable characters without spaces');
  }

  const integer = integerSettings(env, problems);
  const maxReceiveCount = integer('MAX_RECEIVE_COUNT', 5, 1, 1000);
  const restoreConcurrency = integer('RESTORE_CONCURRENCY', 10, 1, 100);
  const startRestoreMarginMs = integer('START_RESTORE_MARGIN_MS', 30, 0, 500);

  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    deadLetterQueueUrl,
    restoreRoleArn,
    allowedRoleArns: Object.freeze([...allowedRoleArns]),
    maxReceiveCount,
    restoreConcurrency,
    partition: roleMatch?.[1] ?? 'aws',
    region,
    accountId,
    sourceAccountIds: Object.freeze(sourceAccountIds.filter((id) => id !== accountId)),
    allowedVaultNames: allowedVaultNames === undefined ? undefined : Object.freeze([...allowedVaultNames]),
    restoreJobsTable,
    alarmTargets: alarms.targets,
    alarmNamePrefix,
    validationQueueUrl,
    startRestoreRatePerSecond: rate,
    startRestoreMarginMs,
  });
}
