import {
  BackupClient,
  ListBackupVaultsCommand,
  ListRecoveryPointsByBackupVaultCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-backup';
import { mockClient } from 'aws-sdk-client-mock';
import { findRecoveryPoints, VAULT_NAMES_TTL_MS } from '../../src/aws/backup';

const RDS = 'arn:aws:rds:eu-west-1:123456789012:db:orders-db';
const point = (vault: string) => ({
  RecoveryPointArn: `arn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-${vault}`,
  BackupVaultName: vault,
  CreationDate: new Date('2026-11-26T03:00:00Z'),
  Status: 'COMPLETED' as const,
});

describe('ListBackupVaults on a warm instance', () => {
  const backup = mockClient(BackupClient);
  beforeEach(() => {
    backup.reset();
    jest.useFakeTimers({ now: new Date('2026-11-28T08:00:00Z'), doNotFake: ['setImmediate', 'nextTick'] });
  });
  afterEach(() => jest.useRealTimers());
  afterAll(() => backup.restore());

  it('lists the vaults once a minute and searches them at once in between', async () => {
    const client = new BackupClient({ region: 'eu-west-1' });
    backup.on(ListBackupVaultsCommand).resolves({ BackupVaultList: [{ BackupVaultName: 'Default' }] });
    backup.on(ListRecoveryPointsByBackupVaultCommand).resolves({ RecoveryPoints: [point('Default')] });
    for (let i = 0; i < 3; i++) {
      const found = await findRecoveryPoints(client, RDS, undefined);
      expect(found.vaultsSearched).toStrictEqual(['Default']);
      expect(found.points.map((p) => p.BackupVaultName)).toStrictEqual(['Default']);
    }
    expect(backup.commandCalls(ListBackupVaultsCommand)).toHaveLength(1);
    jest.setSystemTime(Date.now() + VAULT_NAMES_TTL_MS);
    await findRecoveryPoints(client, RDS, undefined);
    expect(backup.commandCalls(ListBackupVaultsCommand)).toHaveLength(2);
  });

  it('lists afresh when the cached vaults hold no point of the resource, or one of them is gone', async () => {
    const client = new BackupClient({ region: 'eu-west-1' });
    backup.on(ListBackupVaultsCommand).resolves({ BackupVaultList: [{ BackupVaultName: 'Default' }] });
    backup.on(ListRecoveryPointsByBackupVaultCommand).resolves({ RecoveryPoints: [] });
    await findRecoveryPoints(client, RDS, undefined);
    // A vault created since: the cached names find nothing, the fresh listing finds it.
    backup.on(ListBackupVaultsCommand).resolves({
      BackupVaultList: [{ BackupVaultName: 'Default' }, { BackupVaultName: 'new-vault' }],
    });
    backup
      .on(ListRecoveryPointsByBackupVaultCommand, { BackupVaultName: 'new-vault' })
      .resolves({ RecoveryPoints: [point('new-vault')] });
    const found = await findRecoveryPoints(client, RDS, undefined);
    expect(found.vaultsSearched).toStrictEqual(['Default', 'new-vault']);
    expect(found.points.map((p) => p.BackupVaultName)).toStrictEqual(['new-vault']);
    // A cached vault deleted since: its search fails, the fresh listing no longer names it.
    backup
      .on(ListRecoveryPointsByBackupVaultCommand, { BackupVaultName: 'Default' })
      .rejects(new ResourceNotFoundException({ message: 'Vault not found', $metadata: {} }));
    backup.on(ListBackupVaultsCommand).resolves({ BackupVaultList: [{ BackupVaultName: 'new-vault' }] });
    const after = await findRecoveryPoints(client, RDS, undefined);
    expect(after.vaultsSearched).toStrictEqual(['new-vault']);
    expect(backup.commandCalls(ListBackupVaultsCommand)).toHaveLength(3);
  });
});
