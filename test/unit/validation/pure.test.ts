/** The pure parts of validation: verdict edges, deadlines, validator answers, queue messages, timings, configuration. */

import { BackupClient, PutRestoreValidationResultCommand } from '@aws-sdk/client-backup';
import { mockClient } from 'aws-sdk-client-mock';
import {
  isRestoreTestingJob,
  reportValidationToBackup,
  validationStatusOf,
} from '../../../src/validation/backup-result';
import { loadValidationConfig } from '../../../src/validation/config';
import { parseValidatorAnswer, validatorAllowed } from '../../../src/validation/custom-validator';
import { delayBeforeAttempt, parseValidationMessage } from '../../../src/validation/queue';
import { resourceIdOf } from '../../../src/validation/read-resources';
import { durationMetricsLine, neededAtOf, recoveryDurations } from '../../../src/validation/timing';
import { requestedValidator } from '../../../src/validation/validate';
import {
  atDeadline,
  checkedType,
  instanceVerdict,
  notYet,
  pass,
  rdsInstanceVerdict,
  tableVerdict,
  volumeVerdict,
} from '../../../src/validation/verdicts';

describe('verdicts', () => {
  it('waits for an RDS endpoint even when the status reads available', () => {
    expect(rdsInstanceVerdict({ found: true, id: 'db1', status: 'available' }).verdict).toBe('not-yet');
    expect(rdsInstanceVerdict({ found: true, id: 'db1', status: 'available', endpoint: 'h:5432' })).toEqual(
      pass('DB instance db1 is available at h:5432'),
    );
  });

  it('treats a resource AWS named but nobody can see as not-yet, and the deadline turns it into a failure', () => {
    const v = volumeVerdict({ found: false });
    expect(v.verdict).toBe('not-yet');
    const deadline = new Date('2026-11-28T06:00:00Z');
    expect(atDeadline(v, new Date('2026-11-28T05:59:59Z'), deadline)).toBe(v);
    expect(atDeadline(v, deadline, deadline)).toEqual({
      verdict: 'fail',
      reason: `Not usable by the validation deadline (2026-11-28T06:00:00.000Z): ${v.reason}`,
    });
    expect(atDeadline(pass('ok'), deadline, deadline)).toEqual(pass('ok'));
  });

  it('passes a table when nobody knows whether the source had items, and says so', () => {
    expect(tableVerdict({ found: true, name: 't', status: 'ACTIVE', hasItem: false }).reason).toMatch(
      /does not say whether the source had items/,
    );
    expect(
      tableVerdict({ found: true, name: 't', status: 'ACTIVE', hasItem: false, sourceHadItems: false })
        .verdict,
    ).toBe('pass');
  });

  it('fails a stopped instance and waits on insufficient status data', () => {
    expect(instanceVerdict({ found: true, id: 'i-1', state: 'stopped' }).verdict).toBe('fail');
    expect(
      instanceVerdict({
        found: true,
        id: 'i-1',
        state: 'running',
        systemStatus: 'ok',
        instanceStatus: 'insufficient-data',
      }),
    ).toEqual(notYet('Instance i-1 is running; status checks are system ok, instance insufficient-data'));
  });

  it('maps sub-types to their check and leaves other types unchecked', () => {
    expect(checkedType('DynamoDB.FullyManaged')).toBe('DynamoDB');
    expect(checkedType('FSx')).toBeUndefined();
    expect(checkedType(undefined)).toBeUndefined();
  });

  it('reads the identifier of each created resource ARN', () => {
    expect(resourceIdOf('arn:aws:rds:eu-west-1:1:db:orders-r1')).toBe('orders-r1');
    expect(resourceIdOf('arn:aws:rds:eu-west-1:1:cluster:ledger-r1')).toBe('ledger-r1');
    expect(resourceIdOf('arn:aws:dynamodb:eu-west-1:1:table/orders-r1')).toBe('orders-r1');
    expect(resourceIdOf('arn:aws:ec2:eu-west-1:1:volume/vol-1')).toBe('vol-1');
    expect(resourceIdOf('arn:aws:elasticfilesystem:eu-west-1:1:file-system/fs-1')).toBe('fs-1');
    expect(resourceIdOf('arn:aws:s3:::bucket-r1')).toBe('bucket-r1');
  });
});

describe('custom validators', () => {
  it('reads a verdict and its reason', () => {
    expect(parseValidatorAnswer('v', '{"verdict":"pass","reason":"200 OK from /health"}', undefined)).toEqual(
      pass('Validator v: 200 OK from /health'),
    );
  });

  it('retries a function error, and fails an answer that is not a verdict', () => {
    expect(
      parseValidatorAnswer('v', '{"errorType":"TypeError","errorMessage":"x is undefined"}', 'Unhandled'),
    ).toEqual(notYet('Validator v failed (Unhandled): TypeError: x is undefined'));
    expect(parseValidatorAnswer('v', '{"verdict":"ok"}', undefined)).toMatchObject({
      verdict: 'fail',
      reason: expect.stringMatching(/must be "pass", "fail" or "not-yet"/),
    });
    expect(parseValidatorAnswer('v', 'not json', undefined).verdict).toBe('fail');
    expect(parseValidatorAnswer('v', 'null', undefined).verdict).toBe('fail');
  });

  it('allows only what the allowlist names', () => {
    const list = ['orders-check', 'arn:aws:lambda:eu-west-1:123456789012:function:billing-check'];
    expect(validatorAllowed('orders-check', list)).toBe(true);
    expect(validatorAllowed('arn:aws:lambda:eu-west-1:123456789012:function:billing-check', list)).toBe(true);
    expect(validatorAllowed('billing-check', list)).toBe(false);
    expect(validatorAllowed('arn:aws:lambda:eu-west-1:999999999999:function:orders-check', list)).toBe(false);
  });

  it('finds the validator in a queue request, a restore-requested event and an alarm target', () => {
    expect(
      requestedValidator({ trigger: 'sqs', body: '{"Validator":"v1","Metadata":{"a":"b"}}' }, {}),
    ).toEqual({
      validator: 'v1',
      metadata: { a: 'b' },
    });
    expect(
      requestedValidator(
        { trigger: 'eventbridge', event: { source: 'app', detail: { Validator: 'v2', Metadata: {} } } },
        {},
      ),
    ).toEqual({ validator: 'v2', metadata: {} });
    expect(
      requestedValidator(
        {
          trigger: 'eventbridge',
          event: { source: 'aws.cloudwatch', detail: { alarmName: 'restore-orders' } },
        },
        { 'restore-orders': 'v3' },
      ),
    ).toEqual({ validator: 'v3', metadata: {} });
    expect(requestedValidator({ trigger: 'sqs', body: 'not json' }, {})).toEqual({ metadata: {} });
  });
});

describe('the validation queue', () => {
  it('waits 30 s doubling, never more than SQS allows', () => {
    expect([2, 3, 4, 5, 6, 7, 20].map(delayBeforeAttempt)).toEqual([30, 60, 120, 240, 480, 900, 900]);
  });

  it('reads its own messages only', () => {
    const m = {
      kind: 'restore-validation',
      version: 1,
      restoreJobId: 'J',
      requestedAt: '2026-11-28T00:00:00Z',
      attempt: 1,
    };
    expect(parseValidationMessage(JSON.stringify(m))).toEqual(m);
    expect(parseValidationMessage(JSON.stringify({ ...m, attempt: 0 }))).toBeUndefined();
    expect(parseValidationMessage(JSON.stringify({ ...m, requestedAt: 'soon' }))).toBeUndefined();
    expect(parseValidationMessage('{"kind":"restore-dead-letter"}')).toBeUndefined();
    expect(parseValidationMessage('nope')).toBeUndefined();
  });
});

describe('time to recovery', () => {
  const t = {
    neededAt: '2026-11-28T10:00:00.000Z',
    acceptedAt: '2026-11-28T10:00:02.000Z',
    completedAt: '2026-11-28T10:20:02.000Z',
    validatedAt: '2026-11-28T10:25:02.000Z',
  };

  it('computes every duration from the link timestamps', () => {
    expect(recoveryDurations(t)).toEqual({
      timeToAccepted: 2,
      timeToRestored: 1202,
      timeToValidated: 1502,
      restoreDuration: 1200,
      validationDuration: 300,
    });
  });

  it('leaves out what it cannot know, and never a negative duration', () => {
    expect(recoveryDurations({ acceptedAt: t.acceptedAt, completedAt: t.completedAt })).toEqual({
      restoreDuration: 1200,
    });
    expect(recoveryDurations({ neededAt: t.validatedAt, acceptedAt: t.acceptedAt })).toEqual({});
  });

  it('writes one EMF line with the known durations', () => {
    const line = JSON.parse(
      durationMetricsLine({ timeToValidated: 1502, restoreDuration: 1200 }, 'RDS', new Date(0)),
    );
    expect(line).toEqual({
      _aws: {
        Timestamp: 0,
        CloudWatchMetrics: [
          {
            Namespace: 'BackupRestorePipeline',
            Dimensions: [['ResourceType']],
            Metrics: [
              { Name: 'TimeToRecovery', Unit: 'Seconds' },
              { Name: 'RestoreJobDuration', Unit: 'Seconds' },
            ],
          },
        ],
      },
      ResourceType: 'RDS',
      TimeToRecovery: 1502,
      RestoreJobDuration: 1200,
    });
    expect(durationMetricsLine({}, 'RDS', new Date(0))).toBe('');
  });

  it('takes the need from the alarm state change, the SQS sent time or the event time', () => {
    expect(
      neededAtOf({
        trigger: 'eventbridge',
        event: {
          source: 'aws.cloudwatch',
          time: '2026-11-28T10:00:05Z',
          detail: { state: { timestamp: '2026-11-28T10:00:00.000+0000' } },
        },
      }),
    ).toBe('2026-11-28T10:00:00.000Z');
    expect(
      neededAtOf({ trigger: 'eventbridge', event: { source: 'app', time: '2026-11-28T10:00:05Z' } }),
    ).toBe('2026-11-28T10:00:05.000Z');
    expect(neededAtOf({ trigger: 'sqs', sentTimestamp: '1795860000000' })).toBe('2026-11-28T10:00:00.000Z');
    expect(neededAtOf({ trigger: 'sqs' })).toBeUndefined();
  });
});

describe('PutRestoreValidationResult', () => {
  const backup = mockClient(BackupClient);
  beforeEach(() => backup.reset());

  it('is sent for restore testing jobs only, once, while the job is validating', async () => {
    const client = new BackupClient({ region: 'eu-west-1' });
    const testing = {
      CreatedBy: { RestoreTestingPlanArn: 'arn:aws:backup:eu-west-1:1:restore-testing-plan:p' },
    };
    expect(isRestoreTestingJob(testing)).toBe(true);
    expect(await reportValidationToBackup(client, 'J1', {}, 'SUCCESSFUL', 'ok')).toBe(false);
    expect(
      await reportValidationToBackup(
        client,
        'J2',
        { ...testing, ValidationStatus: 'FAILED' },
        'SUCCESSFUL',
        'ok',
      ),
    ).toBe(false);
    expect(await reportValidationToBackup(client, 'J3', testing, 'TIMED_OUT', 'still creating')).toBe(true);
    expect(backup.commandCalls(PutRestoreValidationResultCommand).map((c) => c.args[0].input)).toEqual([
      { RestoreJobId: 'J3', ValidationStatus: 'TIMED_OUT', ValidationStatusMessage: 'still creating' },
    ]);
  });

  it('maps verdicts to AWS validation statuses', () => {
    expect(validationStatusOf('pass', false)).toBe('SUCCESSFUL');
    expect(validationStatusOf('fail', false)).toBe('FAILED');
    expect(validationStatusOf('fail', true)).toBe('TIMED_OUT');
  });
});

describe('configuration', () => {
  const base = {
    AWS_REGION: 'eu-west-1',
    DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/dlq',
    VALIDATION_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/validation',
    RESTORE_JOBS_TABLE: 'restore-jobs',
  };

  it("reads defaults and the alarm targets' validators", () => {
    const c = loadValidationConfig({
      ...base,
      ALARM_TARGETS: '{"restore-a":{"resourceArn":"arn:x","validator":"v"}}',
    });
    expect(c).toMatchObject({
      deadlineMinutes: 120,
      maxReceiveCount: 5,
      allowedValidators: [],
      alarmValidators: { 'restore-a': 'v' },
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('lists every problem at once', () => {
    expect(() =>
      loadValidationConfig({
        VALIDATION_DEADLINE_MINUTES: '0',
        ALLOWED_VALIDATOR_FUNCTIONS: 'ok-name,bad name',
      }),
    ).toThrow(
      /DEAD_LETTER_QUEUE_URL is not set[\s\S]*VALIDATION_QUEUE_URL is not set[\s\S]*RESTORE_JOBS_TABLE[\s\S]*AWS_REGION[\s\S]*"bad name"[\s\S]*VALIDATION_DEADLINE_MINUTES/,
    );
  });
});
