/**
 * The Metadata values that logs, alerts and dead-letter reasons must never show: those of an
 * original request, of this deployment's configuration, and of a restore job's recovery point.
 */

import type { BackupClient } from '@aws-sdk/client-backup';
import { storedRestoreMetadata } from '../aws/backup.js';
import type { NamedSecret } from '../types.js';
import { type Arrival, arrivalOf } from './decode.js';
import type { OriginalRequest } from './original.js';

/** Metadata values an original carries, from an event's detail or an SQS body (never throws). */
export function secretsOfOriginal(original: OriginalRequest): readonly string[] {
  return arrivalOf(original, { redriveCount: 0 }).secrets;
}

// The shape lives with the shared types (src/types.ts): the invocation scope carries it too.
export type { NamedSecret } from '../types.js';

/** The values of a Metadata object, each named by its key (`Metadata.<key>`). */
export function metadataSecrets(metadata: unknown, prefix = 'Metadata'): NamedSecret[] {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return [];
  return Object.entries(metadata).flatMap(([key, value]) =>
    typeof value === 'string' ? [[value, `${prefix}.${key}`] as const] : [],
  );
}

/** The Metadata values of what arrived, each named by its key, so that a mark says which field it hid. */
export function namedSecretsOf(arrival: Arrival): NamedSecret[] {
  if (arrival.kind === 'alarm' || arrival.kind === 'job-event' || !('value' in arrival.request)) return [];
  return metadataSecrets((arrival.request.value as { Metadata?: unknown } | null)?.Metadata);
}

/** The named Metadata values of an original request (from an event's detail or an SQS body). */
export function namedSecretsOfOriginal(original: OriginalRequest): NamedSecret[] {
  return namedSecretsOf(arrivalOf(original, { redriveCount: 0 }));
}

/**
 * The vault a backup vault ARN names (`arn:<partition>:backup:<region>:<owner>:backup-vault:<name>`),
 * with its owner's account when that is not `ownAccountId`: a vault another account shares, which
 * the calls that take `BackupVaultAccountId` find only with it (docs/aws-behaviour.md#b-vault-account-id).
 */
export function storedVaultOf(
  backupVaultArn: string | undefined,
  ownAccountId: string | undefined,
): { name: string; accountId?: string } | undefined {
  const m = /^arn:[^:]+:backup:[^:]*:(\d{12}):backup-vault:(.+)$/.exec(backupVaultArn ?? '');
  if (m === null) return undefined;
  const [, owner = '', name = ''] = m;
  return owner === ownAccountId ? { name } : { name, accountId: owner };
}

/**
 * Metadata values stored with the recovery point of a restore job (from its event's
 * recoveryPointArn and backupVaultArn; a shared vault is read with its owner's account): AWS may
 * quote them in the job's status message, and neither the request nor the job link holds them.
 * Best effort: [] when they cannot be read.
 */
export async function secretsOfStoredJob(
  backup: BackupClient,
  detail: { recoveryPointArn?: string; backupVaultArn?: string },
  ownAccountId: string,
): Promise<string[]> {
  const vault = storedVaultOf(detail.backupVaultArn, ownAccountId);
  if (vault === undefined || detail.recoveryPointArn === undefined) return [];
  try {
    const stored = await storedRestoreMetadata(backup, vault.name, detail.recoveryPointArn, vault.accountId);
    return Object.values(stored.metadata);
  } catch {
    return [];
  }
}
