/** Canary secrets in Metadata never reach a log line, metric, alert or dead-letter reason, whatever path they take. */

import type { EventBridgeEvent } from 'aws-lambda';
import { defaultSeed, type LocalPipeline, type LocalPipelineOptions } from '../../../local/pipeline';
import { deadLetters } from '../../helpers/dead-letters';
import { loadEvent } from '../../helpers/fixtures';
import { localPipelines } from '../../helpers/pipeline';

const CANARY = 'CANARY-7f3a91c2-do-not-log';
const POINT = 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718';

/** The ALARM_TARGETS entry of the sessions table, its metadata overriding `kmsMasterKeyArn`. */
const sessionsTarget = (kmsMasterKeyArn: string) => ({
  'restore-sessions-table-emptied': {
    resourceArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/sessions',
    metadata: { kmsMasterKeyArn },
  },
});

const start = localPipelines(() => ({}));

/**
 * Submits two requests with `value` in their Metadata that AWS quotes: one started and later failed
 * with the value in its status message, one refused at once with it in the error message.
 */
async function submitEchoed(p: LocalPipeline, value: string) {
  p.aws.backup.addFailureRule({
    metadata: { note: value },
    statusMessage: 'The restore failed on note {note}',
  });
  await p.submit({
    RecoveryPointArn: POINT,
    ResourceType: 'EBS',
    Metadata: { availabilityZone: 'eu-west-1a', note: value },
  });
  await p.submit({ RecoveryPointArn: POINT, ResourceType: 'EBS', Metadata: { availabilityZone: value } });
}

/** A local pipeline (closed after the test) logging at debug level into `lines`, with `targets` as ALARM_TARGETS. */
function canaryPipeline(lines: string[], targets: object, options: LocalPipelineOptions) {
  return start({
    ...options,
    logSink: (line) => lines.push(line),
    env: { LOG_LEVEL: 'debug', ALARM_TARGETS: JSON.stringify(targets) },
  });
}

it('keeps a Metadata secret out of every log line: success, rejection, AWS echo, async failure, alarm override, redrive', async () => {
  const lines: string[] = [];
  const p = await canaryPipeline(lines, sessionsTarget(CANARY), {
    // Longer than a loaded machine takes for a batch: a shorter one redelivers batches still in flight.
    visibilityTimeoutS: 2,
    asyncRetryDelaysMs: [20, 40],
  });
  await submitEchoed(p, CANARY);
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

/** Every source of metadata values, into every sink. */
describe('canaries from every source stay out of every sink', () => {
  const VOLUME = (id: string) => `arn:aws:ec2:eu-west-1:123456789012:volume/${id}`;
  const CALLER = 'CANARY-caller-5b2e';
  const TARGET_AT_ONCE = 'CANARY-target-at-once-91aa';
  const TARGET_LATER = 'CANARY-target-later-77c1';
  const STORED_AT_ONCE = 'CANARY-stored-at-once-3f0d';
  const STORED_LATER = 'CANARY-stored-later-c4e8';

  it('caller, ALARM_TARGETS overrides and stored recovery-point metadata never reach a log, metric, alert or dead-letter reason', async () => {
    const seed = defaultSeed();
    const point = (n: number, metadata: Record<string, string>) => ({
      RecoveryPointArn: `arn:aws:ec2:eu-west-1::snapshot/snap-0ca0a0a0a0a0a0a0${n}`,
      BackupVaultName: 'Default',
      ResourceArn: VOLUME(`vol-0ca0a0a0a0a0a0a0${n}`),
      ResourceType: 'EBS',
      CreationDate: '2026-11-26T03:00:00Z',
      Status: 'COMPLETED',
      RestoreMetadata: metadata,
    });
    seed.recoveryPoints.push(
      point(1, { availabilityZone: STORED_AT_ONCE, volumeType: 'gp3' }) as never,
      point(2, { availabilityZone: 'eu-west-1a', note: STORED_LATER }) as never,
    );
    const lines: string[] = [];
    const targets = {
      'restore-data-volume-stalled': {
        resourceArn: VOLUME('vol-0c3d4e5f6a7b8c9d0'),
        metadata: { availabilityZone: TARGET_AT_ONCE },
      },
      ...sessionsTarget(TARGET_LATER),
    };
    const p = await canaryPipeline(lines, targets, {
      seed,
      alerts: true,
      // Longer than any batch takes, as deployed: a redelivery in flight would double the letters.
      visibilityTimeoutS: 5,
      asyncRetryDelaysMs: [20, 40],
    });
    // AWS quotes a value in the status message of a job that fails after it started.
    p.aws.backup.addFailureRule({ metadata: { note: STORED_LATER }, statusMessage: 'Bad note {note}' });
    p.aws.backup.addFailureRule({
      metadata: { kmsMasterKeyArn: TARGET_LATER },
      statusMessage: 'KMS key {kmsMasterKeyArn} is not usable',
    });

    // Caller: fails later, refused at once, and a body that is not JSON (V8 quotes a snippet).
    await submitEchoed(p, CALLER);
    await p.submit(`{"RecoveryPointArn": "${POINT}", "Metadata": {"a": ${CALLER}}}`);
    // Stored metadata: a request by resource whose stored values AWS echoes at once, and later.
    await p.submit({ ResourceArn: VOLUME('vol-0ca0a0a0a0a0a0a01'), Metadata: {} });
    await p.submit({ ResourceArn: VOLUME('vol-0ca0a0a0a0a0a0a02'), Metadata: {} });
    // Target overrides: echoed at once (EBS zone) and later (DynamoDB KMS key).
    await p.emit(loadEvent('alarm-ebs-volume.json'));
    await p.emit(loadEvent('alarm-dynamodb-table.json'));
    await p.runUntilIdle();

    const letters = deadLetters(p);
    const failures = letters.map((l) => l.failure).sort();
    expect(failures).toStrictEqual([
      'rejected',
      'rejected',
      'rejected',
      'rejected',
      'restore-job-failed',
      'restore-job-failed',
      'restore-job-failed',
    ]);
    // AWS did quote every kind of value: the test exercises the echo, not an empty path.
    const quoted = p.aws.backup.jobs.map((j) => j.StatusMessage ?? '').join(' ');
    for (const value of [CALLER, STORED_LATER, TARGET_LATER]) expect(quoted).toContain(value);
    expect(p.aws.published).toHaveLength(3);

    const sinks = {
      log: lines.filter((l) => !l.includes('"_aws"')),
      metric: lines.filter((l) => l.includes('"_aws"')),
      alert: p.aws.published.map((m) => `${m.Subject ?? ''}\n${m.Message}`),
      reason: letters.flatMap((l) => [l.reason, l.error.message]),
    };
    expect(sinks.metric.length).toBeGreaterThan(0);
    for (const [sink, texts] of Object.entries(sinks)) {
      expect({ sink, leaks: texts.filter((t) => t.includes('CANARY')) }).toStrictEqual({ sink, leaks: [] });
    }
    // Every line stays JSON.
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  }, 60_000);
});

/** The default seed, the sessions table's recovery points carrying a stored canary. */
function storedCanarySeed() {
  const seed = defaultSeed();
  for (const point of seed.recoveryPoints) {
    if (point.ResourceArn.endsWith(':table/sessions'))
      point.RestoreMetadata = { ...(point.RestoreMetadata ?? {}), encryptionNote: STORED_CANARY };
  }
  return seed;
}
const STORED_CANARY = 'CANARY-stored-by-aws-9b1d';

it('keeps ALARM_TARGETS and stored recovery-point secrets out of the lines the reconciler writes for a job whose end event was lost', async () => {
  const lines: string[] = [];
  const p = await canaryPipeline(lines, sessionsTarget(CANARY), {
    visibilityTimeoutS: 2,
    // Every end event lost: only the reconciler sees the failure.
    jobEvents: { lossRate: 1, duplicateRate: 0, maxDelayMs: 0 },
    // The recovery point's stored metadata holds a value too, which AWS's message quotes.
    seed: storedCanarySeed(),
  });
  p.aws.backup.addFailureRule({
    metadata: { kmsMasterKeyArn: CANARY },
    statusMessage: 'The restore failed: key {kmsMasterKeyArn} is disabled, table {encryptionNote}',
  });
  await p.emit(loadEvent('alarm-dynamodb-table.json'));
  await p.runUntilIdle();
  const letters = deadLetters(p);
  expect(letters.map((l) => l.failure)).toStrictEqual(['restore-job-failed']);
  expect(lines.some((l) => l.includes('found by the reconciler'))).toBe(true);
  // AWS's message quoted both; a letter's reason and every line name neither.
  expect(letters[0]?.restoreJob?.statusMessage).toContain(STORED_CANARY);
  for (const line of lines) {
    expect(line).not.toContain(CANARY);
    expect(line).not.toContain(STORED_CANARY);
  }
  expect(letters[0]?.reason).not.toContain(CANARY);
  expect(letters[0]?.reason).not.toContain(STORED_CANARY);
});
