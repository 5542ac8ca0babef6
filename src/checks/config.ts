/**
 * The one configuration loader: each function's settings read from the environment (pure), each
 * setting by one rule wherever it is read, every problem listed in one ConfigError, the result
 * frozen. ALARM_TARGETS' targets are held to the same checks as a request's (alarm-targets.ts).
 */

import { ROLE_ARN_PATTERN } from '../arn.js';
import { type Config, ConfigError, type DrillConfig, type Env, type ValidationConfig } from '../config.js';
import type { LogLevel } from '../logger.js';
import { alarmTargetsJson, alarmValidatorsOf, parseAlarmTargets } from './alarm-targets.js';
import {
  integerSettings,
  listSetting,
  QUEUE_URL_PATTERN,
  REGION_PATTERN,
  TABLE_NAME_PATTERN,
} from './settings.js';
import { ACCOUNT_ID, VAULT_NAME } from './shape.js';

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** LOG_LEVEL (any case); info when unset or not a level. */
export function logLevelOf(env: Env): LogLevel {
  const level = env.LOG_LEVEL?.toLowerCase() as LogLevel | undefined;
  return level !== undefined && LOG_LEVELS.includes(level) ? level : 'info';
}

/** A queue URL setting: required (else unset is a problem) or optional (else blank is none). */
function queueUrl(env: Env, name: string, problems: string[], required: boolean): string | undefined {
  const value = required ? (env[name] ?? '') : env[name]?.trim() || undefined;
  if (value === undefined) return undefined;
  if (value === '') problems.push(`${name} is not set`);
  else if (!QUEUE_URL_PATTERN.test(value)) problems.push(`${name} must be an SQS queue URL, got "${value}"`);
  return value;
}

/** The Region the function runs in (AWS_REGION, else AWS_DEFAULT_REGION). */
function region(env: Env, problems: string[]): string {
  const value = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? '';
  if (!REGION_PATTERN.test(value)) problems.push(`AWS_REGION must be a Region name, got "${value}"`);
  return value;
}

/** The job table (RESTORE_JOBS_TABLE). */
function restoreJobsTable(env: Env, problems: string[]): string {
  const value = env.RESTORE_JOBS_TABLE ?? '';
  if (!TABLE_NAME_PATTERN.test(value)) {
    problems.push(
      value === ''
        ? 'RESTORE_JOBS_TABLE is not set'
        : `RESTORE_JOBS_TABLE must be a DynamoDB table name, got "${value}"`,
    );
  }
  return value;
}

/** The default role and the allowed ones; the partition comes from the default role's ARN. */
function roles(env: Env, problems: string[]) {
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
  return { restoreRoleArn, allowedRoleArns, partition: roleMatch?.[1] ?? 'aws', roleAccount: roleMatch?.[2] };
}

/** The accounts and vaults recovery points may come from. */
function sources(env: Env, roleAccount: string | undefined, problems: string[]) {
  const accountId = env.ALLOWED_ACCOUNT_ID ?? roleAccount ?? '';
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
  return { accountId, sourceAccountIds, allowedVaultNames };
}

/** START_RESTORE_RATE_PER_SECOND: undefined when unset (AWS's quota applies). */
function startRestoreRate(env: Env, problems: string[]): number | undefined {
  const rateText = env.START_RESTORE_RATE_PER_SECOND?.trim() ?? '';
  const rate = rateText === '' ? undefined : Number(rateText);
  if (rate !== undefined && !(rate > 0 && rate <= 1000)) {
    problems.push(
      `START_RESTORE_RATE_PER_SECOND must be a number above 0 and at most 1000, got "${rateText}"`,
    );
  }
  return rate;
}

/** ALARM_NAME_PREFIX: the prefix an alarm's name opts in with. */
function alarmNamePrefix(env: Env, problems: string[]): string {
  const prefix = env.ALARM_NAME_PREFIX ?? 'restore-';
  if (!/^[\x21-\x7e]{1,255}$/.test(prefix)) {
    problems.push('ALARM_NAME_PREFIX must be 1 to 255 printable characters without spaces');
  }
  return prefix;
}

/** The restore functions' configuration; throws ConfigError naming every problem. */
export function loadConfig(env: Env): Config {
  const problems: string[] = [];
  const deadLetterQueueUrl = queueUrl(env, 'DEAD_LETTER_QUEUE_URL', problems, true) ?? '';
  const { restoreRoleArn, allowedRoleArns, partition, roleAccount } = roles(env, problems);
  const where = region(env, problems);
  const { accountId, sourceAccountIds, allowedVaultNames } = sources(env, roleAccount, problems);
  const table = restoreJobsTable(env, problems);
  const rate = startRestoreRate(env, problems);
  // Targets are held to the same scope as requests: a mapped role, account or Region outside it
  // stops the function at cold start rather than at the first alarm.
  const scope = { partition, region: where, accountId, sourceAccountIds, allowedRoleArns, allowedVaultNames };
  const alarms = parseAlarmTargets(env.ALARM_TARGETS, scope);
  problems.push(...alarms.problems);
  const validationQueueUrl = queueUrl(env, 'VALIDATION_QUEUE_URL', problems, false);
  const prefix = alarmNamePrefix(env, problems);
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
    partition,
    region: where,
    accountId,
    sourceAccountIds: Object.freeze(sourceAccountIds.filter((id) => id !== accountId)),
    allowedVaultNames: allowedVaultNames === undefined ? undefined : Object.freeze([...allowedVaultNames]),
    restoreJobsTable: table,
    alarmTargets: alarms.targets,
    alarmNamePrefix: prefix,
    validationQueueUrl,
    startRestoreRatePerSecond: rate,
    startRestoreMarginMs,
  });
}

const FUNCTION_PATTERN =
  /^(arn:aws[a-zA-Z-]*:lambda:[a-z]{2}(-[a-z]+)+-\d:\d{12}:function:)?[a-zA-Z0-9-_]{1,64}(:(\$LATEST|[a-zA-Z0-9-_]+))?$/;

/** The validator function's configuration; throws ConfigError naming every problem. */
export function loadValidationConfig(env: Env): ValidationConfig {
  const problems: string[] = [];
  const deadLetterQueueUrl = queueUrl(env, 'DEAD_LETTER_QUEUE_URL', problems, true) ?? '';
  const validationQueueUrl = queueUrl(env, 'VALIDATION_QUEUE_URL', problems, true) ?? '';
  const table = restoreJobsTable(env, problems);
  const where = region(env, problems);
  const allowedValidators = listSetting(env.ALLOWED_VALIDATOR_FUNCTIONS) ?? [];
  for (const f of allowedValidators) {
    if (!FUNCTION_PATTERN.test(f))
      problems.push(`ALLOWED_VALIDATOR_FUNCTIONS: "${f}" is not a function name or ARN`);
  }
  const integer = integerSettings(env, problems);
  const deadlineMinutes = integer('VALIDATION_DEADLINE_MINUTES', 120, 1, 7 * 24 * 60);
  const maxReceiveCount = integer('VALIDATION_MAX_RECEIVE_COUNT', 5, 1, 1000);
  // Only the targets' validators are read here; the restore functions check the targets themselves.
  const targets = alarmTargetsJson(env.ALARM_TARGETS);
  if (targets.problem !== undefined) problems.push(targets.problem);
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    region: where,
    deadLetterQueueUrl,
    validationQueueUrl,
    restoreJobsTable: table,
    allowedValidators: Object.freeze(allowedValidators),
    deadlineMinutes,
    maxReceiveCount,
    alarmValidators: Object.freeze(alarmValidatorsOf(targets.data)),
  });
}

/** The drill cleanup function's configuration; throws ConfigError naming every problem. */
export function loadDrillConfig(env: Env): DrillConfig {
  const problems: string[] = [];
  const where = region(env, problems);
  const table = restoreJobsTable(env, problems);
  const deadLetterQueueUrl = queueUrl(env, 'DEAD_LETTER_QUEUE_URL', problems, true) ?? '';
  const cleanupNotReadyMaxRuns = integerSettings(env, problems)('CLEANUP_NOT_READY_MAX_RUNS', 96, 1, 10_000);
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    region: where,
    restoreJobsTable: table,
    deadLetterQueueUrl,
    cleanupNotReadyMaxRuns,
  });
}
