/**
 * A restore by resource, planned: which of the resource's recovery points (within the selection's
 * window, or a continuous point at its moment), and the recovery point request that restores it
 * with the point's stored metadata, a new identity and the overrides. Pure: the points and the
 * stored metadata are read by the caller (src/aws/backup.ts).
 */

import type { DrillRequest, RecoveryPointRequest } from '../checks/checked-request.js';
import type { PointSelection } from '../config.js';
import { InvalidRequestError } from '../errors.js';
import {
  COPY_TAGS_UNSUPPORTED,
  isResourceType,
  missingMetadataKeys,
  withArticle,
} from '../resources/rules.js';
import { identitySuffix, nameSeed, prepareMetadata } from './metadata.js';
import { type Candidate, type Choice, chooseRecoveryPoint, withRestoreTime } from './recovery-point.js';
import { type PlannedStart, plannedStart } from './start-input.js';
import { noRecoveryPoint, targetTime, windowOf } from './window.js';

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
  const moment = targetTime(options.selection, options.at);
  const choice = chooseRecoveryPoint(found.points, {
    window,
    ...(moment === undefined ? {} : { pointInTime: moment }),
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
  // A drill never gets the name the same request sent for real would get.
  const seed = spec.drill === undefined ? spec.idempotencyToken : `${spec.idempotencyToken}#drill`;
  const suffix = identitySuffix(nameSeed(seed, failedRestoreJobId), spec.drill !== undefined);
  let metadata = prepareMetadata(
    stored.resourceType,
    stored.metadata,
    spec.overrides,
    suffix,
    spec.drill !== undefined,
  );
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

/** The planned start of the chosen point (requestForChoice), its input built (start-input.ts). */
export function planForChoice(
  choice: Choice,
  stored: { readonly resourceType: string; readonly metadata: Readonly<Record<string, string>> },
  spec: ResourceRequestSpec,
  failedRestoreJobId: string | undefined,
  restoreRoleArn: string,
): PlannedStart {
  return plannedStart(
    requestForChoice(choice, stored, spec, failedRestoreJobId),
    restoreRoleArn,
    failedRestoreJobId,
  );
}
