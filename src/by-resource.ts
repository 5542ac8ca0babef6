/**
 * Restoring a resource by name (an alarm's target, or a queue request with ResourceArn): choose
 * the recovery point, prepare its metadata, and start the restore, at most one at a time per
 * resource for alarms.
 */

import type { PointSelection } from './alarm.js';
import { checkResourceArn } from './arn.js';
import { ForbiddenRequestError, InvalidRequestError } from './errors.js';
import { findJobLink } from './job-link.js';
import type { Logger } from './logger.js';
import type { RecoveryPointRequest } from './request.js';
import {
  activeRestoreJobIds,
  chooseRecoveryPoint,
  identitySuffix,
  listRecoveryPoints,
  noRecoveryPoint,
  prepareMetadata,
  storedRestoreMetadata,
  windowOf,
} from './resolve.js';
import { COPY_TAGS_UNSUPPORTED, isResourceType, missingMetadataKeys } from './resource-types.js';
import { startRecoveryPoint } from './restore.js';
import type { AttemptInfo, Deps, Incoming, Outcome } from './types.js';

/** What to restore, and how to choose the recovery point. */
export interface ResourceRestore {
  readonly resourceArn: string;
  readonly backupVaultName?: string;
  readonly overrides: Readonly<Record<string, string>>;
  readonly iamRoleArn?: string;
  readonly selection: PointSelection;
  /** The moment the selection is relative to (the alarm's state change, or the restore time). */
  readonly at: Date;
  readonly idempotencyToken: string;
  readonly copySourceTags?: boolean;
  /** Skip when a restore this pipeline started for the resource is still running. */
  readonly oneAtATime: boolean;
}

/** Starts the restore of a resource, or skips it while another of ours is active. */
export async function restoreByResource(
  deps: Deps,
  spec: ResourceRestore,
  incoming: Incoming,
  attempt: AttemptInfo,
  log: Logger,
): Promise<Outcome> {
  const { config } = deps;
  const refused = checkResourceArn(spec.resourceArn, config);
  if (refused !== undefined) {
    throw refused.includes('not an ARN')
      ? new InvalidRequestError(refused)
      : new ForbiddenRequestError(refused);
  }
  if (spec.iamRoleArn !== undefined && !config.allowedRoleArns.includes(spec.iamRoleArn)) {
    throw new ForbiddenRequestError(
      `The role ${spec.iamRoleArn} is not on this deployment's list of restore roles`,
    );
  }
  const vaults = spec.backupVaultName === undefined ? config.allowedVaultNames : [spec.backupVaultName];
  if (
    spec.backupVaultName !== undefined &&
    config.allowedVaultNames !== undefined &&
    !config.allowedVaultNames.includes(spec.backupVaultName)
  ) {
    throw new ForbiddenRequestError(
      `The vault ${spec.backupVaultName} is not one this deployment restores from`,
    );
  }

  if (spec.oneAtATime) {
    for (const jobId of await activeRestoreJobIds(deps.backup, spec.resourceArn)) {
      if ((await findJobLink(deps.ddb, config.restoreJobsTable, jobId)) !== undefined) {
        log.info('Restore skipped: a restore this pipeline started for the resource is still running', {
          resourceArn: spec.resourceArn,
          activeRestoreJobId: jobId,
        });
        deps.metrics.count('RestoresSkipped', 'Unknown');
        return {
          status: 'skipped',
          reason: 'a restore of this resource is already running',
          activeRestoreJobId: jobId,
        };
      }
    }
  }

  const window = windowOf(spec.selection, spec.at);
  const point = chooseRecoveryPoint(await listRecoveryPoints(deps.backup, spec.resourceArn), window, vaults);
  if (point === undefined) throw noRecoveryPoint(spec.resourceArn, window, vaults);

  const stored = await storedRestoreMetadata(deps.backup, point.BackupVaultName, point.RecoveryPointArn);
  const metadata = prepareMetadata(
    stored.resourceType,
    stored.metadata,
    spec.overrides,
    identitySuffix(spec.idempotencyToken),
  );
  const type = isResourceType(stored.resourceType) ? stored.resourceType : undefined;
  const missing = type === undefined ? [] : missingMetadataKeys(type, metadata);
  if (missing.length > 0) {
    throw new InvalidRequestError(
      `The metadata stored with ${point.RecoveryPointArn} lacks ${missing.join(', ')} for a ${type} restore: add them as overrides (Metadata of the request, or metadata of the alarm target)`,
    );
  }
  if (spec.copySourceTags === true && type !== undefined && COPY_TAGS_UNSUPPORTED.has(type)) {
    throw new InvalidRequestError(
      `CopySourceTagsToRestoredResource: true makes AWS fail ${type} restores; set it to false or leave it out`,
    );
  }
  log.info('Recovery point chosen', {
    resourceArn: spec.resourceArn,
    recoveryPointArn: point.RecoveryPointArn,
    recoveryPointCreated: point.CreationDate.toISOString(),
    backupVaultName: point.BackupVaultName,
    resourceType: stored.resourceType,
  });
  const request: RecoveryPointRequest = {
    kind: 'recovery-point',
    RecoveryPointArn: point.RecoveryPointArn,
    Metadata: metadata,
    IdempotencyToken: spec.idempotencyToken,
    BackupVaultName: point.BackupVaultName,
    vaultChecked: true,
    ...(type === undefined ? {} : { ResourceType: type }),
    ...(spec.iamRoleArn === undefined ? {} : { IamRoleArn: spec.iamRoleArn }),
    ...(spec.copySourceTags === undefined ? {} : { CopySourceTagsToRestoredResource: spec.copySourceTags }),
  };
  return startRecoveryPoint(deps, request, incoming, attempt, log);
}
