/**
 * The bad-input campaign: malformed and hostile inputs, each a named case. Every one must end in
 * the dead-letter queue with its original content and a reason a person can act on, leave the
 * other record of its batch alone, and never make the handler throw.
 */

import { gunzipSync } from 'node:zlib';
import { StartRestoreJobCommand } from '@aws-sdk/client-backup';
import { createHandler as createEventHandler } from '../handlers/restore-from-event';
import { createHandler as createQueueHandler } from '../handlers/restore-from-queue';
import { createHandler as createAlarmHandler } from '../handlers/restore-on-alarm';
import type { DeadLetter } from '../src/dead-letter';
import { context, loadEvent, sqsRecord } from './helpers/fixtures';
import { mockAws, restoreAws } from './helpers/mocks';

const POINT = 'arn:aws:backup:eu-west-1:123456789012:recovery-point:3c1f7e42-9a0d-4b6e-8f21-5d7a9b0c1e2f';
const EBS = { RecoveryPointArn: POINT, ResourceType: 'EBS', Metadata: { availabilityZone: 'eu-west-1a' } };
const GOOD = JSON.stringify({ ...EBS, IdempotencyToken: 'the-good-one' });
const req = (patch: Record<string, unknown>) => JSON.stringify({ ...EBS, ...patch });
const meta = (metadata: unknown) => JSON.stringify({ RecoveryPointArn: POINT, Metadata: metadata });
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
const BODIES: [string, string, RegExp][] = [
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
    /account "210987654321"; this deployment restores only recovery points of account 123456789012/,
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
    /Metadata for a EBS restore needs availabilityZone/,
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
    /not on this deployment's list of restore roles; leave IamRoleArn out/,
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
    req({
      ResourceType: 'DynamoDB',
      Metadata: { targetTableName: 't' },
      CopySourceTagsToRestoredResource: true,
    }),
    /makes AWS fail DynamoDB restores/,
  ],
  [
    'copying tags on S3',
    req({
      ResourceType: 'S3',
      Metadata: { DestinationBucketName: 'b' },
      CopySourceTagsToRestoredResource: true,
    }),
    /makes AWS fail S3 restores/,
  ],
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

function setup() {
  const mocks = mockAws();
  mocks.backup.on(StartRestoreJobCommand).resolves({ RestoreJobId: 'job-good' });
  return { ...mocks, letters: mocks.deadLetters };
}

afterEach(restoreAws);

function originalText(letter: DeadLetter | undefined): string | undefined {
  const original = letter?.original as { body?: string; bodyGzipBase64?: string } | undefined;
  if (original?.bodyGzipBase64 !== undefined)
    return gunzipSync(Buffer.from(original.bodyGzipBase64, 'base64')).toString();
  return original?.body;
}

describe('bad queue messages', () => {
  it('has at least 50 named cases', () => {
    expect(BODIES.length).toBeGreaterThanOrEqual(50);
    expect(new Set(BODIES.map(([name]) => name)).size).toBe(BODIES.length);
  });

  it.each(BODIES)(
    'dead-letters %s with its original and a reason, and leaves the good record alone',
    async (_name, body, reason) => {
      const { backup, deps, letters } = setup();
      const handler = createQueueHandler(deps);
      const response = await handler({ Records: [sqsRecord(body, 'bad'), sqsRecord(GOOD, 'good')] }, context);

      expect(response).toStrictEqual({ batchItemFailures: [] });
      expect(
        backup.commandCalls(StartRestoreJobCommand).map((c) => c.args[0].input.IdempotencyToken),
      ).toStrictEqual(['the-good-one']);
      const [letter, ...more] = letters();
      expect(more).toStrictEqual([]);
      expect(letter).toMatchObject({
        failure: 'rejected',
        error: { retryable: false },
        trigger: { type: 'sqs', id: 'bad' },
      });
      expect(letter?.reason).toMatch(reason);
      const redriven = body.includes('"kind":"restore-dead-letter"') ? JSON.parse(body).original.body : body;
      expect(originalText(letter)).toBe(redriven);
    },
  );
});

describe('bad events', () => {
  const restoreRequested = () => loadEvent<Record<string, any>>('restore-requested.json');
  const alarm = () => loadEvent<Record<string, any>>('alarm-rds-instance.json');
  const EVENTS: [string, 'event' | 'alarm', () => Record<string, any>, RegExp][] = [
    [
      'a restore-requested event without detail',
      'event',
      () => ({ ...restoreRequested(), detail: undefined }),
      /has no detail/,
    ],
    [
      'a restore-requested event with a string detail',
      'event',
      () => ({ ...restoreRequested(), detail: 'restore' }),
      /must be a JSON object/,
    ],
    [
      'a restore-requested event without detail-type',
      'event',
      () => ({ ...restoreRequested(), 'detail-type': undefined }),
      /detail-type is "undefined"/,
    ],
    [
      'a restore-requested event with a bad detail',
      'event',
      () => ({ ...restoreRequested(), detail: { RecoveryPointArn: 'x' } }),
      /not a recovery point ARN/,
    ],
    [
      'an alarm event without detail',
      'alarm',
      () => ({ ...alarm(), detail: undefined }),
      /has no detail\.alarmName|has no detail/,
    ],
    [
      'an alarm event without a name',
      'alarm',
      () => ({ ...alarm(), detail: { ...alarm().detail, alarmName: undefined } }),
      /has no detail\.alarmName/,
    ],
    [
      'an alarm event without any timestamp',
      'alarm',
      () => {
        const e = alarm();
        delete e.detail.state.timestamp;
        delete e.time;
        return e;
      },
      /has no readable state timestamp/,
    ],
    [
      'an alarm of another account',
      'alarm',
      () => ({ ...alarm(), account: '210987654321' }),
      /account "210987654321"/,
    ],
    [
      'an alarm without metrics',
      'alarm',
      () => ({ ...alarm(), detail: { ...alarm().detail, configuration: {} } }),
      /no dimension naming a restorable resource/,
    ],
    // Issue 11 item 12: hostile alarm input ends in a dead letter with a reason, never a crash.
    [
      'an alarm tag asking to look back 99999999999 hours',
      'alarm',
      () => ({
        ...alarm(),
        detail: {
          ...alarm().detail,
          alarmTags: {
            'backup-restore:resource-arn': 'arn:aws:rds:eu-west-1:123456789012:db:billing-db',
            'backup-restore:recovery-point': 'look-back:99999999999h',
          },
        },
      }),
      /looks back 99999999999 hours/,
    ],
    [
      'an alarm whose configuration.metrics is an object',
      'alarm',
      () => ({
        ...alarm(),
        detail: {
          ...alarm().detail,
          configuration: { metrics: { m1: alarm().detail.configuration.metrics[0] } },
        },
      }),
      /configuration\.metrics that is not a list/,
    ],
    [
      'an alarm whose dimensions are a list',
      'alarm',
      () => {
        const e = alarm();
        e.detail.configuration.metrics[0].metricStat.metric.dimensions = ['billing-db'];
        return e;
      },
      /no dimension naming a restorable resource/,
    ],
    [
      'an alarm tag margin that is not a number of seconds',
      'alarm',
      () => ({
        ...alarm(),
        detail: {
          ...alarm().detail,
          alarmTags: {
            'backup-restore:resource-arn': 'arn:aws:rds:eu-west-1:123456789012:db:billing-db',
            'backup-restore:margin-seconds': '-5',
          },
        },
      }),
      /margin-seconds must be a whole number of seconds/,
    ],
    [
      'an alarm of another partition',
      'alarm',
      () => ({ ...alarm(), resources: ['arn:aws-us-gov:cloudwatch:eu-west-1:123456789012:alarm:x'] }),
      /partition "aws-us-gov"/,
    ],
  ];

  it.each(EVENTS)('dead-letters %s and the invocation succeeds', async (_name, kind, make, reason) => {
    const { backup, deps, letters } = setup();
    const event = make();
    const handler = kind === 'event' ? createEventHandler(deps) : createAlarmHandler(deps);
    await expect(handler(event as never, context)).resolves.toBeUndefined();
    expect(backup.commandCalls(StartRestoreJobCommand)).toHaveLength(0);
    const [letter] = letters();
    expect(letter?.reason).toMatch(reason);
    expect(letter?.original).toStrictEqual({
      trigger: 'eventbridge',
      event: JSON.parse(JSON.stringify(event)),
    });
  });
});
