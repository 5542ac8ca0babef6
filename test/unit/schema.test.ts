/**
 * The JSON Schema (schema/restore-request.schema.json) and the pipeline's checks agree: every
 * request sample in events/ and every body of the bad-input campaign gets the same verdict from
 * both, except the rules a schema cannot say (listed here and in docs/requests.md). Ajv (draft 2020-12)
 * validates; the checks are the functions' own parseRestoreRequest with the test configuration.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parseRestoreRequest } from '../../src/checks/request';
import { BODIES, GOOD } from '../helpers/bad-inputs';
import { loadEvent, testConfig } from '../helpers/fixtures';

const schema = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'schema', 'restore-request.schema.json'), 'utf8'),
);
const ajv = new Ajv2020({ allErrors: true });
const validate = ajv.compile(schema);
const policy = testConfig();

/**
 * Rules only the deployment's settings can decide, or that JSON Schema cannot express: the
 * checks refuse these and the schema lets them through. Each name is a bad-input case.
 * docs/requests.md lists the same rules under "The JSON Schema".
 */
const SCHEMA_CANNOT_SAY: Readonly<Record<string, string>> = {
  'an ARN of another partition': "the deployment's partition",
  'an ARN of another Region': "the deployment's Region",
  'an ARN of another account': "the deployment's account (ALLOWED_ACCOUNT_ID)",
  'a resource of another account': "the deployment's account (ALLOWED_ACCOUNT_ID)",
  'a role outside the allowlist': 'IamRoleArn on ALLOWED_RESTORE_ROLE_ARNS',
  'a role of another account': 'IamRoleArn on ALLOWED_RESTORE_ROLE_ARNS',
};

/** The same, among the samples in events/. */
const SAMPLES_SCHEMA_CANNOT_SAY: Readonly<Record<string, string>> = {
  'sqs-batch.json record 5': 'IamRoleArn on ALLOWED_RESTORE_ROLE_ARNS',
};

type Verdict = 'accepted' | 'refused';

/** What the schema says of a message body (text that is not JSON is refused before any schema). */
function schemaVerdict(body: string): Verdict {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return 'refused';
  }
  return validate(value) ? 'accepted' : 'refused';
}

function checksVerdict(body: string, config = policy): Verdict {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return 'refused';
  }
  try {
    parseRestoreRequest(value, config);
    return 'accepted';
  } catch {
    return 'refused';
  }
}

/** Every request body among the samples in events/. */
function sampleRequests(): [string, string][] {
  const batch = loadEvent<{ Records: { messageId: string; body: string }[] }>('sqs-batch.json');
  const event = loadEvent<{ detail: unknown }>('restore-requested.json');
  const afterStart = loadEvent<unknown[]>('restore-fails-after-start.json');
  return [
    ...batch.Records.map((r, i): [string, string] => [`sqs-batch.json record ${i + 1}`, r.body]),
    ['restore-requested.json detail', JSON.stringify(event.detail)],
    ...afterStart.map((r, i): [string, string] => [
      `restore-fails-after-start.json item ${i + 1}`,
      JSON.stringify(r),
    ]),
  ];
}

describe('the schema', () => {
  it('is a valid draft 2020-12 schema that ajv compiles in its default strict mode', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(ajv.validateSchema(schema)).toBe(true);
  });

  it('gives every request sample in events/ the same verdict as the checks', () => {
    const samples = sampleRequests();
    expect(samples.length).toBeGreaterThanOrEqual(10);
    const verdicts = samples.map(([name, body]) => ({
      name,
      schema: schemaVerdict(body),
      checks: checksVerdict(body),
    }));
    for (const v of verdicts) {
      const expected =
        v.name in SAMPLES_SCHEMA_CANNOT_SAY
          ? { ...v, checks: 'refused', schema: 'accepted' }
          : { ...v, schema: v.checks };
      expect(v).toStrictEqual(expected);
    }
    // The samples hold both good and bad requests.
    expect(new Set(verdicts.map((v) => v.checks))).toStrictEqual(new Set(['accepted', 'refused']));
  });

  it('lists only bad-input cases that exist', () => {
    const names = new Set(BODIES.map(([name]) => name));
    for (const name of Object.keys(SCHEMA_CANNOT_SAY)) expect(names).toContain(name);
  });

  it.each(BODIES)('gives the bad input "%s" the same verdict as the checks', (name, body) => {
    expect(checksVerdict(body)).toBe('refused');
    expect(schemaVerdict(body)).toBe(name in SCHEMA_CANNOT_SAY ? 'accepted' : 'refused');
  });

  it('accepts the good record of the campaign', () => {
    expect([schemaVerdict(GOOD), checksVerdict(GOOD)]).toStrictEqual(['accepted', 'accepted']);
  });

  const POINT = 'arn:aws:backup:eu-west-1:123456789012:recovery-point:p-1';
  const more: [string, unknown, Verdict][] = [
    [
      'a DynamoDB table name key in another case',
      { RecoveryPointArn: POINT, ResourceType: 'DynamoDB', Metadata: { TargetTableName: 't' } },
      'accepted',
    ],
    [
      'DynamoDB without the key',
      { RecoveryPointArn: POINT, ResourceType: 'DynamoDB', Metadata: { table: 't' } },
      'refused',
    ],
    [
      'copying tags on RDS',
      {
        RecoveryPointArn: POINT,
        ResourceType: 'RDS',
        Metadata: { DBInstanceIdentifier: 'x' },
        CopySourceTagsToRestoredResource: true,
      },
      'accepted',
    ],
    [
      'copying tags on Timestream',
      {
        RecoveryPointArn: POINT,
        ResourceType: 'Timestream',
        Metadata: { TableName: 'x' },
        CopySourceTagsToRestoredResource: true,
      },
      'refused',
    ],
    [
      'not copying tags without a type',
      { RecoveryPointArn: POINT, Metadata: {}, CopySourceTagsToRestoredResource: false },
      'accepted',
    ],
    [
      'an EC2 AMI',
      { RecoveryPointArn: 'arn:aws:ec2:eu-west-1::image/ami-0123456789abcdef0', Metadata: {} },
      'accepted',
    ],
    [
      'a by-resource request',
      { ResourceArn: 'arn:aws:rds:eu-west-1:123456789012:db:orders', RestoreTime: '2026-11-26T10:00:00Z' },
      'accepted',
    ],
    [
      'an S3 bucket by resource',
      { ResourceArn: 'arn:aws:s3:::bucket', Metadata: { NewBucket: 'true' } },
      'accepted',
    ],
    [
      'a by-resource request with a type',
      { ResourceArn: 'arn:aws:rds:eu-west-1:123456789012:db:o', ResourceType: 'RDS' },
      'refused',
    ],
    ['neither ARN', { Metadata: {} }, 'refused'],
    ['a vault name', { RecoveryPointArn: POINT, Metadata: {}, BackupVaultName: 'prod-vault' }, 'accepted'],
    ['a tab and a newline in a value', { RecoveryPointArn: POINT, Metadata: { a: 'x\ty\nz' } }, 'accepted'],
    ['an emoji in a value', { RecoveryPointArn: POINT, Metadata: { a: 'ok 🦄' } }, 'accepted'],
    [
      '201 keys',
      {
        RecoveryPointArn: POINT,
        Metadata: Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`k${i}`, 'v'])),
      },
      'refused',
    ],
    [
      '200 keys',
      {
        RecoveryPointArn: POINT,
        Metadata: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, 'v'])),
      },
      'accepted',
    ],
    [
      'a key of 128 characters',
      { RecoveryPointArn: POINT, Metadata: { [`k${'x'.repeat(127)}`]: 'v' } },
      'accepted',
    ],
    [
      'a key of 129 characters',
      { RecoveryPointArn: POINT, Metadata: { [`k${'x'.repeat(128)}`]: 'v' } },
      'refused',
    ],
    [
      'a value of 16,384 characters',
      { RecoveryPointArn: POINT, Metadata: { a: 'x'.repeat(16_384) } },
      'accepted',
    ],
    [
      'a token of 128 characters',
      { RecoveryPointArn: POINT, Metadata: {}, IdempotencyToken: 't'.repeat(128) },
      'accepted',
    ],
    ['Ready false', { RecoveryPointArn: POINT, Metadata: {}, Ready: false }, 'accepted'],
    ['Ready true by resource', { ResourceArn: 'arn:aws:s3:::bucket', Ready: true }, 'accepted'],
    [
      '15 Aurora readers',
      { RecoveryPointArn: POINT, Metadata: {}, Ready: { AuroraReaders: 15 } },
      'accepted',
    ],
    ['16 Aurora readers', { RecoveryPointArn: POINT, Metadata: {}, Ready: { AuroraReaders: 16 } }, 'refused'],
    ['0 Aurora readers', { RecoveryPointArn: POINT, Metadata: {}, Ready: { AuroraReaders: 0 } }, 'refused'],
    ['Ready as text', { RecoveryPointArn: POINT, Metadata: {}, Ready: 'false' }, 'refused'],
    ['Ready with another field', { RecoveryPointArn: POINT, Metadata: {}, Ready: { Readers: 1 } }, 'refused'],
    [
      'a drill that runs make-ready',
      { ...JSON.parse(GOOD), IdempotencyToken: undefined, Drill: { DeleteAfterHours: 0 }, Ready: true },
      'accepted',
    ],
    [
      'a drill that skips make-ready',
      { ...JSON.parse(GOOD), IdempotencyToken: undefined, Drill: { DeleteAfterHours: 0 }, Ready: false },
      'refused',
    ],
  ];
  it.each(more)('agrees with the checks on %s', (_name, request, verdict) => {
    const body = JSON.stringify(request);
    expect(checksVerdict(body)).toBe(verdict);
    expect(schemaVerdict(body)).toBe(verdict);
  });

  it('lets editors name it in $schema, which the CLI drops and the pipeline itself refuses', () => {
    const body = JSON.stringify({ $schema: './schema/restore-request.schema.json', ...JSON.parse(GOOD) });
    expect([schemaVerdict(body), checksVerdict(body)]).toStrictEqual(['accepted', 'refused']);
  });

  describe('rules a schema cannot say (the checks refuse, the schema accepts)', () => {
    it('a vault when the deployment restricts vaults (ALLOWED_BACKUP_VAULTS)', () => {
      const body = JSON.stringify({ RecoveryPointArn: POINT, Metadata: {} });
      const restricted = testConfig({ ALLOWED_BACKUP_VAULTS: 'prod-vault' });
      expect([checksVerdict(body, restricted), schemaVerdict(body)]).toStrictEqual(['refused', 'accepted']);
    });

    it('a RestoreTime that has the ISO form but is no time', () => {
      const body = JSON.stringify({
        ResourceArn: 'arn:aws:rds:eu-west-1:123456789012:db:o',
        RestoreTime: '2026-13-45Tnope',
      });
      expect([checksVerdict(body), schemaVerdict(body)]).toStrictEqual(['refused', 'accepted']);
    });

    it('a value over 16,384 UTF-16 units but within 16,384 characters (maxLength counts code points)', () => {
      const body = JSON.stringify({ RecoveryPointArn: POINT, Metadata: { a: '🦄'.repeat(9_000) } });
      expect([checksVerdict(body), schemaVerdict(body)]).toStrictEqual(['refused', 'accepted']);
    });
  });
});
