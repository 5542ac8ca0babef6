/**
 * A redriven dead letter whose processing failed retryably, and which then left the request queue
 * raw through the queue's redrive policy (Lambda throttled on the next receives, a crash or a
 * timeout on the last one, or the letter that could not be sent), sits in the dead-letter queue
 * unchanged: same deadLetterId, same original. Redriven again (a new SQS message id), it meets the
 * redrive claim the first, failed, delivery took, and is acknowledged as "redriven before": the
 * request is dropped, no job, no letter. Rule: every request is restored or dead-lettered.
 */

import { buildDeadLetter } from '../../src/letters/dead-letters';
import { context, sqsRecord } from '../helpers/fixtures';
import { pipeline, stopTables } from '../helpers/queue-pipeline';

afterEach(stopTables);

test('a raw-moved redriven letter, redriven again, restores (or is dead-lettered)', async () => {
  const p = await pipeline();
  const request = {
    RecoveryPointArn: 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718',
    ResourceType: 'EBS',
    Metadata: { availabilityZone: 'eu-west-1a' },
    BackupVaultName: 'Default',
  };
  const letter = buildDeadLetter({
    failure: 'retries-exhausted',
    error: Object.assign(new Error('throttled'), { name: 'ThrottlingException' }),
    trigger: { type: 'sqs', id: 'original-message', attempt: 5 },
    original: { trigger: 'sqs', body: JSON.stringify(request) },
    now: new Date('2026-11-26T11:00:00Z'),
  });
  const body = JSON.stringify(letter);

  // First redrive (message m-1): AWS Backup throttles; the record is handed back to SQS.
  const send = p.backup.send.bind(p.backup);
  let throttle = true;
  (p.backup as unknown as { send: unknown }).send = async (command: { constructor: { name: string } }) => {
    if (throttle && command.constructor.name === 'StartRestoreJobCommand')
      throw Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      });
    return send(command as never);
  };
  const first = (await p.handler({ Records: [sqsRecord(body, 'm-1', 1)] }, context)) as {
    batchItemFailures: { itemIdentifier: string }[];
  };
  expect(first.batchItemFailures).toStrictEqual([{ itemIdentifier: 'm-1' }]);
  // SQS moves m-1 raw to the dead-letter queue (receives throttled by Lambda, or a crash); the
  // operator redrives it again: message m-2, the very same body. AWS answers again.
  throttle = false;
  await p.handler({ Records: [sqsRecord(body, 'm-2', 1)] }, context);
  const jobs = p.backup.jobs.length;
  // Either a job started or a letter says why: never nothing.
  expect({ jobs, letters: p.letters.length }).not.toStrictEqual({ jobs: 0, letters: 0 });
});
