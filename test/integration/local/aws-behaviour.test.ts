/**
 * The restore-by-resource and alarm paths held against AWS as AWS documents it, through the real handlers, the real SDK
 * clients and the local endpoint (which is never kinder than AWS).
 */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BackupClient,
  DescribeRestoreJobCommand,
  ListRecoveryPointsByResourceCommand,
  StartRestoreJobCommand,
} from '@aws-sdk/client-backup';
import type { EventBridgeEvent } from 'aws-lambda';
import type { BackupSeed, SeedRecoveryPoint } from '../../../local/backup-service';
import { defaultSeed, type LocalPipeline, OPERATOR_ROLE, RESTORE_ROLE } from '../../../local/pipeline';
import { localClientConfig } from '../../../local/setup';
import { sleep } from '../../../local/time';
import {
  activeRestoreJobs,
  listBackupVaultNames,
  listRecoveryPointsInVault,
  startRestoreJob,
  storedRestoreMetadata,
} from '../../../src/aws/backup';
import { ConfigError, loadConfig } from '../../../src/config';
import { AwsCallError } from '../../../src/errors';
import { deadLetters } from '../../helpers/dead-letters';
import { loadEvent } from '../../helpers/fixtures';
import { localPipelines } from '../../helpers/pipeline';

type Event = EventBridgeEvent<string, any>;

const LEDGER = 'arn:aws:rds:eu-west-1:123456789012:db:ledger-db';
const CONTINUOUS = 'arn:aws:backup:eu-west-1:123456789012:recovery-point:continuous:db-ledger-7f3e2a19';
const AVAILABLE =
  'arn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-7f3e2a19-0001-4e8f-9a6b-1c2d3e4f5a6b';
const STACK = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/shop/5b6c7d80-ab12-11ef-9c3d-0a1b2c3d4e5f';
const HOUR = 3_600_000;

/** The default seed with the ledger-db continuous point created `daysAgo` days before now. */
function seedNow(daysAgo = 2, edit: (p: SeedRecoveryPoint) => SeedRecoveryPoint = (p) => p): BackupSeed {
  const seed = defaultSeed();
  return {
    ...seed,
    pageSize: 1,
    timing: { runningAfterMs: 50, doneAfterMs: 250 },
    recoveryPoints: seed.recoveryPoints.map((p) =>
      edit(
        p.RecoveryPointArn === CONTINUOUS
          ? { ...p, CreationDate: new Date(Date.now() - daysAgo * 24 * HOUR).toISOString() }
          : p,
      ),
    ),
  };
}

/** The point-in-time alarm sample, moved to `at` (its state change). */
function ledgerAlarm(at: Date, id = 'a1'): Event {
  const event = loadEvent<Event>('alarm-rds-point-in-time.json');
  event.id = id;
  event.time = at.toISOString();
  event.detail.state.timestamp = at.toISOString().replace('Z', '+0000');
  return event;
}

const start = localPipelines(() => ({
  seed: seedNow(),
  // Long enough that a slow, many-page search is never delivered twice on a loaded machine.
  visibilityTimeoutS: 5,
  asyncRetryDelaysMs: [20, 40],
}));

const served = (p: LocalPipeline, op: string) => p.aws.served[op] ?? 0;

describe('the vault of a point the listing by resource does not name', () => {
  it('the local listing by resource names the vault only for EFS and EC2, as AWS documents', async () => {
    const p = await start({ seed: { ...seedNow(), pageSize: 1000 } });
    const backup = p.deps.backup;
    const vaultOf = async (ResourceArn: string) =>
      (await backup.send(new ListRecoveryPointsByResourceCommand({ ResourceArn }))).RecoveryPoints?.map(
        (r) => r.BackupVaultName,
      );
    expect(await vaultOf(LEDGER)).toStrictEqual([undefined, undefined, undefined, undefined]);
    expect(await vaultOf('arn:aws:dynamodb:eu-west-1:123456789012:table/sessions')).toStrictEqual([
      undefined,
    ]);
    expect(await vaultOf('arn:aws:ec2:eu-west-1:123456789012:instance/i-0abcdef1234567890')).toStrictEqual([
      'Default',
    ]);
  });

  it('searches every vault (ListBackupVaults, then each vault filtered by the resource, all pages) when nothing names one', async () => {
    const p = await start({ seed: seedNow(0.5) });
    await p.submit({ ResourceArn: LEDGER, RestoreTime: '2026-11-26T06:30:00Z' });
    await p.runUntilIdle();
    expect(p.deadLetters()).toStrictEqual([]);
    expect(p.aws.backup.jobs.map((j) => [j.RecoveryPointArn, j.BackupVaultArn])).toStrictEqual([
      [AVAILABLE, 'arn:aws:backup:eu-west-1:123456789012:backup-vault:prod-vault'],
    ]);
    // Three vaults of one page each (pageSize 1): three calls to list them; then each vault.
    expect(served(p, 'ListBackupVaults')).toBe(3);
    expect(served(p, 'ListRecoveryPointsByResource')).toBe(0);
    // prod-vault holds 4 ledger points (4 pages), the other two vaults none (1 page each).
    expect(served(p, 'ListRecoveryPointsByBackupVault')).toBe(6);
  });

  it("searches only the target's own vault when it names one", async () => {
    const p = await start({
      env: {
        ALARM_TARGETS: JSON.stringify({
          'restore-ledger-db-corruption': { resourceArn: LEDGER, backupVaultName: 'prod-vault' },
        }),
      },
    });
    await p.emit(ledgerAlarm(new Date(Date.now() - HOUR)));
    await p.runUntilIdle();
    expect(p.aws.backup.jobs).toHaveLength(1);
    expect(served(p, 'ListBackupVaults')).toBe(0);
    expect(served(p, 'ListRecoveryPointsByBackupVault')).toBe(4);
  });

  it('uses the listing by resource alone for EC2 (one call per page, no vault search)', async () => {
    const p = await start();
    await p.emit(loadEvent<Event>('alarm-ec2-instance.json'));
    await p.runUntilIdle();
    expect(p.aws.backup.jobs.map((j) => j.ResourceType)).toStrictEqual(['EC2']);
    expect(served(p, 'ListBackupVaults')).toBe(0);
    expect(served(p, 'ListRecoveryPointsByBackupVault')).toBe(0);
    expect(served(p, 'ListRecoveryPointsByResource')).toBe(1);
  });

  it('searches the allowed vaults only, and a dead letter names the vaults searched', async () => {
    const p = await start({ env: { ALLOWED_BACKUP_VAULTS: 'Default,logs-vault' } });
    await p.submit({ ResourceArn: LEDGER });
    await p.runUntilIdle();
    expect(deadLetters(p).map((l) => [l.failure, l.reason])).toStrictEqual([
      [
        'rejected',
        `No COMPLETED or AVAILABLE recovery point of ${LEDGER} in the vaults searched (Default, logs-vault) at any time: check the backup plan covers the resource, or choose another time or rule (latest, look-back:Nh)`,
      ],
    ]);
    expect(served(p, 'ListBackupVaults')).toBe(0);
  });
});

describe('AVAILABLE is restorable, PARTIAL, EXPIRED and the rest are not', () => {
  it('takes the AVAILABLE point over later EXPIRED and PARTIAL ones', async () => {
    // A restore time before the continuous backup began: the snapshots decide.
    const p = await start({ seed: seedNow(0.5) });
    await p.submit({ ResourceArn: LEDGER, RestoreTime: '2026-11-26T09:00:00Z' });
    await p.runUntilIdle();
    expect(p.aws.backup.jobs.map((j) => [j.RecoveryPointArn, j.Status])).toStrictEqual([
      [AVAILABLE, 'COMPLETED'],
    ]);
  });

  it('the local StartRestoreJob refuses a PARTIAL or EXPIRED point and accepts an AVAILABLE one', async () => {
    const p = await start();
    const send = (arn: string) =>
      p.deps.backup.send(
        new StartRestoreJobCommand({
          RecoveryPointArn: arn,
          Metadata: { DBInstanceIdentifier: 'x' },
          ResourceType: 'RDS',
        }),
      );
    await expect(send(AVAILABLE.replace('0001', '0002'))).rejects.toMatchObject({
      name: 'InvalidRequestException',
    });
    await expect(send(AVAILABLE.replace('0001', '0003'))).rejects.toMatchObject({
      name: 'InvalidRequestException',
    });
    await expect(send(AVAILABLE)).resolves.toMatchObject({ RestoreJobId: expect.any(String) });
  });
});

describe('continuous points and point-in-time restore', () => {
  it("restores an alarm's continuous point to the state change minus the evaluation margin, to the second", async () => {
    const p = await start();
    const at = new Date(Math.floor((Date.now() - HOUR) / 1000) * 1000 + 750);
    expect(await p.emit(ledgerAlarm(at))).toBe('succeeded');
    await p.runUntilIdle();
    expect(p.deadLetters()).toStrictEqual([]);
    const [job, ...others] = p.aws.backup.jobs;
    expect(others).toStrictEqual([]);
    // "3 out of the last 3 datapoints" of a 60-second period: 180 seconds before the state change.
    const moment = `${new Date(Math.floor(at.getTime() / 1000) * 1000 - 180_000).toISOString().slice(0, 19)}Z`;
    expect(job).toMatchObject({ RecoveryPointArn: CONTINUOUS, ResourceType: 'RDS', Status: 'COMPLETED' });
    expect(job?.Metadata.RestoreTime).toBe(moment);
    expect(job?.Metadata.DBInstanceIdentifier).toMatch(/^ledger-db-r[0-9a-f]{7}$/);
  });

  it('takes the margin from the target when it sets one', async () => {
    const p = await start({
      env: {
        ALARM_TARGETS: JSON.stringify({
          'restore-ledger-db-corruption': { resourceArn: LEDGER, pointInTimeMarginSeconds: 900 },
        }),
      },
    });
    const at = new Date(Math.floor((Date.now() - HOUR) / 1000) * 1000);
    await p.emit(ledgerAlarm(at));
    await p.runUntilIdle();
    expect(p.aws.backup.jobs[0]?.Metadata.RestoreTime).toBe(
      `${new Date(at.getTime() - 900_000).toISOString().slice(0, 19)}Z`,
    );
  });

  it('falls back to the latest snapshot before the moment when no continuous point covers it', async () => {
    const p = await start({ seed: seedNow(0.5) });
    // The sample's state change (2026-11-26T10:00) is before the continuous backup began.
    await p.emit(loadEvent<Event>('alarm-rds-point-in-time.json'));
    await p.runUntilIdle();
    expect(p.aws.backup.jobs.map((j) => [j.RecoveryPointArn, j.Metadata.RestoreTime])).toStrictEqual([
      [AVAILABLE, undefined],
    ]);
  });

  it('never restores a continuous point without a moment: "latest" takes a snapshot', async () => {
    const p = await start();
    await p.submit({ ResourceArn: LEDGER });
    await p.runUntilIdle();
    expect(p.aws.backup.jobs.map((j) => j.RecoveryPointArn)).toStrictEqual([AVAILABLE]);
  });

  it('accepts the continuous ARN in a request, and refuses it without the type and its time key', async () => {
    const p = await start();
    const moment = `${new Date(Date.now() - HOUR).toISOString().slice(0, 19)}Z`;
    await p.submit({ RecoveryPointArn: CONTINUOUS, Metadata: { DBInstanceIdentifier: 'ledger-copy' } });
    await p.submit({
      RecoveryPointArn: CONTINUOUS,
      ResourceType: 'RDS',
      Metadata: { DBInstanceIdentifier: 'ledger-copy-2', RestoreTime: moment },
    });
    await p.runUntilIdle();
    expect(deadLetters(p).map((l) => l.reason)).toStrictEqual([
      expect.stringMatching(/continuous recovery point: give ResourceType and the moment/),
    ]);
    expect(
      p.aws.backup.jobs.map((j) => [j.RecoveryPointArn, j.Status, j.Metadata.RestoreTime]),
    ).toStrictEqual([[CONTINUOUS, 'COMPLETED', moment]]);
  });

  it('the local endpoint fails a continuous restore without its time key, or outside its window, as a job', async () => {
    const p = await start();
    const backup = p.deps.backup;
    const run = async (Metadata: Record<string, string>) => {
      const { RestoreJobId } = await backup.send(
        new StartRestoreJobCommand({ RecoveryPointArn: CONTINUOUS, ResourceType: 'RDS', Metadata }),
      );
      await p.runUntilIdle();
      for (let i = 0; i < 50; i++) {
        const job = await backup.send(new DescribeRestoreJobCommand({ RestoreJobId }));
        if (job.Status === 'COMPLETED' || job.Status === 'FAILED') return [job.Status, job.StatusMessage];
        await sleep(20);
      }
      return ['still running'];
    };
    expect(await run({ DBInstanceIdentifier: 'a' })).toStrictEqual([
      'FAILED',
      expect.stringMatching(/needs the time to restore to \(RestoreTime\)/),
    ]);
    expect(await run({ DBInstanceIdentifier: 'b', RestoreTime: '2026-01-01T00:00:00Z' })).toStrictEqual([
      'FAILED',
      expect.stringMatching(/outside the restorable window/),
    ]);
    const inside = `${new Date(Date.now() - HOUR).toISOString().slice(0, 19)}Z`;
    expect(await run({ DBInstanceIdentifier: 'c', RestoreTime: inside })).toStrictEqual([
      'COMPLETED',
      undefined,
    ]);
  });
});

describe('CopySourceTagsToRestoredResource', () => {
  const DYNAMO = 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/backup/01732617600000-a1b2c3d4';

  it('never sends false, so a DynamoDB restore that says false completes', async () => {
    const p = await start();
    await p.submit({
      RecoveryPointArn: DYNAMO,
      ResourceType: 'DynamoDB',
      Metadata: { targetTableName: 'orders-copy' },
      CopySourceTagsToRestoredResource: false,
    });
    await p.runUntilIdle();
    expect(p.aws.backup.jobs.map((j) => [j.Status, j.CopySourceTagsToRestoredResource])).toStrictEqual([
      ['COMPLETED', undefined],
    ]);
  });

  it('sends true on a type that supports it', async () => {
    const p = await start();
    await p.submit({ ResourceArn: LEDGER, CopySourceTagsToRestoredResource: true });
    await p.runUntilIdle();
    expect(p.aws.backup.jobs.map((j) => [j.Status, j.CopySourceTagsToRestoredResource])).toStrictEqual([
      ['COMPLETED', true],
    ]);
  });

  it('the local endpoint fails the job when the field is sent at all for an unsupported type', async () => {
    const p = await start();
    const { RestoreJobId } = await p.deps.backup.send(
      new StartRestoreJobCommand({
        RecoveryPointArn: DYNAMO,
        ResourceType: 'DynamoDB',
        Metadata: { targetTableName: 'orders-copy' },
        CopySourceTagsToRestoredResource: false,
      }),
    );
    await sleep(400);
    expect(await p.deps.backup.send(new DescribeRestoreJobCommand({ RestoreJobId }))).toMatchObject({
      Status: 'FAILED',
      StatusMessage: 'CopySourceTagsToRestoredResource is not supported for resource type DynamoDB',
    });
  });
});

describe('errors of every Backup call, sorted by their documented meaning', () => {
  let server: Server;
  let client: BackupClient;
  let answer: { status: number; type: string };
  beforeEach(async () => {
    server = createServer((_req, res) => {
      res.writeHead(answer.status, { 'content-type': 'application/json', 'x-amzn-errortype': answer.type });
      res.end(JSON.stringify({ Message: 'told by the test', Code: answer.type }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    client = new BackupClient({
      ...localClientConfig(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'eu-west-1'),
      maxAttempts: 1,
    });
  });
  afterEach(async () => {
    client.destroy();
    await new Promise((r) => server.close(r));
  });

  const calls: [string, () => Promise<unknown>][] = [
    ['StartRestoreJob', () => startRestoreJob(client, { RecoveryPointArn: AVAILABLE, Metadata: {} })],
    ['ListBackupVaults', () => listBackupVaultNames(client)],
    ['ListRecoveryPointsByBackupVault', () => listRecoveryPointsInVault(client, 'prod-vault', LEDGER)],
    ['GetRecoveryPointRestoreMetadata', () => storedRestoreMetadata(client, 'prod-vault', AVAILABLE)],
    ['ListRestoreJobsByProtectedResource', () => activeRestoreJobs(client, LEDGER)],
  ];
  it.each([
    [409, 'ConflictException', true],
    [400, 'InvalidResourceStateException', true],
    [500, 'DependencyFailureException', true],
    [503, 'ServiceUnavailableException', true],
    [400, 'LimitExceededException', false],
    [400, 'InvalidParameterValueException', false],
    [400, 'ResourceNotFoundException', false],
  ])('%s %s is retryable=%s on every call', async (status, type, retryable) => {
    answer = { status, type };
    for (const [operation, call] of calls) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AwsCallError);
      expect(error).toMatchObject({ awsErrorName: type, retryable });
      expect((error as Error).message).toMatch(new RegExp(`^${operation} failed with ${type}`));
    }
  });
});

describe('alarm dimensions', () => {
  it('takes FileSystemId under AWS/FSx as an FSx file system', async () => {
    const p = await start();
    await p.emit(loadEvent<Event>('alarm-fsx-filesystem.json'));
    await p.runUntilIdle();
    expect(p.deadLetters()).toStrictEqual([]);
    expect(p.aws.backup.jobs.map((j) => [j.ResourceType, j.SourceResourceArn])).toStrictEqual([
      ['FSx', 'arn:aws:fsx:eu-west-1:123456789012:file-system/fs-0a1b2c3d4e5f60789'],
    ]);
  });

  it('restores the cluster of an Aurora instance metric that names both', async () => {
    const p = await start();
    const event = loadEvent<Event>('alarm-aurora-cluster.json');
    event.detail.configuration.metrics[0].metricStat.metric.dimensions = {
      DBInstanceIdentifier: 'ledger-aurora-instance-1',
      DBClusterIdentifier: 'ledger-aurora',
    };
    await p.emit(event);
    await p.runUntilIdle();
    expect(p.aws.backup.jobs.map((j) => [j.ResourceType, j.SourceResourceArn])).toStrictEqual([
      ['Aurora', 'arn:aws:rds:eu-west-1:123456789012:cluster:ledger-aurora'],
    ]);
  });

  it('says to map a DocumentDB instance alarm to its cluster', async () => {
    const p = await start();
    const event = loadEvent<Event>('alarm-aurora-cluster.json');
    event.detail.configuration.metrics[0].metricStat.metric = {
      namespace: 'AWS/DocDB',
      name: 'CPUUtilization',
      dimensions: { DBInstanceIdentifier: 'docs-1' },
    };
    await p.emit(event);
    expect(deadLetters(p).map((l) => l.reason)).toStrictEqual([
      expect.stringMatching(/DocDB instance, which is backed up through its cluster/),
    ]);
  });

  it("builds the resource ARN in the event's partition, never a hard-coded arn:aws:", async () => {
    const p = await start();
    const event = loadEvent<Event>('alarm-rds-instance.json');
    event.region = 'cn-north-1';
    event.resources = ['arn:aws-cn:cloudwatch:cn-north-1:123456789012:alarm:restore-billing-db-corruption'];
    await p.emit(event);
    expect(deadLetters(p).map((l) => [l.error.name, l.reason])).toStrictEqual([
      [
        'ForbiddenRequestError',
        expect.stringContaining(
          'ResourceArn is in partition "aws-cn"; this deployment restores only in "aws"',
        ),
      ],
    ]);
  });
});

describe('CloudFormation composite points', () => {
  it('never picks a composite point, and the local endpoint refuses to restore one', async () => {
    const p = await start();
    await p.submit({ ResourceArn: STACK });
    await p.runUntilIdle();
    expect(deadLetters(p).map((l) => l.reason)).toStrictEqual([
      expect.stringMatching(/^No COMPLETED or AVAILABLE recovery point of arn:aws:cloudformation/),
    ]);
    expect(p.aws.backup.jobs).toStrictEqual([]);
    await expect(
      p.deps.backup.send(
        new StartRestoreJobCommand({
          RecoveryPointArn:
            'arn:aws:backup:eu-west-1:123456789012:recovery-point:8b9c0d1e-2f3a-4b5c-d6e7-f8a9b0c1d2e3',
          Metadata: { StackName: 'shop', ChangeSetName: 'restore' },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidRequestException', message: expect.stringMatching(/composite/) });
  });
});

describe('one active restore per resource even when the link write fails', () => {
  it('starts no job blind while an alarm flaps and every claim and link write fails: each alarm is kept by the on-failure destination', async () => {
    const p = await start({
      seed: { ...seedNow(), timing: { runningAfterMs: 100, doneAfterMs: 5_000 } },
      faults: {
        BatchWriteItem: { errorRates: { ServiceUnavailable: 1 } },
        PutItem: { errorRates: { ServiceUnavailable: 1 } },
      },
      maxAttempts: 1,
    });
    const at = Date.now() - HOUR;
    const outcomes = [];
    for (let i = 0; i < 4; i++)
      outcomes.push(await p.emit(ledgerAlarm(new Date(at + i * 120_000), `flap-${i}`)));
    await p.runUntilIdle();
    // No claim can be written, so none is proven: no alarm starts a restore blind (two could), and
    // each is given back and, once Lambda's retries are spent, kept by the on-failure destination.
    expect(p.aws.backup.jobs).toHaveLength(0);
    expect(outcomes).toStrictEqual(['destination', 'destination', 'destination', 'destination']);
    expect(p.deadLetters()).toHaveLength(4);
    expect(
      p.aws.faults.counts.BatchWriteItem?.ServiceUnavailable ??
        p.aws.faults.counts.PutItem?.ServiceUnavailable,
    ).toBeGreaterThan(0);
  });
});

describe('a redriven restore by resource gets a new name', () => {
  it('does not reuse the failed job name on the retry', async () => {
    const p = await start();
    p.aws.backup.addFailureRule({ recoveryPointArn: AVAILABLE, statusMessage: 'DBInstanceAlreadyExists' });
    await p.submit({ ResourceArn: LEDGER });
    await p.runUntilIdle();
    const [letter] = p.deadLetters();
    expect(letter).toBeDefined();
    p.aws.backup.clearFailureRules();
    p.aws.sqs.queues.get('restore-dead-letters')?.messages.splice(0);
    await p.submit(letter?.body ?? '');
    await p.runUntilIdle();
    const [failed, retried] = p.aws.backup.jobs;
    expect([failed?.Status, retried?.Status]).toStrictEqual(['FAILED', 'COMPLETED']);
    expect(retried?.Metadata.DBInstanceIdentifier).toMatch(/^ledger-db-r[0-9a-f]{7}$/);
    expect(retried?.Metadata.DBInstanceIdentifier).not.toBe(failed?.Metadata.DBInstanceIdentifier);
  });
});

describe('hostile alarm input', () => {
  it.each([
    [
      'a look-back of 99999999999 hours',
      (e: Event) => {
        e.detail.alarmTags = {
          'backup-restore:resource-arn': LEDGER,
          'backup-restore:recovery-point': 'look-back:99999999999h',
        };
      },
      /looks back 99999999999 hours: use 1 to 87600/,
    ],
    [
      'configuration.metrics as an object',
      (e: Event) => {
        e.detail.configuration.metrics = { m1: e.detail.configuration.metrics[0] };
      },
      /configuration.metrics that is not a list/,
    ],
    [
      'alarm tags that are not strings',
      (e: Event) => {
        e.detail.alarmTags = { 'backup-restore:resource-arn': ['x'] };
      },
      /must be a string/,
    ],
  ])('dead-letters %s with a reason (not a retryable crash)', async (_name, edit, reason) => {
    const p = await start();
    const event = loadEvent<Event>('alarm-rds-instance.json');
    edit(event);
    expect(await p.emit(event)).toBe('succeeded');
    expect(deadLetters(p).map((l) => [l.failure, l.reason])).toStrictEqual([
      ['rejected', expect.stringMatching(reason)],
    ]);
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'an alarm named %s reads no prototype of the mapping: its dimensions decide',
    async (name) => {
      const p = await start({
        env: { ALARM_TARGETS: JSON.stringify({ 'restore-other': { resourceArn: LEDGER } }) },
      });
      const event = loadEvent<Event>('alarm-rds-instance.json');
      event.detail.alarmName = name;
      // Opted in by its tag (a name like these cannot carry the prefix).
      (event.detail as { alarmTags?: Record<string, string> }).alarmTags = {
        'backup-restore:enabled': 'true',
      };
      event.resources = [`arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}`];
      await p.emit(event);
      await p.runUntilIdle();
      expect(p.deadLetters()).toStrictEqual([]);
      expect(p.aws.backup.jobs.map((j) => j.SourceResourceArn)).toStrictEqual([
        'arn:aws:rds:eu-west-1:123456789012:db:billing-db',
      ]);
    },
  );

  const env = {
    DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq',
    RESTORE_ROLE_ARN: RESTORE_ROLE,
    ALLOWED_RESTORE_ROLE_ARNS: `${RESTORE_ROLE},${OPERATOR_ROLE}`,
    AWS_REGION: 'eu-west-1',
    RESTORE_JOBS_TABLE: 'restore-jobs',
  };
  it.each([
    [
      'a __proto__ target',
      '{"__proto__": {"resourceArn": "arn:aws:rds:eu-west-1:123456789012:db:x"}}',
      /"__proto__", which is not an alarm name/,
    ],
    [
      'array metadata',
      JSON.stringify({ a: { resourceArn: LEDGER, metadata: ['x'] } }),
      /metadata must be an object of string values/,
    ],
    [
      'a role outside the allowlist',
      JSON.stringify({ a: { resourceArn: LEDGER, iamRoleArn: 'arn:aws:iam::123456789012:role/Admin' } }),
      /iamRoleArn: The role \S+ is not on this deployment's list of restore roles/,
    ],
    [
      'another account',
      JSON.stringify({ a: { resourceArn: 'arn:aws:rds:eu-west-1:999999999999:db:x' } }),
      /belongs to account "999999999999"/,
    ],
    [
      'another Region',
      JSON.stringify({ a: { resourceArn: 'arn:aws:rds:us-east-1:123456789012:db:x' } }),
      /is in Region "us-east-1"/,
    ],
    [
      'a huge look-back',
      JSON.stringify({ a: { resourceArn: LEDGER, recoveryPoint: 'look-back:99999999999h' } }),
      /looks back 99999999999 hours/,
    ],
    [
      'an unknown field',
      JSON.stringify({ a: { resourceArn: LEDGER, resourceARN: 'x' } }),
      /unknown field\(s\) resourceARN/,
    ],
  ])('stops at cold start on ALARM_TARGETS with %s', (_name, targets, problem) => {
    let error: unknown;
    try {
      loadConfig({ ...env, ALARM_TARGETS: targets });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(problem);
  });
});
