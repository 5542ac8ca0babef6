/** Restore on alarm, end to end: alarm events through the real handler, SDK and local endpoint. */

import type { EventBridgeEvent } from 'aws-lambda';
import { defaultSeed } from '../../../local/pipeline';
import { identitySuffix } from '../../../src/plan/metadata';
import { deriveIdempotencyToken } from '../../../src/plan/token';
import { deadLetters } from '../../helpers/dead-letters';
import { loadEvent } from '../../helpers/fixtures';
import { localPipelines } from '../../helpers/pipeline';

type Event = EventBridgeEvent<string, any>;
const start = localPipelines(() => ({
  seed: { ...defaultSeed(), pageSize: 1, timing: { runningAfterMs: 50, doneAfterMs: 300 } },
  // Longer than a loaded machine takes for a batch: a shorter one redelivers batches still in flight.
  visibilityTimeoutS: 2,
  asyncRetryDelaysMs: [20, 40],
}));

const token = (alarm: string, at: string) =>
  deriveIdempotencyToken({
    alarmArn: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${alarm}`,
    changedAt: at,
  });

describe('restore on alarm', () => {
  it.each([
    [
      'alarm-rds-instance.json',
      'RDS',
      'arn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-0b1c2d3e-1111-4e8f-9a6b-1c2d3e4f5a6b',
    ],
    [
      'alarm-aurora-cluster.json',
      'Aurora',
      'arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:awsbackup:job-0b1c2d3e-3333-4e8f-9a6b-1c2d3e4f5a6b',
    ],
    ['alarm-ec2-instance.json', 'EC2', 'arn:aws:ec2:eu-west-1::image/ami-0abcdef1234567890'],
    ['alarm-ebs-volume.json', 'EBS', 'arn:aws:ec2:eu-west-1::snapshot/snap-0c3d4e5f6a7b80003'],
    [
      'alarm-dynamodb-table.json',
      'DynamoDB',
      'arn:aws:backup:eu-west-1:123456789012:recovery-point:5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9',
    ],
    [
      'alarm-efs-filesystem.json',
      'EFS',
      'arn:aws:backup:eu-west-1:123456789012:recovery-point:6f7a8b9c-0d1e-4f2a-b3c4-d5e6f7a8b9c0',
    ],
    [
      'alarm-s3-bucket.json',
      'S3',
      'arn:aws:backup:eu-west-1:123456789012:recovery-point:7a8b9c0d-1e2f-4a3b-c4d5-e6f7a8b9c0d1',
    ],
    [
      'alarm-tagged.json',
      'RDS',
      'arn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-0b1c2d3e-2222-4e8f-9a6b-1c2d3e4f5a6b',
    ],
  ])('%s starts one %s restore from the right recovery point', async (file, type, recoveryPointArn) => {
    const p = await start();
    const event = loadEvent<Event>(file);
    expect(await p.emit(event)).toBe('succeeded');
    await p.runUntilIdle();
    expect(p.deadLetters()).toStrictEqual([]);
    expect(p.aws.backup.jobs.map((j) => [j.ResourceType, j.RecoveryPointArn])).toStrictEqual([
      [type, recoveryPointArn],
    ]);
    expect(p.aws.backup.jobs[0]?.IdempotencyToken).toBe(
      token(event.detail.alarmName, '2026-11-26T10:00:00.000Z'),
    );
  });

  it('gives an RDS restore the metadata a person would: stored values, informational keys dropped, a new name', async () => {
    const p = await start();
    await p.emit(loadEvent<Event>('alarm-rds-instance.json'));
    await p.runUntilIdle();
    const suffix = identitySuffix(token('restore-billing-db-corruption', '2026-11-26T10:00:00.000Z'));
    expect(p.aws.backup.jobs[0]?.Metadata).toStrictEqual({
      DBInstanceIdentifier: `billing-db-${suffix}`,
      DBInstanceClass: 'db.m6g.large',
      Engine: 'postgres',
      MultiAZ: 'true',
      DBSubnetGroupName: 'private',
    });
    expect(p.aws.backup.jobs[0]?.IamRoleArn).toBe(p.env.RESTORE_ROLE_ARN);
  });

  it('applies the mapping of a composite alarm, with its overrides and rule', async () => {
    const p = await start({
      env: {
        ALARM_TARGETS: JSON.stringify({
          'restore-checkout-composite': {
            resourceArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/sessions',
            metadata: { encryptionType: 'KMS' },
            recoveryPoint: 'latest',
          },
        }),
      },
    });
    await p.emit(loadEvent<Event>('alarm-composite.json'));
    await p.runUntilIdle();
    expect(p.aws.backup.jobs[0]?.Metadata).toMatchObject({
      encryptionType: 'KMS',
      targetTableName: expect.stringMatching(/^sessions-r/),
    });
  });

  it.each([
    ['alarm-composite.json', /composite alarm.*ALARM_TARGETS/],
    ['alarm-metric-math.json', /metric math alarm.*ALARM_TARGETS/],
  ])('dead-letters %s without a mapping, saying what to configure', async (file, reason) => {
    const p = await start();
    const event = loadEvent<Event>(file);
    expect(await p.emit(event)).toBe('succeeded');
    expect(deadLetters(p)).toMatchObject([
      {
        failure: 'rejected',
        original: { trigger: 'eventbridge', event },
        reason: expect.stringMatching(reason),
      },
    ]);
    expect(p.aws.backup.jobs).toHaveLength(0);
  });

  it.each([
    // Not into ALARM: the deployed rule does not match, so no function sees them.
    ['alarm-ok.json', 'unmatched'],
    ['alarm-insufficient-data.json', 'unmatched'],
    // ALARM to ALARM: the rule matches, the function ignores it.
    ['alarm-repeat.json', 'succeeded'],
  ])('does nothing for %s', async (file, delivery) => {
    const p = await start();
    expect(await p.emit(loadEvent<Event>(file))).toBe(delivery);
    await p.runUntilIdle();
    expect(p.aws.backup.jobs).toHaveLength(0);
    expect(p.deadLetters()).toStrictEqual([]);
  });

  it('dead-letters an alarm whose resource has no recovery point before the alarm, naming the resource and window', async () => {
    const seed = defaultSeed();
    seed.recoveryPoints = seed.recoveryPoints.filter((r) => !r.ResourceArn.endsWith('db:billing-db'));
    seed.recoveryPoints.push({
      RecoveryPointArn: 'arn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-after',
      BackupVaultName: 'Default',
      ResourceArn: 'arn:aws:rds:eu-west-1:123456789012:db:billing-db',
      ResourceType: 'RDS',
      CreationDate: '2026-11-26T10:30:00Z',
    });
    const p = await start({ seed });
    await p.emit(loadEvent<Event>('alarm-rds-instance.json'));
    expect(deadLetters(p).map((l) => l.reason)).toStrictEqual([
      'No COMPLETED or AVAILABLE recovery point of arn:aws:rds:eu-west-1:123456789012:db:billing-db in the vaults searched (Default, prod-vault, logs-vault) created at or before 2026-11-26T09:59:00.000Z: check the backup plan covers the resource, or choose another time or rule (latest, look-back:Nh)',
    ]);
  });

  it('starts one restore per resource while it runs: flapping alarms are skipped, each dead-lettered with the reason', async () => {
    // A job that outlasts the flaps on a loaded machine (each alarm takes several calls).
    const p = await start({
      seed: { ...defaultSeed(), pageSize: 1, timing: { runningAfterMs: 50, doneAfterMs: 4000 } },
    });
    const flaps = loadEvent<Event[]>('alarm-flapping.json');
    await p.emit(loadEvent<Event>('alarm-ebs-volume.json'));
    for (const flap of flaps) await p.emit(flap);
    await p.runUntilIdle();
    expect(p.aws.backup.jobs).toHaveLength(1);
    // A skipped recovery is never silent: its letter says why, and a redrive restores once it may.
    const skipped = deadLetters(p);
    expect(skipped.length).toBeGreaterThan(0);
    for (const letter of skipped) {
      expect([letter.error.name, letter.reason]).toStrictEqual([
        'RestoreSkippedError',
        expect.stringContaining(
          `restore job ${p.aws.backup.jobs[0]?.RestoreJobId} of this resource is still running`,
        ),
      ]);
    }
    // Once it has finished, the next transition into ALARM restores again.
    const later = loadEvent<Event>('alarm-ebs-volume.json');
    later.detail.state.timestamp = '2026-11-26T10:30:00.000+0000';
    await p.emit(later);
    await p.runUntilIdle();
    expect(p.aws.backup.jobs).toHaveLength(2);
  });

  it('starts one job when the same alarm transition is delivered twice', async () => {
    const p = await start();
    const event = loadEvent<Event>('alarm-dynamodb-table.json');
    await p.emit(event);
    await p.runUntilIdle();
    await p.emit(event);
    await p.runUntilIdle();
    expect(p.aws.backup.jobs).toHaveLength(1);
  });

  it('restores a queue request by resource the same way, before its RestoreTime', async () => {
    const p = await start();
    await p.submit({
      ResourceArn: 'arn:aws:ec2:eu-west-1:123456789012:volume/vol-0c3d4e5f6a7b8c9d0',
      RestoreTime: '2026-11-26T02:00:00Z',
      Metadata: { volumeType: 'io2' },
    });
    await p.runUntilIdle();
    expect(p.aws.backup.jobs.map((j) => [j.RecoveryPointArn, j.Metadata.volumeType])).toStrictEqual([
      ['arn:aws:ec2:eu-west-1::snapshot/snap-0c3d4e5f6a7b80002', 'io2'],
    ]);
  });

  it('dead-letters a request by resource of another account', async () => {
    const p = await start();
    await p.submit({ ResourceArn: 'arn:aws:ec2:eu-west-1:210987654321:volume/vol-0c3d4e5f6a7b8c9d0' });
    await p.runUntilIdle();
    expect(deadLetters(p)).toMatchObject([
      { error: { name: 'ForbiddenRequestError' }, reason: expect.stringMatching(/account "210987654321"/) },
    ]);
  });
});
