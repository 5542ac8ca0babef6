/**
 * The checks (src/checks/): each step's typed result (shape, policy, per-type rules, and the
 * request as their composition), and one message per policy rule wherever it is broken: a
 * request by resource, an alarm's target at run time, and ALARM_TARGETS at cold start.
 */

import { StartRestoreJobCommand } from '@aws-sdk/client-backup';
import { createHandler as createQueueHandler } from '../../handlers/restore-from-queue';
import { createHandler as createAlarmHandler } from '../../handlers/restore-on-alarm';
import type { AlarmEvent } from '../../src/arrival/alarm';
import { alarmTarget } from '../../src/checks/alarm-target';
import {
  checkRecoveryPointArn,
  checkResourceArn,
  checkRole,
  checkTargetPolicy,
  checkVault,
  checkVaultOwner,
  requestPolicyVerdicts,
} from '../../src/checks/policy';
import { checkRestoreRequest } from '../../src/checks/request';
import { combine, OK, refusalError } from '../../src/checks/result';
import { checkShape, type RequestFields } from '../../src/checks/shape';
import { checkTypeRules } from '../../src/checks/type-rules';
import { ConfigError } from '../../src/config';
import { ForbiddenRequestError, InvalidRequestError } from '../../src/errors';
import { ACCOUNT, context, loadEvent, OTHER_ROLE, REGION, sqsRecord, testConfig } from '../helpers/fixtures';
import { mockAws, restoreAws } from '../helpers/mocks';

const policy = testConfig();
const vaulted = testConfig({ ALLOWED_BACKUP_VAULTS: 'prod-vault,logs-vault' });
const POINT = `arn:aws:backup:${REGION}:${ACCOUNT}:recovery-point:3c1f7e42-9a0d-4b6e-8f21-5d7a9b0c1e2f`;
const DB = `arn:aws:rds:${REGION}:${ACCOUNT}:db:billing-db`;
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/Admin`;
const OTHER_ACCOUNT = '210987654321';

/** The fields of a request by recovery point with nothing wrong, `patch` applied. */
const fields = (patch: Partial<RequestFields> = {}): RequestFields => ({
  byResource: false,
  metadata: {},
  metadataGiven: true,
  typeGiven: false,
  arn: POINT,
  ...patch,
});

describe('the shape step', () => {
  it('reads every field of a good request, with the ok verdict', () => {
    const shape = checkShape({
      RecoveryPointArn: POINT,
      ResourceType: 'EBS',
      Metadata: { availabilityZone: 'eu-west-1a' },
      IamRoleArn: ADMIN,
      IdempotencyToken: 'tok-1',
      CopySourceTagsToRestoredResource: false,
      BackupVaultName: 'other-vault',
      Validator: 'check-volume',
      Drill: { DeleteAfterHours: 4 },
    });
    // Shape only: a role and a vault outside the policy are the policy step's to refuse.
    expect({ ...shape, fields: { ...shape.fields, metadata: { ...shape.fields?.metadata } } }).toStrictEqual({
      verdict: { kind: 'ok' },
      fields: {
        byResource: false,
        metadata: { availabilityZone: 'eu-west-1a' },
        metadataGiven: true,
        iamRoleArn: ADMIN,
        idempotencyToken: 'tok-1',
        backupVaultName: 'other-vault',
        copyTags: false,
        validator: 'check-volume',
        drill: { DeleteAfterHours: 4 },
        arn: POINT,
        resourceType: 'EBS',
        typeGiven: true,
      },
    });
  });

  it('is invalid, with no fields, for a body that is not an object', () => {
    expect(checkShape([POINT])).toStrictEqual({
      verdict: {
        kind: 'invalid',
        problems: [
          'A restore request must be a JSON object with RecoveryPointArn and Metadata (or ResourceArn), got an array',
        ],
      },
      fields: undefined,
    });
  });

  it('lists every shape problem and keeps the fields it could read', () => {
    const shape = checkShape({
      ResourceArn: 42,
      RestoreTime: 'yesterday',
      Metadata: { DBInstanceClass: 'db.r6g.large', size: 1 },
      IamRoleArn: `arn:aws:iam::${ACCOUNT}:user/alice`,
    });
    expect(shape.verdict).toStrictEqual({
      kind: 'invalid',
      problems: [
        'Metadata.size must be a string, got a number (write numbers and booleans as strings, e.g. "100" or "true", and lists as JSON text, e.g. "[\\"sg-1\\"]")',
        'IamRoleArn must be an IAM role ARN, got an invalid string',
        'ResourceArn must be a string, got a number',
        'RestoreTime must be an ISO 8601 time such as 2026-11-26T10:00:00Z',
      ],
    });
    expect(shape.fields?.byResource).toBe(true);
    expect({ ...shape.fields?.metadata }).toStrictEqual({ DBInstanceClass: 'db.r6g.large' });
    expect(shape.fields?.iamRoleArn).toBeUndefined();
  });
});

/** The policy step's verdict, as src/checks/request.ts combines it with the other steps. */
const policyStep = (f: RequestFields, p: typeof policy) => combine(...requestPolicyVerdicts(f, p));

describe('the policy step', () => {
  it('is ok within the policy', () => {
    expect(policyStep(fields({ iamRoleArn: OTHER_ROLE }), policy)).toStrictEqual(OK);
    expect(policyStep(fields({ byResource: true, arn: DB }), policy)).toStrictEqual(OK);
  });

  it('forbids a role off the allowlist', () => {
    expect(policyStep(fields({ iamRoleArn: ADMIN }), policy)).toStrictEqual({
      kind: 'forbidden',
      problems: [
        `IamRoleArn ${ADMIN} is not on this deployment's list of restore roles; leave it out to use the default restore role, or ask the operators to add the role to ALLOWED_RESTORE_ROLE_ARNS`,
      ],
    });
  });

  it('finds a missing vault invalid and another vault forbidden, by recovery point only', () => {
    expect(policyStep(fields(), vaulted)).toStrictEqual({
      kind: 'invalid',
      problems: [
        'BackupVaultName is required: this deployment restores only from the vaults prod-vault, logs-vault',
      ],
    });
    expect(policyStep(fields({ byResource: true, arn: DB }), vaulted)).toStrictEqual(OK);
    expect(policyStep(fields({ backupVaultName: 'scratch' }), vaulted)).toStrictEqual({
      kind: 'forbidden',
      problems: [
        'BackupVaultName scratch is not one of the vaults this deployment restores from (prod-vault, logs-vault)',
      ],
    });
  });

  it('tells an ARN that is not one (invalid) from one outside the scope (forbidden), without reading its text', () => {
    expect(checkRecoveryPointArn('arn:aws:s3:::bucket', policy).kind).toBe('invalid');
    expect(checkRecoveryPointArn(POINT.replace(REGION, 'us-east-1'), policy)).toStrictEqual({
      kind: 'forbidden',
      problems: [
        'RecoveryPointArn is in Region "us-east-1"; this deployment restores only in "eu-west-1" (copy the recovery point to eu-west-1 first)',
      ],
    });
    expect(checkResourceArn('orders-db', policy)).toStrictEqual({
      kind: 'invalid',
      problems: ['ResourceArn is not an ARN (expected arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)'],
    });
    expect(checkResourceArn('arn:aws:s3:::bucket', policy)).toStrictEqual(OK);
  });

  it('reports the invalid problems alone when there are forbidden ones too', () => {
    expect(policyStep(fields({ iamRoleArn: ADMIN, arn: 'not-an-arn' }), policy)).toStrictEqual({
      kind: 'invalid',
      problems: [
        'RecoveryPointArn is not a recovery point ARN (expected e.g. arn:aws:backup:eu-west-1:123456789012:recovery-point:ID, or an EC2 AMI, EBS/RDS/Redshift snapshot, FSx backup or DynamoDB backup ARN)',
      ],
    });
  });
});

describe('the per-type rules step', () => {
  it('is ok for a type with its keys, and for a request by resource (its type is not known yet)', () => {
    expect(
      checkTypeRules(fields({ resourceType: 'EBS', typeGiven: true, metadata: { availabilityZone: 'a' } })),
    ).toStrictEqual(OK);
    expect(checkTypeRules(fields({ byResource: true, copyTags: true }))).toStrictEqual(OK);
  });

  it('lists the missing keys, the continuous point without its moment and the tag flag of a type that fails with it', () => {
    expect(
      checkTypeRules(
        fields({
          arn: POINT.replace('recovery-point:', 'recovery-point:continuous:'),
          resourceType: 'S3',
          typeGiven: true,
          copyTags: true,
        }),
      ),
    ).toStrictEqual({
      kind: 'invalid',
      problems: [
        'Metadata for an S3 restore needs DestinationBucketName',
        'RecoveryPointArn is a continuous recovery point: Metadata.RestoreTime must hold the moment to restore to (e.g. 2026-11-26T09:55:00Z)',
        'CopySourceTagsToRestoredResource: true makes AWS fail S3 restores; set it to false or leave it out',
      ],
    });
  });
});

describe('the request: shape, policy and per-type rules composed', () => {
  it('is ok with the request', () => {
    expect(checkRestoreRequest({ RecoveryPointArn: POINT, Metadata: {} }, policy)).toStrictEqual({
      kind: 'ok',
      request: { kind: 'recovery-point', RecoveryPointArn: POINT, Metadata: {} },
    });
  });

  it('lists the problems of every step, shape first, and is invalid before it is forbidden', () => {
    expect(
      checkRestoreRequest(
        { RecoveryPointArn: POINT, ResourceType: 'RDS', Metadata: {}, IamRoleArn: ADMIN, Extra: 1 },
        policy,
      ),
    ).toStrictEqual({
      kind: 'invalid',
      problems: [
        'unknown field(s) "Extra"; accepted fields are RecoveryPointArn, Metadata, IamRoleArn, IdempotencyToken, ResourceType, CopySourceTagsToRestoredResource, BackupVaultName, Validator, Drill, Ready',
        'Metadata for an RDS restore needs DBInstanceIdentifier',
      ],
    });
    expect(checkRestoreRequest({ ResourceArn: DB, IamRoleArn: ADMIN }, policy).kind).toBe('forbidden');
  });

  it('becomes the error class of its kind at the edge', () => {
    const invalid = refusalError(
      { kind: 'invalid', problems: ['a', 'b'] },
      { invalid: 'I: ', forbidden: 'F: ' },
    );
    expect(invalid).toBeInstanceOf(InvalidRequestError);
    expect(invalid.message).toBe('I: a; b');
    const forbidden = refusalError({ kind: 'forbidden', problems: ['c'] });
    expect(forbidden).toBeInstanceOf(ForbiddenRequestError);
    expect(forbidden.message).toBe('c');
    expect(
      combine(OK, { kind: 'forbidden', problems: ['c'] }, { kind: 'invalid', problems: ['a'] }),
    ).toStrictEqual({
      kind: 'invalid',
      problems: ['a'],
    });
  });
});

/**
 * One policy breach in three places: what each one says. `rule` is the one message of the rule
 * after its subject; each place names the subject its own way.
 */
interface Breach {
  readonly name: string;
  /** The request by resource, when the breach can be written as one. */
  readonly request?: Record<string, unknown>;
  /** The alarm's tags (its target at run time). */
  readonly tags: Record<string, string>;
  /** The ALARM_TARGETS entry. */
  readonly target: Record<string, unknown>;
  readonly env: Record<string, string>;
  readonly rule: string;
  readonly subjects: { request?: string; alarm: string; coldStart: string };
}

const accountRule = (what: string) =>
  `${what} belongs to account "${OTHER_ACCOUNT}"; this deployment restores from only account ${ACCOUNT}: to restore from vaults shared by account ${OTHER_ACCOUNT}, add it to ALLOWED_SOURCE_ACCOUNT_IDS (stage parameter allowedSourceAccountIds)`;

const BREACHES: Breach[] = [
  {
    name: 'a role off ALLOWED_RESTORE_ROLE_ARNS',
    request: { ResourceArn: DB, IamRoleArn: ADMIN },
    tags: { 'backup-restore:resource-arn': DB, 'backup-restore:role-arn': ADMIN },
    target: { resourceArn: DB, iamRoleArn: ADMIN },
    env: {},
    rule: `${ADMIN} is not on this deployment's list of restore roles; leave it out to use the default restore role, or ask the operators to add the role to ALLOWED_RESTORE_ROLE_ARNS`,
    subjects: {
      request: 'IamRoleArn ',
      alarm: 'The role ',
      coldStart: 'ALARM_TARGETS["a"].iamRoleArn: The role ',
    },
  },
  {
    name: 'a vault off ALLOWED_BACKUP_VAULTS',
    request: { ResourceArn: DB, BackupVaultName: 'scratch' },
    tags: { 'backup-restore:resource-arn': DB, 'backup-restore:vault': 'scratch' },
    target: { resourceArn: DB, backupVaultName: 'scratch' },
    env: { ALLOWED_BACKUP_VAULTS: 'prod-vault' },
    rule: 'scratch is not one of the vaults this deployment restores from (prod-vault)',
    subjects: {
      request: 'BackupVaultName ',
      alarm: 'The vault ',
      coldStart: 'ALARM_TARGETS["a"].backupVaultName: The vault ',
    },
  },
  {
    name: 'a resource of another account',
    request: { ResourceArn: DB.replace(ACCOUNT, OTHER_ACCOUNT) },
    tags: { 'backup-restore:resource-arn': DB.replace(ACCOUNT, OTHER_ACCOUNT) },
    target: { resourceArn: DB.replace(ACCOUNT, OTHER_ACCOUNT) },
    env: {},
    rule: accountRule('ResourceArn'),
    subjects: { request: '', alarm: '', coldStart: 'ALARM_TARGETS["a"].resourceArn: ' },
  },
  {
    name: 'a resource of another Region',
    request: { ResourceArn: DB.replace(REGION, 'us-east-1') },
    tags: { 'backup-restore:resource-arn': DB.replace(REGION, 'us-east-1') },
    target: { resourceArn: DB.replace(REGION, 'us-east-1') },
    env: {},
    rule: 'ResourceArn is in Region "us-east-1"; this deployment restores only in "eu-west-1"',
    subjects: { request: '', alarm: '', coldStart: 'ALARM_TARGETS["a"].resourceArn: ' },
  },
  {
    name: 'a vault owned by an account off ALLOWED_SOURCE_ACCOUNT_IDS',
    tags: {
      'backup-restore:resource-arn': DB,
      'backup-restore:vault': 'prod-vault',
      'backup-restore:vault-account-id': OTHER_ACCOUNT,
    },
    target: { resourceArn: DB, backupVaultName: 'prod-vault', backupVaultAccountId: OTHER_ACCOUNT },
    env: {},
    rule: accountRule('The backup vault'),
    subjects: { alarm: '', coldStart: 'ALARM_TARGETS["a"].backupVaultAccountId: ' },
  },
];

describe('one message per policy rule', () => {
  afterEach(restoreAws);

  async function requestReason(breach: Breach): Promise<string | undefined> {
    const { deps, deadLetters } = mockAws({ config: testConfig(breach.env) });
    await createQueueHandler(deps)({ Records: [sqsRecord(JSON.stringify(breach.request), 'm1')] }, context);
    const [letter] = deadLetters();
    expect(letter?.error).toMatchObject({ name: 'ForbiddenRequestError', retryable: false });
    return letter?.reason;
  }

  async function alarmReason(breach: Breach): Promise<string | undefined> {
    const { backup, deps, deadLetters } = mockAws({ config: testConfig(breach.env) });
    const event = loadEvent<{ detail: Record<string, unknown> }>('alarm-rds-instance.json');
    event.detail.alarmTags = breach.tags;
    await createAlarmHandler(deps)(event as never, context);
    // Refused before any call to AWS Backup.
    expect(backup.calls()).toHaveLength(0);
    expect(backup.commandCalls(StartRestoreJobCommand)).toHaveLength(0);
    const [letter] = deadLetters();
    expect(letter?.error).toMatchObject({ name: 'ForbiddenRequestError', retryable: false });
    return letter?.reason;
  }

  function coldStartProblems(breach: Breach): readonly string[] {
    try {
      testConfig({ ...breach.env, ALARM_TARGETS: JSON.stringify({ a: breach.target }) });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problems;
    }
    throw new Error('expected ALARM_TARGETS to be refused');
  }

  it.each(BREACHES.map((b) => [b.name, b] as const))('%s', async (_name, breach) => {
    if (breach.request !== undefined) {
      expect(await requestReason(breach)).toBe(
        `Restore request refused: ${breach.subjects.request ?? ''}${breach.rule}`,
      );
    }
    expect(await alarmReason(breach)).toBe(`${breach.subjects.alarm}${breach.rule}`);
    expect(coldStartProblems(breach)).toStrictEqual([`${breach.subjects.coldStart}${breach.rule}`]);
  });

  it('the target checks are the same function at run time and at cold start', () => {
    const target = {
      resourceArn: DB.replace(REGION, 'us-east-1'),
      iamRoleArn: ADMIN,
      backupVaultName: 'scratch',
      backupVaultAccountId: OTHER_ACCOUNT,
    };
    expect(checkTargetPolicy(target, vaulted)).toStrictEqual({
      resourceArn: checkResourceArn(target.resourceArn, vaulted),
      iamRoleArn: checkRole('The role', ADMIN, vaulted),
      backupVaultName: checkVault('The vault', 'scratch', vaulted),
      backupVaultAccountId: checkVaultOwner('The backup vault', OTHER_ACCOUNT, vaulted),
    });
    expect(Object.values(checkTargetPolicy(target, vaulted)).map((v) => v.kind)).toStrictEqual([
      'forbidden',
      'forbidden',
      'forbidden',
      'forbidden',
    ]);
  });
});

describe('one message per shape rule of a target', () => {
  it('says the same of a bad account id in an alarm tag and in ALARM_TARGETS', () => {
    const event = loadEvent<AlarmEvent>('alarm-rds-instance.json');
    if (event.detail === undefined) throw new Error('the sample has a detail');
    event.detail.alarmTags = { 'backup-restore:resource-arn': DB, 'backup-restore:vault-account-id': '4711' };
    const alarm = { alarmName: 'restore-billing-db-corruption', alarmArn: 'arn', partition: 'aws' };
    expect(() => alarmTarget(event, alarm, {})).toThrow(
      new InvalidRequestError(
        'Alarm tag backup-restore:vault-account-id of restore-billing-db-corruption must be a 12-digit account id, got an invalid string',
      ),
    );
    const target = { resourceArn: DB, backupVaultName: 'prod-vault', backupVaultAccountId: '4711' };
    expect(() => testConfig({ ALARM_TARGETS: JSON.stringify({ a: target }) })).toThrow(
      'ALARM_TARGETS["a"].backupVaultAccountId must be a 12-digit account id, got an invalid string',
    );
  });

  it('says the same of a role that is no role ARN in a request and in ALARM_TARGETS', () => {
    const user = `arn:aws:iam::${ACCOUNT}:user/alice`;
    expect(checkRestoreRequest({ ResourceArn: DB, IamRoleArn: user }, policy)).toStrictEqual({
      kind: 'invalid',
      problems: ['IamRoleArn must be an IAM role ARN, got an invalid string'],
    });
    expect(() =>
      testConfig({ ALARM_TARGETS: JSON.stringify({ a: { resourceArn: DB, iamRoleArn: user } }) }),
    ).toThrow('ALARM_TARGETS["a"].iamRoleArn must be an IAM role ARN, got an invalid string');
  });
});
