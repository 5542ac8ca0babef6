/**
 * The restore request, checked: shape, then policy, then per-type rules, every problem at once.
 * The typed result is what callers branch on; `parseRestoreRequest` turns it into the pipeline's
 * error classes at the edge.
 */

import type { RequestBody } from '../arrival/decode.js';
import { InvalidRequestError } from '../errors.js';
import type { RestoreRequest } from './checked-request.js';
import { type RequestPolicy, requestPolicyVerdicts } from './policy.js';
import { combine, type Refusal, refusalError } from './result.js';
import { checkShape, type RequestFields } from './shape.js';
import { checkTypeRules } from './type-rules.js';

/** A checked request, or why it is refused. */
export type CheckedRequest = { readonly kind: 'ok'; readonly request: RestoreRequest } | Refusal;

/** Checks a decoded request body against the policy (pure; never throws for any JSON value). */
export function checkRestoreRequest(body: unknown, policy: RequestPolicy): CheckedRequest {
  const { verdict: shape, fields } = checkShape(body);
  if (fields === undefined) return shape.kind === 'ok' ? { kind: 'invalid', problems: [] } : shape;
  const verdict = combine(shape, ...requestPolicyVerdicts(fields, policy), checkTypeRules(fields));
  if (verdict.kind !== 'ok') return verdict;
  const request = requestOf(fields);
  return request === undefined ? { kind: 'invalid', problems: [] } : { kind: 'ok', request };
}

/** The request a body with no problems makes (undefined only when it has no ARN, a shape problem). */
function requestOf(fields: RequestFields): RestoreRequest | undefined {
  if (fields.arn === undefined) return undefined;
  const common = {
    Metadata: Object.freeze({ ...fields.metadata }),
    ...(fields.iamRoleArn === undefined ? {} : { IamRoleArn: fields.iamRoleArn }),
    ...(fields.idempotencyToken === undefined ? {} : { IdempotencyToken: fields.idempotencyToken }),
    ...(fields.copyTags === undefined ? {} : { CopySourceTagsToRestoredResource: fields.copyTags }),
    ...(fields.backupVaultName === undefined ? {} : { BackupVaultName: fields.backupVaultName }),
    ...(fields.validator === undefined ? {} : { Validator: fields.validator }),
    ...(fields.drill === undefined ? {} : { Drill: Object.freeze({ ...fields.drill }) }),
  };
  if (fields.byResource) {
    return {
      kind: 'resource',
      ResourceArn: fields.arn,
      ...(fields.restoreTime === undefined ? {} : { RestoreTime: fields.restoreTime }),
      ...common,
    };
  }
  return {
    kind: 'recovery-point',
    RecoveryPointArn: fields.arn,
    ...(fields.resourceType === undefined ? {} : { ResourceType: fields.resourceType }),
    ...common,
  };
}

/**
 * The request that arrived, parsed: the request object decoded on arrival, or the error that
 * refused it there (a body that is not JSON, an event that does not ask for a restore).
 */
export function parseArrivedRequest(body: RequestBody, policy: RequestPolicy): RestoreRequest {
  if ('unreadable' in body) throw body.unreadable;
  return parseRestoreRequest(body.value, policy);
}

/**
 * Parses a decoded request body and checks it against the policy. Throws InvalidRequestError
 * (listing every problem) or ForbiddenRequestError; never anything else.
 */
export function parseRestoreRequest(body: unknown, policy: RequestPolicy): RestoreRequest {
  let checked: CheckedRequest;
  try {
    checked = checkRestoreRequest(body, policy);
  } catch (error) {
    // A request that trips the checks is as wrong as one they refuse: retrying cannot help.
    throw new InvalidRequestError(
      `The restore request could not be read (${error instanceof Error ? error.name : 'error'})`,
      { cause: error },
    );
  }
  if (checked.kind === 'ok') return checked.request;
  throw refusalError(checked, {
    invalid: 'Invalid restore request: ',
    forbidden: 'Restore request refused: ',
  });
}
