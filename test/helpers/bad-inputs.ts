/**
 * The bad-input campaign's queue message bodies, each a named case: shared by the campaign
 * (test/integration/bad-input.test.ts) and the schema test (test/unit/schema.test.ts).
 */

import { gzipSync } from 'node:zlib';

const POINT = 'arn:aws:backup:eu-west-1:123456789012:recovery-point:3c1f7e42-9a0d-4b6e-8f21-5d7a9b0c1e2f';
const EBS = { RecoveryPointArn: POINT, ResourceType: 'EBS', Metadata: { availabilityZone: 'eu-west-1a' } };
export const GOOD = JSON.stringify({ ...EBS, IdempotencyToken: 'the-good-one' });
const req = (patch: Record<string, unknown>) => JSON.stringify({ ...EBS, ...patch });
const meta = (metadata: unknown) => JSON.stringify({ RecoveryPointArn: POINT, Metadata: metadata });
/** A request of `type` with its metadata, asking to copy the source's tags. */
const copyingTags = (type: string, metadata: Record<string, string>) =>
  req({ ResourceType: type, Metadata: metadata, CopySourceTagsToRestoredResource: true });
/** A valid JSON request of exactly 256 KiB, SQS's default maximum message size. */
function atMaxSize(): string {
  const shell = req({ Metadata: { availabilityZone: '' } });
  const body = shell.replace(
    '"availabilityZone":""',
    `"availabilityZone":"${'x'.repeat(262_144 - shell.length)}"`,
  );
  expect(Buffer.byteLength(body)).toBe(262_144);
  return body;
}
const nested = (depth: number) =>
  `{"RecoveryPointArn":"${POINT}","Metadata":${'['.repeat(depth)}${']'.repeat(depth)}}`;

/** [name, body, what the reason must say] */
export const BODIES: [string, string, RegExp][] = [
  ['not JSON', '{not json', /not valid JSON/],
  ['an empty body', '', /body is empty/],
  ['only whitespace', '  \n\t ', /body is empty/],
  ['JSON null', 'null', /must be a JSON object .*got null/],
  ['a JSON number', '42', /must be a JSON object .*got a number/],
  ['a JSON string', '"restore please"', /must be a JSON object .*got a string/],
  ['a JSON boolean', 'true', /must be a JSON object .*got a boolean/],
  ['an empty array', '[]', /must be a JSON object .*got an array/],
  ['an array of requests', `[${GOOD}]`, /must be a JSON object .*got an array/],
  ['truncated JSON', GOOD.slice(0, 60), /not valid JSON/],
  ['a body at the SQS maximum size', atMaxSize(), /at most 16384 are accepted/],
  ['garbage at the SQS maximum size', '#'.repeat(262_144), /not valid JSON/],
  ['deep nesting', nested(5_000), /Metadata must be an object of string values, got an array|not valid JSON/],
  ['an unknown field', req({ metadata: {} }), /unknown field\(s\) "metadata"; accepted fields are/],
  ['a field of another API', req({ RestoreJobId: 'x' }), /unknown field\(s\) "RestoreJobId"/],
  [
    'a __proto__ field',
    `{"__proto__": {"IamRoleArn": "arn:aws:iam::123456789012:role/Admin"}, ${GOOD.slice(1)}`,
    /unknown field\(s\) "__proto__"/,
  ],
  ['a constructor field', req({ constructor: { name: 'x' } }), /unknown field\(s\) "constructor"/],
  [
    '__proto__ in Metadata',
    `{"RecoveryPointArn":"${POINT}","Metadata":{"__proto__":{"polluted":"yes"}}}`,
    /Metadata key "__proto__" is not a valid key/,
  ],
  ['constructor in Metadata', meta({ constructor: 'x' }), /Metadata key "constructor" is not a valid key/],
  [
    'a control character in a value',
    meta({ availabilityZone: 'eu-west-1a\u0000' }),
    /Metadata.availabilityZone holds control characters/,
  ],
  [
    'a control character in the ARN',
    req({ RecoveryPointArn: `${POINT}\u0007` }),
    /RecoveryPointArn is not a recovery point ARN/,
  ],
  ['a lone surrogate in a value', meta({ availabilityZone: 'eu\ud800' }), /invalid Unicode/],
  [
    'a right-to-left override in the ARN',
    req({ RecoveryPointArn: `${POINT}\u202e` }),
    /not a recovery point ARN/,
  ],
  [
    'an emoji in the role',
    req({ IamRoleArn: 'arn:aws:iam::123456789012:role/🦄' }),
    /IamRoleArn must be an IAM role ARN/,
  ],
  ['a zero-width space in a key', meta({ 'availability\u200bZone': 'x' }), /is not a valid key/],
  ['not an ARN', req({ RecoveryPointArn: 'not-an-arn' }), /not a recovery point ARN \(expected e\.g\./],
  ['a truncated ARN', req({ RecoveryPointArn: 'arn:aws:backup' }), /not a recovery point ARN/],
  [
    'an ARN of another partition',
    req({ RecoveryPointArn: POINT.replace('arn:aws:', 'arn:aws-cn:') }),
    /partition "aws-cn"; this deployment restores only in "aws"/,
  ],
  [
    'an ARN of another Region',
    req({ RecoveryPointArn: POINT.replace('eu-west-1', 'us-east-1') }),
    /Region "us-east-1"; .*copy the recovery point to eu-west-1 first/,
  ],
  [
    'an ARN of another account',
    req({ RecoveryPointArn: POINT.replace('123456789012', '210987654321') }),
    /account "210987654321"; this deployment restores from only account 123456789012: .*ALLOWED_SOURCE_ACCOUNT_IDS/,
  ],
  ['an S3 bucket ARN', req({ RecoveryPointArn: 'arn:aws:s3:::bucket' }), /not a recovery point ARN/],
  [
    'a wildcard ARN',
    req({ RecoveryPointArn: 'arn:aws:backup:eu-west-1:123456789012:recovery-point:*' }),
    /not a recovery point ARN/,
  ],
  ['a number as ARN', req({ RecoveryPointArn: 12 }), /RecoveryPointArn must be a string, got a number/],
  ['an empty ARN', req({ RecoveryPointArn: '' }), /not a recovery point ARN/],
  [
    'no ARN',
    meta({ availabilityZone: 'a' }).replace(`"RecoveryPointArn":"${POINT}",`, ''),
    /RecoveryPointArn is required/,
  ],
  [
    'an unknown resource type',
    req({ ResourceType: 'Floppy' }),
    /ResourceType "Floppy" is not one AWS Backup restores; use one of Aurora/,
  ],
  ['a resource type in the wrong case', req({ ResourceType: 'ebs' }), /ResourceType "ebs" is not one/],
  ['a number as resource type', req({ ResourceType: 3 }), /ResourceType a number is not one/],
  ['an object in Metadata', meta({ a: { b: 'c' } }), /Metadata.a must be a string, got a object/],
  [
    'a number in Metadata',
    meta({ volumeSize: 100 }),
    /Metadata.volumeSize must be a string, got a number \(write numbers and booleans as strings/,
  ],
  ['a boolean in Metadata', meta({ Encrypted: true }), /Metadata.Encrypted must be a string, got a boolean/],
  ['null in Metadata', meta({ a: null }), /Metadata.a must be a string, got null/],
  ['an array as Metadata', meta(['a']), /Metadata must be an object of string values, got an array/],
  [
    'a string as Metadata',
    meta('availabilityZone=eu-west-1a'),
    /Metadata must be an object of string values, got a string/,
  ],
  [
    'a huge Metadata value',
    meta({ a: 'x'.repeat(20_000) }),
    /Metadata.a is 20000 characters long; at most 16384/,
  ],
  [
    'too many Metadata keys',
    meta(Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`k${i}`, 'v']))),
    /201 keys; at most 200/,
  ],
  ['a Metadata key too long', meta({ [`k${'x'.repeat(200)}`]: 'v' }), /is not a valid key/],
  ['no Metadata', JSON.stringify({ RecoveryPointArn: POINT }), /Metadata is required/],
  [
    'an EBS restore without availabilityZone',
    req({ Metadata: { volumeType: 'gp3' } }),
    /Metadata for an EBS restore needs availabilityZone/,
  ],
  [
    'an RDS restore without DBInstanceIdentifier',
    req({ ResourceType: 'RDS', Metadata: {} }),
    /RDS restore needs DBInstanceIdentifier/,
  ],
  [
    'an EFS restore without its keys',
    req({ ResourceType: 'EFS', Metadata: { newFileSystem: 'true' } }),
    /EFS restore needs CreationToken, Encrypted, PerformanceMode, file-system-id/,
  ],
  [
    'a DynamoDB restore without a table name',
    req({ ResourceType: 'DynamoDB', Metadata: {} }),
    /DynamoDB restore needs targetTableName/,
  ],
  [
    'a role outside the allowlist',
    req({ IamRoleArn: 'arn:aws:iam::123456789012:role/Admin' }),
    /IamRoleArn \S+ is not on this deployment's list of restore roles; leave it out to use the default restore role/,
  ],
  [
    'a role of another account',
    req({ IamRoleArn: 'arn:aws:iam::210987654321:role/AWSBackupDefaultServiceRole' }),
    /not on this deployment's list of restore roles/,
  ],
  [
    'a user ARN as role',
    req({ IamRoleArn: 'arn:aws:iam::123456789012:user/alice' }),
    /IamRoleArn must be an IAM role ARN/,
  ],
  [
    'copying tags on DynamoDB',
    copyingTags('DynamoDB', { targetTableName: 't' }),
    /makes AWS fail DynamoDB restores/,
  ],
  ['copying tags on S3', copyingTags('S3', { DestinationBucketName: 'b' }), /makes AWS fail S3 restores/],
  [
    'copying tags with no type',
    JSON.stringify({ RecoveryPointArn: POINT, Metadata: {}, CopySourceTagsToRestoredResource: true }),
    /needs ResourceType/,
  ],
  [
    'a string as the tag flag',
    req({ CopySourceTagsToRestoredResource: 'true' }),
    /must be true or false, got a string/,
  ],
  [
    'a token too long',
    req({ IdempotencyToken: 't'.repeat(200) }),
    /IdempotencyToken must be 1 to 128 printable/,
  ],
  ['a token with spaces', req({ IdempotencyToken: 'my token' }), /IdempotencyToken must be/],
  ['a number as token', req({ IdempotencyToken: 7 }), /IdempotencyToken must be .*got a number/],
  ['a bad vault name', req({ BackupVaultName: 'my vault!' }), /BackupVaultName must be a backup vault name/],
  [
    'both a recovery point and a resource',
    req({ ResourceArn: 'arn:aws:rds:eu-west-1:123456789012:db:x' }),
    /unknown field\(s\) "ResourceArn"/,
  ],
  ['a malformed resource ARN', JSON.stringify({ ResourceArn: 'orders-db' }), /ResourceArn is not an ARN/],
  [
    'a resource of another account',
    JSON.stringify({ ResourceArn: 'arn:aws:rds:eu-west-1:210987654321:db:x' }),
    /account "210987654321"/,
  ],
  [
    'a restore time that is no time',
    JSON.stringify({ ResourceArn: 'arn:aws:rds:eu-west-1:123456789012:db:x', RestoreTime: 'yesterday' }),
    /RestoreTime must be an ISO 8601 time/,
  ],
  [
    'a redriven dead letter with a broken original',
    JSON.stringify({
      kind: 'restore-dead-letter',
      version: 1,
      original: { trigger: 'sqs', body: '{"RecoveryPointArn":' },
      redriveCount: 1,
    }),
    /not valid JSON/,
  ],
];

/** A secret the campaign puts in bodies: it must never reach a reason or a log line. */
export const SECRET = 'CANARY-s3cr3t-4711';
const EBS_SNAPSHOT = {
  RecoveryPointArn: 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718',
  ResourceType: 'EBS',
  Metadata: { availabilityZone: 'eu-west-1a' },
};
/** Lambda's on-failure destination record around `event`, as anyone who can send to the queue can write it. */
const onFailure = (event: unknown) =>
  JSON.stringify({
    version: '1.0',
    requestContext: { condition: 'RetriesExhausted' },
    requestPayload: event,
    responseContext: { statusCode: 200 },
    responsePayload: { errorMessage: 'forged' },
  });
const alarmEvent = (name: string, tags: Record<string, string> = {}) => ({
  version: '0',
  id: `forged-${name}`,
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: '123456789012',
  time: '2026-11-26T10:00:01Z',
  region: 'eu-west-1',
  resources: [`arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}`],
  detail: {
    alarmName: name,
    alarmTags: tags,
    state: { value: 'ALARM', timestamp: '2026-11-26T10:00:00.000+0000' },
    previousState: { value: 'OK', timestamp: '2026-11-26T08:00:00.000+0000' },
    configuration: { metrics: [] },
  },
});

/**
 * Forged envelopes and hostile input through the request queue: [name, body (given the
 * id of a restore job that completed), what it must become]. None may start a restore.
 */
export const ENVELOPES: [string, (completedJobId: string) => string, RegExp | 'ignored'][] = [
  [
    'a body that is not JSON quoting a secret',
    () => `{"RecoveryPointArn": "x", "Metadata": {"dbPassword": "${SECRET}" "oops"}}`,
    /not valid JSON/,
  ],
  [
    'a failed-job dead letter for a job that completed',
    (jobId) =>
      JSON.stringify({
        kind: 'restore-dead-letter',
        version: 1,
        deadLetterId: 'a'.repeat(32),
        failure: 'restore-job-failed',
        reason: 'forged',
        error: { name: 'RestoreJobFailedError', message: 'forged', retryable: false },
        trigger: { type: 'restore-job-event', id: 'forged', attempt: 1 },
        failedAt: '2026-11-26T10:00:00.000Z',
        redriveCount: 0,
        original: { trigger: 'sqs', body: JSON.stringify({ ...EBS_SNAPSHOT, IdempotencyToken: 'forged' }) },
        restoreJob: { restoreJobId: jobId, status: 'FAILED' },
      }),
    /holds no record of that failure \(the job ended COMPLETED\)/,
  ],
  [
    'a job event claiming FAILED for a job that completed',
    (jobId) =>
      onFailure({
        version: '0',
        id: 'forged-job-event',
        'detail-type': 'Restore Job State Change',
        source: 'aws.backup',
        account: '123456789012',
        time: '2026-11-26T10:00:01Z',
        region: 'eu-west-1',
        resources: [],
        detail: { restoreJobId: jobId, status: 'FAILED', statusMessage: 'ATTACKER TEXT' },
      }),
    'ignored',
  ],
  [
    'an alarm that did not opt in',
    () => onFailure(alarmEvent('not-opted-in')),
    /has not opted in to restores/,
  ],
  [
    'an opted-in alarm named __proto__',
    () => onFailure(alarmEvent('__proto__', { 'backup-restore:enabled': 'true' })),
    /./,
  ],
  [
    'an opted-in alarm named constructor looking back 99999999999 hours',
    () =>
      onFailure(
        alarmEvent('constructor', {
          'backup-restore:enabled': 'true',
          'backup-restore:resource-arn': 'arn:aws:ec2:eu-west-1:123456789012:volume/vol-0c3d4e5f6a7b8c9d0',
          'backup-restore:recovery-point': 'look-back:99999999999h',
        }),
      ),
    // Through the request queue an alarm is not believed: refused before its tags are read.
    /believed only from the EventBridge rule/,
  ],
  [
    'a gzip bomb (64 MiB of zeros)',
    () =>
      JSON.stringify({
        kind: 'restore-dead-letter',
        failure: 'rejected',
        original: {
          trigger: 'sqs',
          bodyGzipBase64: gzipSync(Buffer.alloc(64 * 1024 * 1024)).toString('base64'),
        },
      }),
    /cannot be unpacked within 1048576 bytes/,
  ],
  [
    'an envelope nested 100,000 deep',
    () =>
      `{"kind":"restore-dead-letter","failure":"rejected","original":{"trigger":"eventbridge","event":{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}}}`,
    /./,
  ],
];
