/**
 * Restores in a recovery account from a vault another account shares with it, through
 * the real handlers and SDK against the local endpoint, which finds a shared vault only when the
 * call names its owner's account (as a vault name is unique only within its owner's account).
 */

import {
  BackupClient,
  DescribeRecoveryPointCommand,
  GetRecoveryPointRestoreMetadataCommand,
  ListRecoveryPointsByBackupVaultCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-backup';
import type { EventBridgeEvent } from 'aws-lambda';
import { defaultSeed, type LocalPipeline, SHARING_ACCOUNT } from '../../../local/pipeline';
import { localClientConfig } from '../../../local/setup';
import { identitySuffix } from '../../../src/plan/metadata';
import { deriveIdempotencyToken } from '../../../src/plan/token';
import { deadLetters } from '../../helpers/dead-letters';
import { loadEvent, testConfig } from '../../helpers/fixtures';
import { localPipelines } from '../../helpers/pipeline';

type Event = EventBridgeEvent<string, any>;

const OWNER = SHARING_ACCOUNT;
const VAULT = 'member-lag-vault';
const DB = `arn:aws:rds:eu-west-1:${OWNER}:db:payments-db`;
const LATEST_DB_POINT = `arn:aws:backup:eu-west-1:${OWNER}:recovery-point:9d1c2b3a-4e5f-4a6b-8c7d-0e1f2a3b4c5d`;
const TABLE_POINT = `arn:aws:backup:eu-west-1:${OWNER}:recovery-point:2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e`;

let lines: Record<string, unknown>[] = [];
const start = localPipelines(() => ({
  seed: { ...defaultSeed(), timing: { runningAfterMs: 50, doneAfterMs: 200 } },
  visibilityTimeoutS: 0.5,
  asyncRetryDelaysMs: [20, 40],
  logSink: (line: string) => {
    lines.push(JSON.parse(line) as Record<string, unknown>);
  },
}));
beforeEach(() => {
  lines = [];
});

/** Backup calls the endpoint saw, per operation. */
const backupCalls = (p: LocalPipeline) =>
  Object.entries(p.aws.faults.counts)
    .filter(([op]) => /StartRestoreJob|Recovery|Vault|ByProtectedResource/.test(op))
    .reduce((sum, [, c]) => sum + (c.calls ?? 0), 0);

/** The handler lines that name a recovery point of this restore. */
const restoreLines = () =>
  lines.filter((l) =>
    ['Recovery point chosen', 'Starting restore job', 'Restore job started'].includes(String(l.message)),
  );

describe('restore from a vault another account shares', () => {
  it('restores a shared-vault recovery point by ARN, proving it is in the named vault of its owner', async () => {
    // With a vault allowlist the pipeline proves the point is in the vault (DescribeRecoveryPoint):
    // without the owner's account the endpoint answers ResourceNotFoundException, and the request
    // would be dead-lettered as "not in the vault".
    const p = await start({ env: { ALLOWED_BACKUP_VAULTS: `Default,${VAULT}` } });
    await p.submit(loadEvent('request-shared-vault.json'));
    await p.runUntilIdle();
    expect(deadLetters(p)).toStrictEqual([]);
    expect(p.aws.backup.jobs.map((j) => [j.RecoveryPointArn, j.AccountId, j.BackupVaultArn])).toStrictEqual([
      [TABLE_POINT, '123456789012', `arn:aws:backup:eu-west-1:${OWNER}:backup-vault:${VAULT}`],
    ]);
    expect(p.aws.faults.counts.DescribeRecoveryPoint?.calls).toBe(1);
    const started = lines.filter(
      (l) => l.message === 'Restore job started' || l.message === 'Starting restore job',
    );
    expect(started.length).toBeGreaterThan(0);
    for (const l of restoreLines()) {
      expect(l.sourceAccountId).toBe(OWNER);
    }
  });

  it('restores a resource of a source account by name from its shared vault, with the stored metadata and a new name', async () => {
    const p = await start();
    const request = { ResourceArn: DB, BackupVaultName: VAULT, Metadata: {} };
    await p.submit(request);
    await p.runUntilIdle();
    expect(deadLetters(p)).toStrictEqual([]);
    const job = p.aws.backup.jobs[0];
    expect(p.aws.backup.jobs).toHaveLength(1);
    expect(job?.RecoveryPointArn).toBe(LATEST_DB_POINT);
    // The metadata came from GetRecoveryPointRestoreMetadata on the owner's vault.
    const { kind: _k, ...identity } = {
      kind: 'resource',
      ResourceArn: DB,
      Metadata: {},
      BackupVaultName: VAULT,
    };
    expect(job?.Metadata).toStrictEqual({
      DBInstanceIdentifier: `payments-db-${identitySuffix(deriveIdempotencyToken(identity))}`,
      DBInstanceClass: 'db.t4g.medium',
      Engine: 'postgres',
      MultiAZ: 'false',
      DBSubnetGroupName: 'private',
    });
    expect(p.aws.faults.counts.ListRecoveryPointsByBackupVault?.calls).toBe(1);
    expect(p.aws.faults.counts.ListRecoveryPointsByResource?.calls ?? 0).toBe(0);
    const chosen = lines.find((l) => l.message === 'Recovery point chosen');
    expect(chosen).toMatchObject({
      sourceAccountId: OWNER,
      backupVaultName: VAULT,
      recoveryPointArn: LATEST_DB_POINT,
    });
  });

  it('restores on an alarm forwarded from the member account, from the vault its tags name', async () => {
    const p = await start();
    expect(await p.emit(loadEvent<Event>('alarm-shared-vault-rds.json'))).toBe('succeeded');
    await p.runUntilIdle();
    expect(deadLetters(p)).toStrictEqual([]);
    expect(p.aws.backup.jobs.map((j) => [j.ResourceType, j.RecoveryPointArn])).toStrictEqual([
      ['RDS', LATEST_DB_POINT],
    ]);
    expect(lines.find((l) => l.message === 'Recovery point chosen')).toMatchObject({
      sourceAccountId: OWNER,
    });
  });

  it('restores on an alarm mapped in ALARM_TARGETS with the vault and its owner named', async () => {
    const targets = {
      'restore-billing-db-corruption': {
        resourceArn: DB,
        backupVaultName: VAULT,
        backupVaultAccountId: OWNER,
        recoveryPoint: 'latest',
      },
    };
    const p = await start({ env: { ALARM_TARGETS: JSON.stringify(targets) } });
    expect(await p.emit(loadEvent<Event>('alarm-rds-instance.json'))).toBe('succeeded');
    await p.runUntilIdle();
    expect(deadLetters(p)).toStrictEqual([]);
    expect(p.aws.backup.jobs.map((j) => j.RecoveryPointArn)).toStrictEqual([LATEST_DB_POINT]);
  });

  it('refuses a recovery point of an unlisted account before any call, naming the setting to change', async () => {
    const p = await start({ env: { ALLOWED_SOURCE_ACCOUNT_IDS: '' } });
    await p.submit(loadEvent('request-shared-vault.json'));
    await p.submit({ ResourceArn: DB, BackupVaultName: VAULT });
    await p.runUntilIdle();
    const refused = deadLetters(p);
    expect(refused).toHaveLength(2);
    for (const letter of refused) {
      expect(letter.error.name).toBe('ForbiddenRequestError');
      expect(letter.sourceAccountId).toBe(OWNER);
      expect(letter.reason).toMatch(
        new RegExp(
          `account "${OWNER}"; this deployment restores from only account 123456789012: .*ALLOWED_SOURCE_ACCOUNT_IDS \\(stage parameter allowedSourceAccountIds\\)`,
        ),
      );
    }
    expect(backupCalls(p)).toBe(0);
    expect(p.aws.backup.jobs).toStrictEqual([]);
  });

  it('refuses a vault owner outside the listed accounts, and a shared-vault resource without a vault', async () => {
    const p = await start();
    await p.submit({ ResourceArn: 'arn:aws:rds:eu-west-1:210987654321:db:other-db', BackupVaultName: VAULT });
    await p.submit({ ResourceArn: DB });
    await p.runUntilIdle();
    const byResource = Object.fromEntries(
      deadLetters(p).map((l) => [(l.original as { body?: string }).body ?? '', l]),
    );
    const other = Object.values(byResource).find((l) => l.reason.includes('210987654321'));
    expect(other?.error.name).toBe('ForbiddenRequestError');
    const noVault = Object.values(byResource).find((l) => l.reason.includes('none is named'));
    expect(noVault?.error.name).toBe('InvalidRequestError');
    expect(noVault?.sourceAccountId).toBe(OWNER);
    expect(other?.sourceAccountId).toBe('210987654321');
    expect(p.aws.backup.jobs).toStrictEqual([]);
  });
});

describe('the local endpoint: a shared vault is found only with its owner account', () => {
  const client = (p: LocalPipeline) =>
    new BackupClient({ ...localClientConfig(p.aws.url, 'eu-west-1'), maxAttempts: 1 });

  it('answers DescribeRecoveryPoint, GetRecoveryPointRestoreMetadata and ListRecoveryPointsByBackupVault only with BackupVaultAccountId', async () => {
    const p = await start();
    const backup = client(p);
    const point = { BackupVaultName: VAULT, RecoveryPointArn: TABLE_POINT };
    for (const command of [
      new DescribeRecoveryPointCommand(point),
      new GetRecoveryPointRestoreMetadataCommand(point),
      new ListRecoveryPointsByBackupVaultCommand({ BackupVaultName: VAULT }),
    ]) {
      await expect(backup.send(command as never)).rejects.toBeInstanceOf(ResourceNotFoundException);
    }
    const described = await backup.send(
      new DescribeRecoveryPointCommand({ ...point, BackupVaultAccountId: OWNER }),
    );
    expect(described.BackupVaultArn).toBe(`arn:aws:backup:eu-west-1:${OWNER}:backup-vault:${VAULT}`);
    const metadata = await backup.send(
      new GetRecoveryPointRestoreMetadataCommand({ ...point, BackupVaultAccountId: OWNER }),
    );
    expect(metadata.RestoreMetadata).toStrictEqual({ targetTableName: 'payments' });
    const listed = await backup.send(
      new ListRecoveryPointsByBackupVaultCommand({ BackupVaultName: VAULT, BackupVaultAccountId: OWNER }),
    );
    expect(listed.RecoveryPoints?.map((r) => r.RecoveryPointArn).sort()).toStrictEqual(
      [
        LATEST_DB_POINT,
        TABLE_POINT,
        `arn:aws:backup:eu-west-1:${OWNER}:recovery-point:1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c00`,
      ].sort(),
    );
    // Another owner's vault of the same name is not the shared one.
    await expect(
      backup.send(new DescribeRecoveryPointCommand({ ...point, BackupVaultAccountId: '210987654321' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    backup.destroy();
  });

  it('lists by resource only the points of its own vaults (the call takes no owner account)', async () => {
    const p = await start();
    const backup = client(p);
    const { ListRecoveryPointsByResourceCommand } = await import('@aws-sdk/client-backup');
    const out = await backup.send(new ListRecoveryPointsByResourceCommand({ ResourceArn: DB }));
    expect(out.RecoveryPoints ?? []).toStrictEqual([]);
    backup.destroy();
  });
});

describe('ALLOWED_SOURCE_ACCOUNT_IDS at cold start', () => {
  it('is empty by default, and lists accounts without the deployment own', () => {
    expect(testConfig().sourceAccountIds).toStrictEqual([]);
    expect(
      testConfig({ ALLOWED_SOURCE_ACCOUNT_IDS: ` ${OWNER}, 123456789012,${OWNER}` }).sourceAccountIds,
    ).toStrictEqual([OWNER]);
  });

  it('refuses ids that are not accounts', () => {
    expect(() => testConfig({ ALLOWED_SOURCE_ACCOUNT_IDS: '4444,*' })).toThrow(
      /ALLOWED_SOURCE_ACCOUNT_IDS holds "4444".*\n.*ALLOWED_SOURCE_ACCOUNT_IDS holds "\*"/,
    );
  });

  it('holds ALARM_TARGETS to the same accounts, with the same message as requests', () => {
    const targets = JSON.stringify({ a: { resourceArn: DB, backupVaultName: VAULT } });
    expect(() => testConfig({ ALARM_TARGETS: targets })).toThrow(
      `ALARM_TARGETS["a"].resourceArn: ResourceArn belongs to account "${OWNER}"; this deployment restores from only account 123456789012: to restore from vaults shared by account ${OWNER}, add it to ALLOWED_SOURCE_ACCOUNT_IDS (stage parameter allowedSourceAccountIds)`,
    );
    const ok = testConfig({ ALARM_TARGETS: targets, ALLOWED_SOURCE_ACCOUNT_IDS: OWNER });
    expect(ok.alarmTargets.a?.resourceArn).toBe(DB);
    const badOwner = JSON.stringify({
      a: { resourceArn: DB, backupVaultName: VAULT, backupVaultAccountId: '210987654321' },
    });
    expect(() => testConfig({ ALARM_TARGETS: badOwner, ALLOWED_SOURCE_ACCOUNT_IDS: OWNER })).toThrow(
      /backupVaultAccountId: The backup vault belongs to account "210987654321".*ALLOWED_SOURCE_ACCOUNT_IDS/,
    );
  });
});
