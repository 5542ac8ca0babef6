/**
 * The StartRestoreJob input of a checked request, and its idempotency token. Pure: nothing here
 * calls AWS or logs.
 */

import { createHash } from 'node:crypto';
import type { StartRestoreJobInput } from '@aws-sdk/client-backup';
import type { RecoveryPointRequest } from '../checks/checked-request.js';
import { isPlainObject } from '../json.js';
import { COPY_TAGS_UNSUPPORTED, targetKeysIn } from '../resources/rules.js';
import { identitySuffix, newIdentity } from './metadata.js';

/** Canonical JSON: object keys sorted, so the same request always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isPlainObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .filter((key) => value[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * An idempotency token derived from what the restore would do, so redelivery, Lambda retries and
 * redrives of the same request reuse it. `generation` changes it on purpose (a retry after the
 * job AWS accepted has failed).
 */
export function deriveIdempotencyToken(
  input: Readonly<Record<string, unknown>>,
  generation?: string,
): string {
  const hex = createHash('sha256')
    .update(canonical({ ...input, generation }))
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

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
