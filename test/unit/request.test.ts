import { parseRestoreRequest } from '../../src/checks/request';
import { ForbiddenRequestError, InvalidRequestError } from '../../src/errors';
import { buildStartRestoreJobInput } from '../../src/plan/start-input';
import { deriveIdempotencyToken } from '../../src/plan/token';
import { withArticle } from '../../src/resources/rules';
import { ACCOUNT, OTHER_ROLE, REGION, ROLE, testConfig } from '../helpers/fixtures';

const policy = testConfig();
const EBS_POINT = `arn:aws:ec2:${REGION}::snapshot/snap-0a1b2c3d4e5f60718`;
const BACKUP_POINT = `arn:aws:backup:${REGION}:${ACCOUNT}:recovery-point:3c1f7e42-9a0d-4b6e-8f21-5d7a9b0c1e2f`;

function rejection(body: unknown, p = policy): Error {
  try {
    parseRestoreRequest(body, p);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the request to be rejected');
}

describe('parseRestoreRequest', () => {
  it('accepts a full request and keeps every field', () => {
    const full = {
      RecoveryPointArn: EBS_POINT,
      ResourceType: 'EBS',
      Metadata: { availabilityZone: 'eu-west-1a' },
      IamRoleArn: OTHER_ROLE,
      IdempotencyToken: 'tok-1',
      CopySourceTagsToRestoredResource: false,
    };
    // Every field kept as given, and nothing else but the kind.
    expect(parseRestoreRequest(structuredClone(full), policy)).toStrictEqual({
      kind: 'recovery-point',
      ...full,
    });
  });

  it('accepts the minimal request: RecoveryPointArn and Metadata', () => {
    expect(parseRestoreRequest({ RecoveryPointArn: BACKUP_POINT, Metadata: {} }, policy)).toStrictEqual({
      kind: 'recovery-point',
      RecoveryPointArn: BACKUP_POINT,
      Metadata: {},
    });
  });

  it.each([
    ['not an object', 'x', /must be a JSON object/],
    ['null', null, /got null/],
    ['an array', [1], /got an array/],
    ['no RecoveryPointArn', { Metadata: {} }, /RecoveryPointArn is required/],
    ['no Metadata', { RecoveryPointArn: BACKUP_POINT }, /Metadata is required/],
    [
      'a malformed ARN',
      { RecoveryPointArn: 'arn:aws:backup:nope', Metadata: {} },
      /not a recovery point ARN/,
    ],
    [
      'an unknown type',
      { RecoveryPointArn: BACKUP_POINT, ResourceType: 'Floppy', Metadata: {} },
      /ResourceType "Floppy" is not one/,
    ],
    [
      'a number in Metadata',
      { RecoveryPointArn: BACKUP_POINT, Metadata: { size: 100 } },
      /Metadata.size must be a string.*"100"/,
    ],
    [
      'an object in Metadata',
      { RecoveryPointArn: BACKUP_POINT, Metadata: { a: { b: 'c' } } },
      /Metadata.a must be a string/,
    ],
    [
      'an array as Metadata',
      { RecoveryPointArn: BACKUP_POINT, Metadata: ['a'] },
      /Metadata must be an object/,
    ],
    [
      'an EBS restore without availabilityZone',
      { RecoveryPointArn: EBS_POINT, ResourceType: 'EBS', Metadata: {} },
      /EBS restore needs availabilityZone/,
    ],
    [
      'an RDS restore without DBInstanceIdentifier',
      { RecoveryPointArn: BACKUP_POINT, ResourceType: 'RDS', Metadata: { x: 'y' } },
      /RDS restore needs DBInstanceIdentifier/,
    ],
    [
      'copying tags on DynamoDB',
      {
        RecoveryPointArn: BACKUP_POINT,
        ResourceType: 'DynamoDB',
        Metadata: { targetTableName: 't' },
        CopySourceTagsToRestoredResource: true,
      },
      /makes AWS fail DynamoDB restores/,
    ],
    [
      'copying tags with no type',
      { RecoveryPointArn: BACKUP_POINT, Metadata: {}, CopySourceTagsToRestoredResource: true },
      /needs ResourceType/,
    ],
    [
      'a string for the copy flag',
      { RecoveryPointArn: BACKUP_POINT, Metadata: {}, CopySourceTagsToRestoredResource: 'true' },
      /must be true or false/,
    ],
    [
      'an unknown field',
      { RecoveryPointArn: BACKUP_POINT, Metadata: {}, metadata: {} },
      /unknown field\(s\) "metadata"/,
    ],
    [
      'a reserved Metadata key',
      { RecoveryPointArn: BACKUP_POINT, Metadata: { constructor: 'x' } },
      /Metadata key "constructor" is not a valid key/,
    ],
    [
      'a control character in a value',
      { RecoveryPointArn: BACKUP_POINT, Metadata: { a: 'x\u0001' } },
      /control characters/,
    ],
    [
      'a huge value',
      { RecoveryPointArn: BACKUP_POINT, Metadata: { a: 'x'.repeat(20_000) } },
      /at most 16384/,
    ],
    [
      'a bad token',
      { RecoveryPointArn: BACKUP_POINT, Metadata: {}, IdempotencyToken: 'has space' },
      /IdempotencyToken must be/,
    ],
  ])('rejects %s with InvalidRequestError', (_name, body, message) => {
    const error = rejection(body);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.message).toMatch(message);
  });

  it('lists every problem at once', () => {
    const error = rejection({ RecoveryPointArn: 'nope', ResourceType: 'Floppy', Metadata: { a: 1 } });
    expect(error.message).toContain('RecoveryPointArn is not a recovery point ARN');
    expect(error.message).toContain('ResourceType "Floppy" is not one AWS Backup restores');
    expect(error.message).toContain('Metadata.a must be a string');
  });

  it.each([
    [
      'a role outside the allowlist',
      { RecoveryPointArn: BACKUP_POINT, Metadata: {}, IamRoleArn: `arn:aws:iam::${ACCOUNT}:role/Admin` },
      /not on this deployment's list of restore roles/,
    ],
    [
      'another account',
      { RecoveryPointArn: `arn:aws:backup:${REGION}:210987654321:recovery-point:abc`, Metadata: {} },
      /belongs to account "210987654321"/,
    ],
    [
      'another Region',
      { RecoveryPointArn: `arn:aws:backup:us-east-1:${ACCOUNT}:recovery-point:abc`, Metadata: {} },
      /in Region "us-east-1"/,
    ],
    [
      'another partition',
      { RecoveryPointArn: `arn:aws-cn:backup:${REGION}:${ACCOUNT}:recovery-point:abc`, Metadata: {} },
      /partition "aws-cn"/,
    ],
  ])('refuses %s with ForbiddenRequestError', (_name, body, message) => {
    const error = rejection(body);
    expect(error).toBeInstanceOf(ForbiddenRequestError);
    expect(error.message).toMatch(message);
  });

  it('needs BackupVaultName, from the allowlist, when a vault allowlist is set', () => {
    const vaulted = testConfig({ ALLOWED_BACKUP_VAULTS: 'prod-vault' });
    expect(rejection({ RecoveryPointArn: BACKUP_POINT, Metadata: {} }, vaulted).message).toMatch(
      /BackupVaultName is required/,
    );
    expect(
      rejection({ RecoveryPointArn: BACKUP_POINT, Metadata: {}, BackupVaultName: 'other' }, vaulted),
    ).toBeInstanceOf(ForbiddenRequestError);
    expect(
      parseRestoreRequest(
        { RecoveryPointArn: BACKUP_POINT, Metadata: {}, BackupVaultName: 'prod-vault' },
        vaulted,
      ),
    ).toMatchObject({
      BackupVaultName: 'prod-vault',
    });
  });

  it('matches DynamoDB keys without regard to case', () => {
    expect(
      parseRestoreRequest(
        { RecoveryPointArn: BACKUP_POINT, ResourceType: 'DynamoDB', Metadata: { TargetTableName: 't' } },
        policy,
      ),
    ).toMatchObject({ ResourceType: 'DynamoDB' });
  });

  it('does not let __proto__ in Metadata touch prototypes', () => {
    const error = rejection(
      JSON.parse(`{"RecoveryPointArn":"${BACKUP_POINT}","Metadata":{"__proto__":{"polluted":"yes"}}}`),
    );
    expect(error.message).toMatch(/Metadata key "__proto__"/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('buildStartRestoreJobInput', () => {
  const request = parseRestoreRequest(
    { RecoveryPointArn: EBS_POINT, ResourceType: 'EBS', Metadata: { availabilityZone: 'eu-west-1a' } },
    policy,
  );
  if (request.kind !== 'recovery-point') throw new Error('unexpected');

  it('fills in the default role and a derived token', () => {
    const input = buildStartRestoreJobInput(request, { restoreRoleArn: ROLE });
    expect(input).toStrictEqual({
      RecoveryPointArn: EBS_POINT,
      Metadata: { availabilityZone: 'eu-west-1a' },
      IamRoleArn: ROLE,
      ResourceType: 'EBS',
      IdempotencyToken: deriveIdempotencyToken({
        RecoveryPointArn: EBS_POINT,
        Metadata: { availabilityZone: 'eu-west-1a' },
        IamRoleArn: ROLE,
        ResourceType: 'EBS',
      }),
    });
    expect(input.IdempotencyToken).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('derives the same token for the same request whatever the key order, and another for another request', () => {
    const a = deriveIdempotencyToken({ RecoveryPointArn: 'x', Metadata: { a: '1', b: '2' } });
    const b = deriveIdempotencyToken({ Metadata: { b: '2', a: '1' }, RecoveryPointArn: 'x' });
    const c = deriveIdempotencyToken({ RecoveryPointArn: 'x', Metadata: { a: '1', b: '3' } });
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it("keeps the caller's token, and replaces it only for a retry after a failed job", () => {
    const withToken = { ...request, IdempotencyToken: 'ticket-1' };
    expect(buildStartRestoreJobInput(withToken, { restoreRoleArn: ROLE }).IdempotencyToken).toBe('ticket-1');
    const retry = buildStartRestoreJobInput(withToken, {
      restoreRoleArn: ROLE,
      generation: 'job-1',
    }).IdempotencyToken;
    expect(retry).not.toBe('ticket-1');
    expect(
      buildStartRestoreJobInput(request, { restoreRoleArn: ROLE, generation: 'job-1' }).IdempotencyToken,
    ).not.toBe(buildStartRestoreJobInput(request, { restoreRoleArn: ROLE }).IdempotencyToken);
  });
});

describe('withArticle', () => {
  it('reads a resource type aloud: an EBS, an S3, an Aurora, a DynamoDB, a Neptune', () => {
    expect(
      [
        'EBS',
        'EC2',
        'EFS',
        'FSx',
        'RDS',
        'S3',
        'Aurora',
        'DynamoDB',
        'DocumentDB',
        'Neptune',
        'Redshift',
        'CloudFormation',
      ].map(withArticle),
    ).toStrictEqual([
      'an EBS',
      'an EC2',
      'an EFS',
      'an FSx',
      'an RDS',
      'an S3',
      'an Aurora',
      'a DynamoDB',
      'a DocumentDB',
      'a Neptune',
      'a Redshift',
      'a CloudFormation',
    ]);
  });
});
