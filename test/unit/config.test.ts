import { integerSettings, listSetting } from '../../src/checks/settings';
import { ConfigError, loadConfig } from '../../src/config';
import { loadDrillConfig } from '../../src/drills/config';
import { loadValidationConfig } from '../../src/validation/config';
import { DLQ_URL, OTHER_ROLE, ROLE } from '../helpers/fixtures';

const base = {
  DEAD_LETTER_QUEUE_URL: DLQ_URL,
  RESTORE_ROLE_ARN: ROLE,
  AWS_REGION: 'eu-west-1',
  RESTORE_JOBS_TABLE: 'jobs',
};

describe('loadConfig', () => {
  it('fills in the defaults and freezes the result', () => {
    const config = loadConfig(base);
    // The mapping has no prototype: an alarm named "constructor" or "__proto__" finds nothing.
    expect(Object.getPrototypeOf(config.alarmTargets)).toBeNull();
    expect({ ...config, alarmTargets: { ...config.alarmTargets } }).toStrictEqual({
      deadLetterQueueUrl: DLQ_URL,
      restoreRoleArn: ROLE,
      allowedRoleArns: [ROLE],
      sourceAccountIds: [],
      maxReceiveCount: 5,
      restoreConcurrency: 10,
      partition: 'aws',
      region: 'eu-west-1',
      accountId: '123456789012',
      allowedVaultNames: undefined,
      restoreJobsTable: 'jobs',
      alarmTargets: {},
      alarmNamePrefix: 'restore-',
      validationQueueUrl: undefined,
      startRestoreRatePerSecond: undefined,
      startRestoreMarginMs: 30,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.allowedRoleArns)).toBe(true);
  });

  it('reads every setting', () => {
    expect(
      loadConfig({
        ...base,
        ALLOWED_RESTORE_ROLE_ARNS: ` ${ROLE} , ${OTHER_ROLE} `,
        MAX_RECEIVE_COUNT: '7',
        RESTORE_CONCURRENCY: '3',
        ALLOWED_BACKUP_VAULTS: 'a-vault,b_vault',
        ALLOWED_ACCOUNT_ID: '210987654321',
      }),
    ).toMatchObject({
      allowedRoleArns: [ROLE, OTHER_ROLE],
      maxReceiveCount: 7,
      restoreConcurrency: 3,
      allowedVaultNames: ['a-vault', 'b_vault'],
      accountId: '210987654321',
    });
  });

  it('lists every problem at once', () => {
    let error: unknown;
    try {
      loadConfig({
        DEAD_LETTER_QUEUE_URL: 'not a url',
        RESTORE_ROLE_ARN: 'arn:aws:iam::123:user/x',
        ALLOWED_RESTORE_ROLE_ARNS: 'arn:aws:iam::123456789012:role/*',
        MAX_RECEIVE_COUNT: '0',
        RESTORE_CONCURRENCY: 'many',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toStrictEqual([
      'DEAD_LETTER_QUEUE_URL must be an SQS queue URL, got "not a url"',
      'RESTORE_ROLE_ARN must be an IAM role ARN, got "arn:aws:iam::123:user/x"',
      'ALLOWED_RESTORE_ROLE_ARNS holds "arn:aws:iam::123456789012:role/*", which is not an IAM role ARN',
      'ALLOWED_RESTORE_ROLE_ARNS must include RESTORE_ROLE_ARN (the default role)',
      'AWS_REGION must be a Region name, got ""',
      'ALLOWED_ACCOUNT_ID must be a 12-digit account id, got ""',
      'RESTORE_JOBS_TABLE is not set',
      'MAX_RECEIVE_COUNT must be a whole number from 1 to 1000, got "0"',
      'RESTORE_CONCURRENCY must be a whole number from 1 to 100, got "many"',
    ]);
  });

  it('names the missing required settings', () => {
    expect(() => loadConfig({ AWS_REGION: 'eu-west-1' })).toThrow(
      /DEAD_LETTER_QUEUE_URL is not set[\s\S]*RESTORE_ROLE_ARN is not set/,
    );
  });

  it('reads the alarm targets and reports a bad one', () => {
    const config = loadConfig({
      ...base,
      ALARM_TARGETS: JSON.stringify({
        'orders-db-corruption': {
          resourceArn: 'arn:aws:rds:eu-west-1:123456789012:db:orders',
          recoveryPoint: 'look-back:24h',
          metadata: { DBInstanceClass: 'db.r6g.large' },
        },
      }),
    });
    expect(JSON.parse(JSON.stringify(config.alarmTargets))).toStrictEqual({
      'orders-db-corruption': {
        resourceArn: 'arn:aws:rds:eu-west-1:123456789012:db:orders',
        recoveryPoint: { mode: 'look-back', hours: 24 },
        metadata: { DBInstanceClass: 'db.r6g.large' },
      },
    });
    expect(() =>
      loadConfig({
        ...base,
        ALARM_TARGETS:
          '{"a": {"resourceArn": "x"}, "b": {"resourceArn": "arn:aws:s3:::b", "recoveryPoint": "soon"}}',
      }),
    ).toThrow(/ALARM_TARGETS\["a"\] needs a resourceArn[\s\S]*ALARM_TARGETS\["b"\].recoveryPoint/);
    expect(() => loadConfig({ ...base, ALARM_TARGETS: 'not json' })).toThrow(/ALARM_TARGETS must be JSON/);
  });
});

describe('the settings readers the three configurations share', () => {
  it('reads a whole number, falls back when unset or blank, and names the setting and its range when out of it', () => {
    const problems: string[] = [];
    const integer = integerSettings({ A: ' 7 ', B: '', C: '1.5', D: '1001' }, problems);
    expect([
      integer('A', 1, 1, 10),
      integer('B', 2, 1, 10),
      integer('C', 3, 1, 10),
      integer('D', 4, 1, 1000),
    ]).toStrictEqual([7, 2, 3, 4]);
    expect(integer('UNSET', 5, 1, 10)).toBe(5);
    expect(problems).toStrictEqual([
      'C must be a whole number from 1 to 10, got "1.5"',
      'D must be a whole number from 1 to 1000, got "1001"',
    ]);
  });

  it('reads a list without blanks, and nothing from a blank setting', () => {
    expect(listSetting(' a , ,b,')).toStrictEqual(['a', 'b']);
    expect(listSetting('  ')).toBeUndefined();
    expect(listSetting(undefined)).toBeUndefined();
  });

  it('gives the validator and drill functions the same problem for the same bad setting', () => {
    expect(() =>
      loadValidationConfig({
        DEAD_LETTER_QUEUE_URL: DLQ_URL,
        VALIDATION_QUEUE_URL: DLQ_URL,
        RESTORE_JOBS_TABLE: 'jobs',
        AWS_REGION: 'eu-west-1',
        VALIDATION_MAX_RECEIVE_COUNT: '0',
      }),
    ).toThrow('VALIDATION_MAX_RECEIVE_COUNT must be a whole number from 1 to 1000, got "0"');
    expect(() => loadConfig({ ...base, MAX_RECEIVE_COUNT: '0' })).toThrow(
      'MAX_RECEIVE_COUNT must be a whole number from 1 to 1000, got "0"',
    );
    expect(() =>
      loadDrillConfig({ AWS_REGION: 'eu-west-1', RESTORE_JOBS_TABLE: 'jobs', DEAD_LETTER_QUEUE_URL: 'x' }),
    ).toThrow('DEAD_LETTER_QUEUE_URL must be a queue URL');
  });
});
