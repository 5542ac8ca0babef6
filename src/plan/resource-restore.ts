/**
 * A restore by resource, planned: which of the resource's recovery points (within the selection's
 * window, or a continuous point at its moment), and the recovery point request that restores it
 * with the point's stored metadata, a new identity and the overrides. The points and the stored
 * metadata are read here (src/aws/backup.ts), alongside act/'s guard and claim.
 */

import { vaultOwnerOf, withSourceAccount } from '../arn.js';
import { type Candidate, findRecoveryPoints, storedRestoreMetadata } from '../aws/backup.js';
import type { DrillRequest, RecoveryPointRequest } from '../checks/checked-request.js';
import type { PointSelection } from '../config.js';
import { InvalidRequestError } from '../errors.js';
import type { Logger } from '../logger.js';
import {
  COPY_TAGS_UNSUPPORTED,
  isResourceType,
  missingMetadataKeys,
  withArticle,
} from '../resources/rules.js';
import type { Deps } from '../types.js';
import { restoredMetadata } from './metadata.js';
import { type Choice, chooseRecoveryPoint, pointInTimeKey, withRestoreTime } from './recovery-point.js';
import { type PlannedStart, plannedStart } from './start-input.js';
import { noRecoveryPoint, windowOf } from './window.js';

/**
 * The recovery point a selection picks among the points found, or the error that says where the
 * pipeline looked and in which window.
 */
export function choosePointOf(
  resourceArn: string,
  found: { readonly points: readonly Candidate[]; readonly vaultsSearched: readonly string[] | undefined },
  options: {
    readonly selection: PointSelection;
    /** The moment the selection is relative to (the alarm's state change, or the restore time). */
    readonly at: Date;
    readonly now: Date;
    readonly allowedVaults: readonly string[] | undefined;
  },
): Choice {
  const window = windowOf(options.selection, options.at);
  // The window ends at the moment to restore to, for a continuous point (none for "latest").
  const choice = chooseRecoveryPoint(found.points, {
    window,
    ...(window.notAfter === undefined ? {} : { pointInTime: window.notAfter }),
    now: options.now,
    ...(options.allowedVaults === undefined ? {} : { allowedVaults: options.allowedVaults }),
  });
  if (choice === undefined) throw noRecoveryPoint(resourceArn, window, found.vaultsSearched);
  return choice;
}

/** What the caller asked of a restore by resource, besides the resource. */
export interface ResourceRequestSpec {
  readonly overrides: Readonly<Record<string, string>>;
  readonly idempotencyToken: string;
  readonly iamRoleArn?: string;
  readonly copySourceTags?: boolean;
  /** A drill: the restore can only create a new resource (no override names a target). */
  readonly drill?: DrillRequest;
}

/**
 * The recovery point request for a chosen point: the stored metadata prepared (prepareMetadata),
 * the moment set for a point-in-time restore, checked for the keys its type needs. Throws
 * InvalidRequestError when it cannot be restored as asked. `failedRestoreJobId` (a retry after a
 * failed job) gives the restored resource another name.
 */
export function requestForChoice(
  choice: Choice,
  stored: { readonly resourceType: string; readonly metadata: Readonly<Record<string, string>> },
  spec: ResourceRequestSpec,
  failedRestoreJobId: string | undefined,
): RecoveryPointRequest {
  const point = choice.point;
  let metadata = restoredMetadata(stored.resourceType, stored.metadata, spec.overrides, {
    token: spec.idempotencyToken,
    failedRestoreJobId,
    drill: spec.drill !== undefined,
  });
  if (choice.kind === 'point-in-time') {
    // Never a continuous point without its moment: without it AWS would restore the latest
    // (already damaged) state, or fail. docs/aws-behaviour.md#continuous-restore-keys
    const timed = withRestoreTime(stored.resourceType, metadata, choice.restoreTime);
    if (timed === undefined) {
      throw new InvalidRequestError(
        `${point.RecoveryPointArn} is a continuous recovery point of ${withArticle(stored.resourceType)} resource, for which this pipeline knows no point-in-time restore key: restore a snapshot instead (recoveryPoint latest or look-back:Nh)`,
      );
    }
    metadata = timed;
  }
  const type = isResourceType(stored.resourceType) ? stored.resourceType : undefined;
  const missing = type === undefined ? [] : missingMetadataKeys(type, metadata);
  if (missing.length > 0) {
    throw new InvalidRequestError(
      `The metadata stored with ${point.RecoveryPointArn} lacks ${missing.join(', ')} for ${withArticle(type ?? stored.resourceType)} restore: add them as overrides (Metadata of the request, or metadata of the alarm target)`,
    );
  }
  if (spec.copySourceTags === true && (type === undefined || COPY_TAGS_UNSUPPORTED.has(type))) {
    throw new InvalidRequestError(
      `CopySourceTagsToRestoredResource: true makes AWS fail ${stored.resourceType} restores; set it to false or leave it out`,
    );
  }
  return {
    kind: 'recovery-point',
    RecoveryPointArn: point.RecoveryPointArn,
    Metadata: metadata,
    IdempotencyToken: spec.idempotencyToken,
    ...(type === undefined ? {} : { ResourceType: type }),
    ...(spec.iamRoleArn === undefined ? {} : { IamRoleArn: spec.iamRoleArn }),
    // Only `true` is ever sent: the field itself fails jobs of unsupported types. docs/aws-behaviour.md#copy-tags
    ...(spec.copySourceTags === true ? { CopySourceTagsToRestoredResource: true } : {}),
    ...(spec.drill === undefined ? {} : { Drill: spec.drill }),
  };
}

/** What to restore, and how to choose the recovery point. */
export interface ResourceRestore extends ResourceRequestSpec {
  readonly resourceArn: string;
  readonly backupVaultName?: string;
  /**
   * The account that owns the vault (a vault shared with this account). Absent: the
   * resource's account when that is a source account, else this account.
   */
  readonly backupVaultAccountId?: string;
  readonly selection: PointSelection;
  /** The moment the selection is relative to (the alarm's state change, or the restore time). */
  readonly at: Date;
  /** Skip while any restore of the resource is PENDING or RUNNING. */
  readonly oneAtATime: boolean;
}

/**
 * Plans the restore of a resource: searches its recovery points (the vault named, else the allowed
 * vaults, else every vault), chooses one, reads its stored metadata and builds the start (logged).
 * Runs alongside act/'s guard and claim (src/act/restore-resource.ts). A shared vault that is not
 * named is refused at once, before anything is read; every failure carries the account the
 * recovery point would come from, for its dead letter. `failedRestoreJobId` (a retry after a
 * failed job) gives the restored resource other names.
 */
export function planResourceRestore(
  deps: Deps,
  spec: ResourceRestore,
  failedRestoreJobId: string | undefined,
  log: Logger,
): Promise<PlannedStart> {
  const { config } = deps;
  const owner = vaultOwnerOf(spec, config);
  const sharedBy = owner === config.accountId ? undefined : owner;
  const vaults = spec.backupVaultName === undefined ? config.allowedVaultNames : [spec.backupVaultName];
  if (sharedBy !== undefined && vaults === undefined) {
    // ListRecoveryPointsByResource and ListBackupVaults take no owner's account: a shared vault
    // is searched by name only. docs/aws-behaviour.md#b-vault-account-id
    throw withSourceAccount(
      new InvalidRequestError(
        `${spec.resourceArn} is searched for in vaults account ${sharedBy} shares with this account, and none is named: give the vault (BackupVaultName of the request, backupVaultName or the tag ${'backup-restore:vault'} of the alarm target, or ALLOWED_BACKUP_VAULTS)`,
      ),
      owner,
    );
  }
  return readAndPlan(deps, spec, { vaults, sharedBy, failedRestoreJobId }, log).catch((error: unknown) => {
    throw withSourceAccount(error, owner);
  });
}

/** Reads the resource's points, chooses one, reads its stored metadata and plans its start. */
async function readAndPlan(
  deps: Deps,
  spec: ResourceRestore,
  where: {
    readonly vaults: readonly string[] | undefined;
    readonly sharedBy: string | undefined;
    readonly failedRestoreJobId: string | undefined;
  },
  log: Logger,
): Promise<PlannedStart> {
  const { config } = deps;
  const found = await findRecoveryPoints(deps.backup, spec.resourceArn, where.vaults, where.sharedBy);
  const choice = choosePointOf(spec.resourceArn, found, {
    selection: spec.selection,
    at: spec.at,
    now: deps.now(),
    allowedVaults: config.allowedVaultNames,
  });
  const point = choice.point;
  const stored = await storedRestoreMetadata(
    deps.backup,
    point.BackupVaultName,
    point.RecoveryPointArn,
    point.BackupVaultAccountId,
  );
  const planned = plannedStart(
    requestForChoice(choice, stored, spec, where.failedRestoreJobId),
    config.restoreRoleArn,
    where.failedRestoreJobId,
  );
  log.info('Recovery point chosen', {
    resourceArn: spec.resourceArn,
    recoveryPointArn: point.RecoveryPointArn,
    recoveryPointCreated: point.CreationDate.toISOString(),
    backupVaultName: point.BackupVaultName,
    sourceAccountId: point.BackupVaultAccountId ?? config.accountId,
    resourceType: stored.resourceType,
    ...(choice.kind === 'point-in-time'
      ? { restoreTime: choice.restoreTime.toISOString(), restoreTimeKey: pointInTimeKey(stored.resourceType) }
      : {}),
    ...(found.vaultsSearched === undefined ? {} : { vaultsSearched: found.vaultsSearched }),
  });
  return planned;
}
