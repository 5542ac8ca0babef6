/**
 * The one configuration loader: one ConfigError for every function, listing every problem of the
 * environment it was given, each setting held to one rule wherever it is read.
 */

import { loadConfig, loadDrillConfig, loadValidationConfig, logLevelOf } from '../../src/checks/config';
import { ConfigError } from '../../src/config';
import { DLQ_URL, ROLE } from '../helpers/fixtures';

/** The error `load` throws for `env`. */
function problemsOf(
  load: (env: Record<string, string>) => unknown,
  env: Record<string, string>,
): ConfigError {
  try {
    load(env);
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error('the environment was accepted');
}

const BAD = {
  DEAD_LETTER_QUEUE_URL: 'not a url',
  VALIDATION_QUEUE_URL: 'queue',
  AWS_REGION: 'Ireland',
  RESTORE_JOBS_TABLE: 'x',
  ALARM_TARGETS: '[1, 2]',
};

describe('one configuration loader', () => {
  it('gives several bad settings of every function one ConfigError naming each of them', () => {
    const restore = problemsOf(loadConfig, { ...BAD, RESTORE_ROLE_ARN: ROLE, MAX_RECEIVE_COUNT: '0' });
    const validation = problemsOf(loadValidationConfig, { ...BAD, VALIDATION_DEADLINE_MINUTES: 'soon' });
    const drill = problemsOf(loadDrillConfig, BAD);
    for (const error of [restore, validation, drill]) {
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.name).toBe('ConfigError');
      // The message lists each problem on a line of its own.
      for (const problem of error.problems) expect(error.message).toContain(`\n- ${problem}`);
    }
    expect(restore.problems).toStrictEqual([
      'DEAD_LETTER_QUEUE_URL must be an SQS queue URL, got "not a url"',
      'AWS_REGION must be a Region name, got "Ireland"',
      'RESTORE_JOBS_TABLE must be a DynamoDB table name, got "x"',
      'ALARM_TARGETS must be a JSON object keyed by alarm name or ARN',
      'VALIDATION_QUEUE_URL must be an SQS queue URL, got "queue"',
      'MAX_RECEIVE_COUNT must be a whole number from 1 to 1000, got "0"',
    ]);
    expect(validation.problems).toStrictEqual([
      'DEAD_LETTER_QUEUE_URL must be an SQS queue URL, got "not a url"',
      'VALIDATION_QUEUE_URL must be an SQS queue URL, got "queue"',
      'RESTORE_JOBS_TABLE must be a DynamoDB table name, got "x"',
      'AWS_REGION must be a Region name, got "Ireland"',
      'VALIDATION_DEADLINE_MINUTES must be a whole number from 1 to 10080, got "soon"',
      'ALARM_TARGETS must be a JSON object keyed by alarm name or ARN',
    ]);
    expect(drill.problems).toStrictEqual([
      'AWS_REGION must be a Region name, got "Ireland"',
      'RESTORE_JOBS_TABLE must be a DynamoDB table name, got "x"',
      'DEAD_LETTER_QUEUE_URL must be an SQS queue URL, got "not a url"',
    ]);
  });

  it('names an unset required setting the same way in every function', () => {
    const unset = ['DEAD_LETTER_QUEUE_URL is not set', 'RESTORE_JOBS_TABLE is not set'];
    for (const load of [loadConfig, loadValidationConfig, loadDrillConfig]) {
      expect(problemsOf(load, { AWS_REGION: 'eu-west-1' }).problems).toStrictEqual(
        expect.arrayContaining(unset),
      );
    }
  });

  it("lets an alarm target name its validator, which the restore functions accept and the validator's configuration reads", () => {
    const env = {
      DEAD_LETTER_QUEUE_URL: DLQ_URL,
      VALIDATION_QUEUE_URL: DLQ_URL,
      RESTORE_ROLE_ARN: ROLE,
      AWS_REGION: 'eu-west-1',
      RESTORE_JOBS_TABLE: 'jobs',
      ALARM_TARGETS: JSON.stringify({
        'restore-orders': {
          resourceArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders',
          validator: 'check-orders',
        },
      }),
    };
    expect({ ...loadConfig(env).alarmTargets }).toStrictEqual({
      'restore-orders': { resourceArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders' },
    });
    expect(loadValidationConfig(env).alarmValidators).toStrictEqual({ 'restore-orders': 'check-orders' });
    expect(
      problemsOf(loadConfig, {
        ...env,
        ALARM_TARGETS: '{"restore-orders": {"resourceArn": "arn:aws:s3:::b", "validator": 7}}',
      }).problems,
    ).toStrictEqual([
      'ALARM_TARGETS["restore-orders"].validator must be the name or ARN of a Lambda function',
    ]);
  });

  it('reads LOG_LEVEL in any case, and info when it is unset or not a level', () => {
    expect([
      logLevelOf({ LOG_LEVEL: 'DEBUG' }),
      logLevelOf({ LOG_LEVEL: 'warn' }),
      logLevelOf({}),
      logLevelOf({ LOG_LEVEL: 'verbose' }),
    ]).toStrictEqual(['debug', 'warn', 'info', 'info']);
  });
});
