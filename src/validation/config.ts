/** The validator function's configuration: read once at cold start, checked, frozen. */

import { integerSettings, listSetting, QUEUE_URL_PATTERN, TABLE_NAME_PATTERN } from '../checks/settings.js';

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

/** Thrown at cold start when the environment is not usable; lists every problem at once. */
export class ValidationConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n- ${problems.join('\n- ')}`);
    this.name = 'ValidationConfigError';
  }
}

const FUNCTION_PATTERN =
  /^(arn:aws[a-zA-Z-]*:lambda:[a-z]{2}(-[a-z]+)+-\d:\d{12}:function:)?[a-zA-Z0-9-_]{1,64}(:(\$LATEST|[a-zA-Z0-9-_]+))?$/;

/** Reads the configuration (pure); throws ValidationConfigError with every problem. */
export function loadValidationConfig(env: Readonly<Record<string, string | undefined>>): ValidationConfig {
  const problems: string[] = [];
  const url = (name: string) => {
    const value = env[name] ?? '';
    if (!QUEUE_URL_PATTERN.test(value))
      problems.push(value === '' ? `${name} is not set` : `${name} must be a queue URL`);
    return value;
  };
  const deadLetterQueueUrl = url('DEAD_LETTER_QUEUE_URL');
  const validationQueueUrl = url('VALIDATION_QUEUE_URL');
  const restoreJobsTable = env.RESTORE_JOBS_TABLE ?? '';
  if (!TABLE_NAME_PATTERN.test(restoreJobsTable))
    problems.push('RESTORE_JOBS_TABLE must be a DynamoDB table name');
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? '';
  if (region === '') problems.push('AWS_REGION is not set');
  const allowedValidators = listSetting(env.ALLOWED_VALIDATOR_FUNCTIONS) ?? [];
  for (const f of allowedValidators) {
    if (!FUNCTION_PATTERN.test(f))
      problems.push(`ALLOWED_VALIDATOR_FUNCTIONS: "${f}" is not a function name or ARN`);
  }
  const integer = integerSettings(env, problems);
  const deadlineMinutes = integer('VALIDATION_DEADLINE_MINUTES', 120, 1, 7 * 24 * 60);
  const maxReceiveCount = integer('VALIDATION_MAX_RECEIVE_COUNT', 5, 1, 1000);
  const alarmValidators: Record<string, string> = {};
  if (env.ALARM_TARGETS !== undefined && env.ALARM_TARGETS.trim() !== '') {
    try {
      const targets = JSON.parse(env.ALARM_TARGETS) as Record<string, { validator?: unknown }>;
      for (const [alarm, t] of Object.entries(targets ?? {})) {
        if (typeof t?.validator === 'string') alarmValidators[alarm] = t.validator;
      }
    } catch {
      problems.push('ALARM_TARGETS must be JSON');
    }
  }
  if (problems.length > 0) throw new ValidationConfigError(problems);
  return Object.freeze({
    region,
    deadLetterQueueUrl,
    validationQueueUrl,
    restoreJobsTable,
    allowedValidators: Object.freeze(allowedValidators),
    deadlineMinutes,
    maxReceiveCount,
    alarmValidators: Object.freeze(alarmValidators),
  });
}
