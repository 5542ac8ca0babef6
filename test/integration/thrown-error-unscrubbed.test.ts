/**
 * A retryable failure of an EventBridge request is rethrown to Lambda as it was, unscrubbed:
 * Lambda's runtime writes its errorMessage to the function's log (as "Invoke Error", outside the
 * pipeline's logger) and, once its retries run out, into the on-failure record in the dead-letter
 * queue, whose reason `restore-pipeline dead-letters` prints. When AWS's message echoes a Metadata
 * value (the pipeline's own premise: "AWS may echo them in any message"), it leaks there.
 */
import { createHandler } from '../../handlers/restore-from-event';
import { context } from '../helpers/fixtures';
import { pipeline, stopTables } from '../helpers/queue-pipeline';

afterEach(stopTables);

const SECRET = 'kms-key-alias-payroll-7731';

test('the error a failed event invocation throws carries no Metadata value', async () => {
  const p = await pipeline();
  const send = p.backup.send.bind(p.backup);
  (p.backup as unknown as { send: unknown }).send = async (command: { constructor: { name: string } }) => {
    if (command.constructor.name === 'StartRestoreJobCommand')
      throw Object.assign(new Error(`Service unavailable while validating kmsKeyId ${SECRET}`), {
        name: 'ServiceUnavailableException',
        $fault: 'server',
        $metadata: { httpStatusCode: 503 },
      });
    return send(command as never);
  };
  const handler = createHandler(p.deps);
  const event = {
    version: '0',
    id: 'evt-1',
    'detail-type': 'Restore Requested',
    source: 'backup-restore.requests',
    account: '123456789012',
    time: '2026-11-26T12:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail: {
      RecoveryPointArn: 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718',
      ResourceType: 'EBS',
      BackupVaultName: 'Default',
      Metadata: { availabilityZone: 'eu-west-1a', kmsKeyId: SECRET },
    },
  };
  const thrown = await handler(event as never, context).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(thrown).toBeDefined(); // retryable: Lambda retries it, then its on-failure record
  // The pipeline's own log lines are scrubbed ...
  expect((p.deps as unknown as { lines: string[] }).lines.join('\n')).not.toContain(SECRET);
  // ... what Lambda logs and puts in the on-failure record is not.
  expect(String(thrown?.message)).not.toContain(SECRET);
});
