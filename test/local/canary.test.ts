/** A canary secret in Metadata never reaches a log line, whatever path the request takes. */

import type { EventBridgeEvent } from 'aws-lambda';
import { type LocalPipeline, startLocalPipeline } from '../../local/pipeline';
import { loadEvent } from '../helpers/fixtures';

const CANARY = 'CANARY-7f3a91c2-do-not-log';
const POINT = 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718';
let pipeline: LocalPipeline | undefined;

afterEach(async () => {
  await pipeline?.close();
  pipeline = undefined;
});

it('keeps a Metadata secret out of every log line: success, rejection, AWS echo, async failure, alarm override, redrive', async () => {
  const lines: string[] = [];
  const p = await startLocalPipeline({
    visibilityTimeoutS: 0.5,
    asyncRetryDelaysMs: [20, 40],
    logSink: (line) => lines.push(line),
    env: {
      LOG_LEVEL: 'debug',
      ALARM_TARGETS: JSON.stringify({
        'restore-sessions-table-emptied': {
          resourceArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/sessions',
          metadata: { kmsMasterKeyArn: CANARY },
        },
      }),
    },
  });
  pipeline = p;
  p.aws.backup.addFailureRule({
    metadata: { note: CANARY },
    statusMessage: 'The restore failed on note {note}',
  });

  // Started, and later failed with AWS quoting the value.
  await p.submit({
    RecoveryPointArn: POINT,
    ResourceType: 'EBS',
    Metadata: { availabilityZone: 'eu-west-1a', note: CANARY },
  });
  // Refused by AWS at once, quoting the value in its message.
  await p.submit({ RecoveryPointArn: POINT, ResourceType: 'EBS', Metadata: { availabilityZone: CANARY } });
  // Refused by the pipeline's own checks.
  await p.submit({ RecoveryPointArn: POINT, ResourceType: 'RDS', Metadata: { availabilityZone: CANARY } });
  await p.submit(`{"RecoveryPointArn": "${POINT}", "Metadata": {"a": "${CANARY}"}, "oops"`);
  // From an event, and from an alarm whose mapping carries the secret as an override.
  const event = loadEvent<EventBridgeEvent<string, Record<string, any>>>('restore-requested.json');
  event.detail.Metadata.CreationToken = CANARY;
  await p.emit(event);
  await p.emit(loadEvent('alarm-dynamodb-table.json'));
  await p.runUntilIdle();

  // Redrive everything that was dead-lettered.
  const letters = p.deadLetters();
  p.aws.sqs.queues.get('restore-dead-letters')?.messages.splice(0);
  for (const letter of letters) await p.submit(letter.body);
  await p.runUntilIdle();

  expect(lines.length).toBeGreaterThan(30);
  expect(letters.length).toBeGreaterThanOrEqual(4);
  expect(p.aws.backup.jobs.some((j) => j.StatusMessage?.includes(CANARY))).toBe(true);
  const leaks = lines.filter((line) => line.includes(CANARY) || line.includes('CANARY'));
  expect(leaks).toStrictEqual([]);
  // The dead letters themselves keep the original request whole, secret included.
  expect(letters.some((l) => l.body.includes(CANARY))).toBe(true);
}, 60_000);
