/**
 * Property: any JSON the request queue receives, including anything shaped like a dead
 * letter, a Lambda on-failure record, an alarm or a job event, ends as started, ignored or
 * dead-lettered with a reason: never a crash (a record reported failed), never two jobs.
 */

import { gzipSync } from 'node:zlib';
import {
  DescribeRestoreJobCommand,
  ListRecoveryPointsByResourceCommand,
  ListRestoreJobsByProtectedResourceCommand,
  StartRestoreJobCommand,
} from '@aws-sdk/client-backup';
import fc from 'fast-check';
import { createHandler } from '../../handlers/restore-from-queue';
import { context, sqsRecord } from '../helpers/fixtures';
import { mockAws, restoreAws } from '../helpers/mocks';

afterEach(restoreAws);

const POINT = 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718';
const request = fc.record(
  {
    RecoveryPointArn: fc.oneof(fc.constant(POINT), fc.string()),
    ResourceType: fc.constantFrom('EBS', 'RDS', 'S3', 'Floppy'),
    Metadata: fc.oneof(
      fc.constant({ availabilityZone: 'eu-west-1a' }),
      fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer())),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    IdempotencyToken: fc.oneof(fc.constant('tok-1'), fc.string()),
  },
  { requiredKeys: [] },
);
const anything = fc.jsonValue({ maxDepth: 4 });
const BOMB = gzipSync(Buffer.alloc(8 * 1024 * 1024)).toString('base64');
const jobEvent = fc.record({
  'detail-type': fc.constantFrom(
    'Restore Job State Change',
    'CloudWatch Alarm State Change',
    'Restore Requested',
  ),
  source: fc.constantFrom('aws.backup', 'aws.cloudwatch', 'backup-restore.requests'),
  id: fc.string(),
  account: fc.constantFrom('123456789012', '210987654321'),
  resources: fc.array(fc.string(), { maxLength: 2 }),
  detail: fc.oneof(
    fc.record(
      {
        restoreJobId: fc.constantFrom('job-1', 'job-2', ''),
        status: fc.constantFrom('FAILED', 'COMPLETED', 'ABORTED', 'RUNNING'),
        statusMessage: fc.string(),
      },
      { requiredKeys: [] },
    ),
    fc.record(
      {
        alarmName: fc.constantFrom('restore-x', '__proto__', 'constructor', 'toString', 'not-opted-in'),
        state: fc.record(
          { value: fc.constantFrom('ALARM', 'OK'), timestamp: fc.string() },
          { requiredKeys: [] },
        ),
        previousState: fc.record({ value: fc.constantFrom('ALARM', 'OK') }),
        alarmTags: fc.dictionary(
          fc.constantFrom(
            'backup-restore:enabled',
            'backup-restore:resource-arn',
            'backup-restore:recovery-point',
          ),
          fc.oneof(
            fc.constantFrom('true', 'look-back:99999999999h', 'arn:aws:rds:eu-west-1:123456789012:db:x'),
            fc.string(),
          ),
        ),
        configuration: fc.oneof(anything, fc.record({ metrics: anything })),
      },
      { requiredKeys: [] },
    ),
    request,
    anything,
  ),
});
const original = fc.oneof(
  fc.record({
    trigger: fc.constant('sqs'),
    body: fc.oneof(
      request.map((r) => JSON.stringify(r)),
      fc.string(),
    ),
  }),
  fc.record({ trigger: fc.constant('eventbridge'), event: fc.oneof(jobEvent, anything) }),
  fc.record({
    trigger: fc.constant('sqs'),
    bodyGzipBase64: fc.oneof(
      fc.base64String(),
      // A gzip bomb: 8 MiB of zeros, more than the pipeline unpacks.
      fc.constant(BOMB),
      request.map((r) => gzipSync(JSON.stringify(r)).toString('base64')),
    ),
  }),
  anything,
);
const deadLetter = fc.record(
  {
    kind: fc.constant('restore-dead-letter'),
    version: fc.constantFrom(1, 2, '1'),
    deadLetterId: fc.oneof(fc.stringMatching(/^[0-9a-f]{32}$/), fc.string()),
    failure: fc.constantFrom(
      'rejected',
      'retries-exhausted',
      'restore-job-failed',
      'restore-validation-failed',
      'x',
    ),
    reason: fc.string(),
    redriveCount: fc.oneof(fc.nat(), fc.string()),
    original,
    restoreJob: fc.record({
      restoreJobId: fc.constantFrom('job-1', 'job-2'),
      status: fc.constantFrom('FAILED', 'COMPLETED'),
    }),
  },
  { requiredKeys: ['kind'] },
);
const onFailureRecord = fc.record(
  {
    version: fc.constant('1.0'),
    requestContext: fc.oneof(fc.constant({ condition: 'RetriesExhausted' }), anything),
    requestPayload: fc.oneof(jobEvent, anything),
    responseContext: anything,
    responsePayload: anything,
  },
  { requiredKeys: ['requestContext', 'requestPayload'] },
);
const body = fc.oneof(
  anything.map((v) => JSON.stringify(v)),
  request.map((r) => JSON.stringify(r)),
  deadLetter.map((d) => JSON.stringify(d)),
  onFailureRecord.map((r) => JSON.stringify(r)),
  fc.string(),
);

it('any body ends started, ignored or dead-lettered with a reason: never a crash, never two jobs', async () => {
  await fc.assert(
    fc.asyncProperty(body, fc.integer({ min: 1, max: 5 }), async (text, receive) => {
      restoreAws();
      const { backup, deps, deadLetters } = mockAws();
      backup.on(StartRestoreJobCommand).resolves({ RestoreJobId: 'job-1' });
      // Every job AWS knows of completed; a resource has no running restore and no recovery point.
      backup.on(DescribeRestoreJobCommand).resolves({ RestoreJobId: 'job-1', Status: 'COMPLETED' });
      backup.on(ListRestoreJobsByProtectedResourceCommand).resolves({ RestoreJobs: [] });
      backup.on(ListRecoveryPointsByResourceCommand).resolves({ RecoveryPoints: [] });
      const record = sqsRecord(text, 'm-1', receive);
      const response = await createHandler(deps)({ Records: [record] }, context);

      const starts = backup.commandCalls(StartRestoreJobCommand).length;
      const letters = deadLetters();
      // Never a crash: the record is never reported failed (nothing here is retryable).
      expect(response).toStrictEqual({ batchItemFailures: [] });
      expect(starts).toBeLessThanOrEqual(1);
      expect(letters.length).toBeLessThanOrEqual(1);
      for (const letter of letters) {
        expect(letter.reason.length).toBeGreaterThan(10);
        expect(letter.error.name).not.toMatch(/^(TypeError|RangeError|SyntaxError|Error)$/);
      }
      // A started request is not also dead-lettered.
      if (starts === 1) expect(letters).toStrictEqual([]);
    }),
    { numRuns: 300 },
  );
}, 120_000);
