/**
 * The StartRestoreJob input of a checked request, its token made (token.ts) or the caller's kept.
 * Pure: nothing here calls AWS or logs.
 */

import type { StartRestoreJobInput } from '@aws-sdk/client-backup';
import type { RecoveryPointRequest } from '../checks/checked-request.js';
import { COPY_TAGS_UNSUPPORTED, targetKeysIn } from '../resources/rules.js';
import { identitySuffix, newIdentity } from './metadata.js';
import { deriveIdempotencyToken } from './token.js';

/**
 * Builds the StartRestoreJob input. The caller's IdempotencyToken wins; with a `generation`
 * (a retry after an asynchronous failure) it is combined into a fresh one. A drill is part of the
 * request's identity: its token is never the one the same request sent for real gets (caller's
 * token or not), so a drill and a recovery never share a job; and its target keys are the
 * pipeline's (a drill by recovery point arrives without them, refused otherwise; a drill by
 * resource has them from its plan).
 */
export function buildStartRestoreJobInput(
  request: RecoveryPointRequest,
  defaults: { restoreRoleArn: string; generation?: string },
): StartRestoreJobInput {
  const input: StartRestoreJobInput = {
    RecoveryPointArn: request.RecoveryPointArn,
    Metadata: { ...request.Metadata },
    IamRoleArn: request.IamRoleArn ?? defaults.restoreRoleArn,
    ...(request.ResourceType === undefined ? {} : { ResourceType: request.ResourceType }),
    // Only `true` is sent: AWS fails the job of an unsupported type when the field is present at
    // all, and `false` is what leaving it out means. docs/aws-behaviour.md#copy-tags
    ...(request.CopySourceTagsToRestoredResource === true &&
    (request.ResourceType === undefined || !COPY_TAGS_UNSUPPORTED.has(request.ResourceType))
      ? { CopySourceTagsToRestoredResource: true }
      : {}),
  };
  const drill = request.Drill === undefined ? {} : { drill: { ...request.Drill } };
  const token =
    request.IdempotencyToken === undefined
      ? deriveIdempotencyToken({ ...input, ...drill }, defaults.generation)
      : defaults.generation === undefined && request.Drill === undefined
        ? request.IdempotencyToken
        : deriveIdempotencyToken({ callerToken: request.IdempotencyToken, ...drill }, defaults.generation);
  if (request.Drill === undefined || request.ResourceType === undefined)
    return { ...input, IdempotencyToken: token };
  const metadata = input.Metadata ?? {};
  const named = targetKeysIn(request.ResourceType, metadata).length > 0;
  return {
    ...input,
    Metadata: named ? metadata : newIdentity(request.ResourceType, metadata, identitySuffix(token, true)),
    IdempotencyToken: token,
  };
}

/** A checked request and the StartRestoreJob input built from it: what act/ starts. */
export interface PlannedStart {
  readonly request: RecoveryPointRequest;
  readonly input: StartRestoreJobInput;
}

/**
 * The start of a checked request, its input built with the deployment's restore role; a request
 * restored again after its job failed (`failedRestoreJobId`) gets a new generation of names.
 */
export function plannedStart(
  request: RecoveryPointRequest,
  restoreRoleArn: string,
  failedRestoreJobId: string | undefined,
): PlannedStart {
  return {
    request,
    input: buildStartRestoreJobInput(request, {
      restoreRoleArn,
      ...(failedRestoreJobId === undefined ? {} : { generation: failedRestoreJobId }),
    }),
  };
}
