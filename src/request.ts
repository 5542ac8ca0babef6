/**
 * The restore request: parse and check what a caller sent, and build the StartRestoreJob input.
 * Pure functions only; nothing here calls AWS or logs.
 */

import { createHash } from 'node:crypto';
import type { StartRestoreJobInput } from '@aws-sdk/client-backup';
import { checkRecoveryPointArn, checkResourceArn, ROLE_ARN_PATTERN, type Scope } from './arn.js';
import { ForbiddenRequestError, InvalidRequestError } from './errors.js';
import {
  COPY_TAGS_UNSUPPORTED,
  isResourceType,
  missingMetadataKeys,
  POINT_IN_TIME_KEYS,
  RESOURCE_TYPES,
  type ResourceType,
  withArticle,
} from './resource-types.js';

/** Limits on Metadata, so that one request cannot carry megabytes into AWS or the logs. */
export const METADATA_LIMITS = { maxKeys: 200, maxKeyLength: 128, maxValueLength: 16_384 } as const;

const METADATA_KEY_PATTERN = /^[A-Za-z][A-Za-z0-9_.:-]*$/;
const RESERVED_KEYS = new Set(['constructor', 'prototype', '__proto__']);
const TOKEN_PATTERN = /^[\x21-\x7e]{1,128}$/;
const VAULT_NAME_PATTERN = /^[a-zA-Z0-9\-_]{2,50}$/;
// Control characters other than tab, line feed and carriage return.
function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f) return true;
  }
  return false;
}

/** A request naming the recovery point to restore (StartRestoreJob's own field names). */
export interface RecoveryPointRequest {
  readonly kind: 'recovery-point';
  readonly RecoveryPointArn: string;
  readonly Metadata: Readonly<Record<string, string>>;
  readonly IamRoleArn?: string;
  readonly IdempotencyToken?: string;
  readonly ResourceType?: ResourceType;
  readonly CopySourceTagsToRestoredResource?: boolean;
  /** Optional: the vault holding the recovery point (needed when a vault allowlist is set). */
  readonly BackupVaultName?: string;
  /** Set by the pipeline when it found the point in that vault itself. */
  readonly vaultChecked?: boolean;
  /** A Lambda function (name or ARN) that validates the restored resource. */
  readonly Validator?: string;
  /** A restore drill: the created resource is deleted after DeleteAfterHours. */
  readonly Drill?: DrillRequest;
}

/** A drill: restore, validate, time, then delete what the restore created. */
export interface DrillRequest {
  /** 0 (right after validation) to 168 hours. */
  readonly DeleteAfterHours: number;
}

/** The longest a drill's resource is kept: one week. */
export const DRILL_MAX_HOURS = 168;

/** A request naming the protected resource; the pipeline picks the recovery point and metadata. */
export interface ResourceRequest {
  readonly kind: 'resource';
  readonly ResourceArn: string;
  /** Restore the latest recovery point created at or before this time. */
  readonly RestoreTime?: string;
  /** Overrides applied on top of the metadata stored with the recovery point. */
  readonly Metadata: Readonly<Record<string, string>>;
  readonly IamRoleArn?: string;
  readonly IdempotencyToken?: string;
  readonly CopySourceTagsToRestoredResource?: boolean;
  readonly BackupVaultName?: string;
  readonly Validator?: string;
  readonly Drill?: DrillRequest;
}

export type RestoreRequest = RecoveryPointRequest | ResourceRequest;

const RECOVERY_POINT_FIELDS = new Set([
  'RecoveryPointArn',
  'Metadata',
  'IamRoleArn',
  'IdempotencyToken',
  'ResourceType',
  'CopySourceTagsToRestoredResource',
  'BackupVaultName',
  'Validator',
  'Drill',
]);
const RESOURCE_FIELDS = new Set([
  'ResourceArn',
  'RestoreTime',
  'Metadata',
  'IamRoleArn',
  'IdempotencyToken',
  'CopySourceTagsToRestoredResource',
  'BackupVaultName',
  'Validator',
  'Drill',
]);

/** A Lambda function name, or a function ARN (optionally with a version or alias). */
export const VALIDATOR_PATTERN =
  /^(?:arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9$_-]{1,128})?$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** A field name safe to repeat in an error message (printable, short). */
function quoteField(name: string): string {
  const printable = name.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(printable.length > 40 ? `${printable.slice(0, 40)}...` : printable);
}

function checkMetadata(value: unknown, problems: string[], required: boolean): Record<string, string> {
  if (value === undefined) {
    if (required)
      problems.push(
        'Metadata is required: an object of string values, e.g. {"availabilityZone": "eu-west-1a"}',
      );
    return {};
  }
  if (!isPlainObject(value)) {
    problems.push(`Metadata must be an object of string values, got ${kindOf(value)}`);
    return {};
  }
  const entries = Object.entries(value);
  if (entries.length > METADATA_LIMITS.maxKeys) {
    problems.push(`Metadata has ${entries.length} keys; at most ${METADATA_LIMITS.maxKeys} are accepted`);
    return {};
  }
  const metadata: Record<string, string> = Object.create(null);
  for (const [key, item] of entries) {
    if (
      key.length > METADATA_LIMITS.maxKeyLength ||
      !METADATA_KEY_PATTERN.test(key) ||
      RESERVED_KEYS.has(key)
    ) {
      problems.push(
        `Metadata key ${quoteField(key)} is not a valid key (letters, digits, "_", ".", ":" and "-", starting with a letter, at most ${METADATA_LIMITS.maxKeyLength} characters)`,
      );
      continue;
    }
    if (typeof item !== 'string') {
      problems.push(
        `Metadata.${key} must be a string, got ${kindOf(item)} (write numbers and booleans as strings, e.g. "100" or "true", and lists as JSON text, e.g. "[\\"sg-1\\"]")`,
      );
      continue;
    }
    if (item.length > METADATA_LIMITS.maxValueLength) {
      problems.push(
        `Metadata.${key} is ${item.length} characters long; at most ${METADATA_LIMITS.maxValueLength} are accepted`,
      );
      continue;
    }
    if (hasControlCharacters(item) || !item.isWellFormed()) {
      problems.push(`Metadata.${key} holds control characters or invalid Unicode`);
      continue;
    }
    metadata[key] = item;
  }
  return metadata;
}

function optionalString(
  body: Record<string, unknown>,
  field: string,
  pattern: RegExp,
  hint: string,
  problems: string[],
): string | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !pattern.test(value)) {
    problems.push(`${field} ${hint}, got ${typeof value === 'string' ? 'an invalid string' : kindOf(value)}`);
    return undefined;
  }
  return value;
}

/** What a request is checked against. */
export interface RequestPolicy extends Scope {
  readonly allowedRoleArns: readonly string[];
  readonly allowedVaultNames: readonly string[] | undefined;
  /**
   * ALLOWED_VALIDATOR_FUNCTIONS, when the caller knows it: a Validator not on it is refused. When
   * undefined, only the shape is checked here and the validator function refuses it at run time.
   */
  readonly allowedValidators?: readonly string[];
}

function validatorOnList(validator: string, allowlist: readonly string[]): boolean {
  const name = (v: string) => (v.startsWith('arn:') ? (v.split(':')[6] ?? '') : v);
  return allowlist.some(
    (allowed) =>
      allowed === validator ||
      (!allowed.startsWith('arn:') && !validator.startsWith('arn:') && allowed === name(validator)),
  );
}

/** Checks `Drill` (pure); pushes problems and returns the drill when it is valid. */
function checkDrill(value: unknown, problems: string[]): DrillRequest | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) {
    problems.push(`Drill must be an object such as {"DeleteAfterHours": 4}, got ${kindOf(value)}`);
    return undefined;
  }
  const extra = Object.keys(value).filter((k) => k !== 'DeleteAfterHours');
  if (extra.length > 0) {
    problems.push(
      `Drill has unknown field(s) ${extra.slice(0, 5).map(quoteField).join(', ')}; its only field is DeleteAfterHours`,
    );
  }
  const hours = value.DeleteAfterHours;
  if (typeof hours !== 'number' || !Number.isInteger(hours) || hours < 0 || hours > DRILL_MAX_HOURS) {
    problems.push(
      `Drill.DeleteAfterHours must be a whole number of hours from 0 (delete right after validation) to ${DRILL_MAX_HOURS}, got ${typeof hours === 'number' ? hours : kindOf(hours)}`,
    );
    return undefined;
  }
  return extra.length > 0 ? undefined : { DeleteAfterHours: hours };
}

/**
 * Parses a decoded request body and checks it against the policy. Throws InvalidRequestError
 * (listing every problem) or ForbiddenRequestError; never anything else.
 */
export function parseRestoreRequest(body: unknown, policy: RequestPolicy): RestoreRequest {
  try {
    return parseUnchecked(body, policy);
  } catch (error) {
    if (error instanceof InvalidRequestError || error instanceof ForbiddenRequestError) throw error;
    // A request that trips the parser is as wrong as one it refuses: retrying cannot help.
    throw new InvalidRequestError(
      `The restore request could not be read (${error instanceof Error ? error.name : 'error'})`,
      { cause: error },
    );
  }
}

function parseUnchecked(body: unknown, policy: RequestPolicy): RestoreRequest {
  if (!isPlainObject(body)) {
    throw new InvalidRequestError(
      `A restore request must be a JSON object with RecoveryPointArn and Metadata (or ResourceArn), got ${kindOf(body)}`,
    );
  }
  const byResource = 'ResourceArn' in body && !('RecoveryPointArn' in body);
  const known = byResource ? RESOURCE_FIELDS : RECOVERY_POINT_FIELDS;
  const problems: string[] = [];
  const unknown = Object.keys(body).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    problems.push(
      `unknown field(s) ${unknown.slice(0, 5).map(quoteField).join(', ')}; accepted fields are ${[...known].join(', ')}`,
    );
  }

  const metadata = checkMetadata(body.Metadata, problems, !byResource);
  const iamRoleArn = optionalString(
    body,
    'IamRoleArn',
    ROLE_ARN_PATTERN,
    'must be an IAM role ARN',
    problems,
  );
  const idempotencyToken = optionalString(
    body,
    'IdempotencyToken',
    TOKEN_PATTERN,
    'must be 1 to 128 printable ASCII characters without spaces',
    problems,
  );
  const vaultName = optionalString(
    body,
    'BackupVaultName',
    VAULT_NAME_PATTERN,
    'must be a backup vault name (2 to 50 letters, digits, "-" or "_")',
    problems,
  );
  const copyTags = body.CopySourceTagsToRestoredResource;
  if (copyTags !== undefined && typeof copyTags !== 'boolean') {
    problems.push(`CopySourceTagsToRestoredResource must be true or false, got ${kindOf(copyTags)}`);
  }
  const validator = optionalString(
    body,
    'Validator',
    VALIDATOR_PATTERN,
    'must be a Lambda function name or ARN',
    problems,
  );
  const drill = checkDrill(body.Drill, problems);

  const forbidden: string[] = [];
  if (
    validator !== undefined &&
    policy.allowedValidators !== undefined &&
    !validatorOnList(validator, policy.allowedValidators)
  ) {
    forbidden.push(
      `Validator ${validator} is not on this deployment's ALLOWED_VALIDATOR_FUNCTIONS; name an allowed function, or ask the operators to add it`,
    );
  }
  const role = iamRoleArn ?? undefined;
  if (role !== undefined && !policy.allowedRoleArns.includes(role)) {
    forbidden.push(
      `IamRoleArn ${role} is not on this deployment's list of restore roles; leave IamRoleArn out to use the default restore role, or ask the operators to add the role to ALLOWED_RESTORE_ROLE_ARNS`,
    );
  }
  if (policy.allowedVaultNames !== undefined) {
    if (vaultName === undefined) {
      if (!byResource) {
        problems.push(
          `BackupVaultName is required: this deployment restores only from the vaults ${policy.allowedVaultNames.join(', ')}`,
        );
      }
    } else if (!policy.allowedVaultNames.includes(vaultName)) {
      forbidden.push(
        `BackupVaultName ${vaultName} is not one of the vaults this deployment restores from (${policy.allowedVaultNames.join(', ')})`,
      );
    }
  }

  const common = {
    Metadata: Object.freeze({ ...metadata }),
    ...(role === undefined ? {} : { IamRoleArn: role }),
    ...(idempotencyToken === undefined ? {} : { IdempotencyToken: idempotencyToken }),
    ...(typeof copyTags === 'boolean' ? { CopySourceTagsToRestoredResource: copyTags } : {}),
    ...(vaultName === undefined ? {} : { BackupVaultName: vaultName }),
    ...(validator === undefined ? {} : { Validator: validator }),
    ...(drill === undefined ? {} : { Drill: Object.freeze(drill) }),
  };

  let request: RestoreRequest | undefined;
  if (byResource) {
    const resourceArn = body.ResourceArn;
    if (typeof resourceArn !== 'string')
      problems.push(`ResourceArn must be a string, got ${kindOf(resourceArn)}`);
    else {
      const refused = checkResourceArn(resourceArn, policy);
      if (refused !== undefined) (refused.includes('not an ARN') ? problems : forbidden).push(refused);
    }
    const restoreTime = body.RestoreTime;
    if (
      restoreTime !== undefined &&
      (typeof restoreTime !== 'string' ||
        !/^\d{4}-\d\d-\d\dT/.test(restoreTime) ||
        Number.isNaN(Date.parse(restoreTime)))
    ) {
      problems.push('RestoreTime must be an ISO 8601 time such as 2026-11-26T10:00:00Z');
    }
    if (typeof resourceArn === 'string') {
      request = {
        kind: 'resource',
        ResourceArn: resourceArn,
        ...(typeof restoreTime === 'string' && !Number.isNaN(Date.parse(restoreTime))
          ? { RestoreTime: new Date(restoreTime).toISOString() }
          : {}),
        ...common,
      };
    }
  } else {
    const arn = body.RecoveryPointArn;
    if (arn === undefined)
      problems.push('RecoveryPointArn is required (or ResourceArn, to restore a resource by name)');
    else if (typeof arn !== 'string') problems.push(`RecoveryPointArn must be a string, got ${kindOf(arn)}`);
    else {
      const refused = checkRecoveryPointArn(arn, policy);
      if (refused !== undefined)
        (refused.includes('is not a recovery point ARN') ? problems : forbidden).push(refused);
    }
    const type = body.ResourceType;
    let resourceType: ResourceType | undefined;
    if (type !== undefined) {
      if (typeof type !== 'string' || !isResourceType(type)) {
        problems.push(
          `ResourceType ${typeof type === 'string' ? quoteField(type) : kindOf(type)} is not one AWS Backup restores; use one of ${RESOURCE_TYPES.join(', ')}`,
        );
      } else {
        resourceType = type;
        const missing = missingMetadataKeys(type, metadata);
        if (missing.length > 0 && body.Metadata !== undefined) {
          problems.push(`Metadata for ${withArticle(type)} restore needs ${missing.join(', ')}`);
        }
      }
    }
    // A continuous point restored without a moment restores the latest, possibly damaged, state:
    // the request must say the type and the moment. docs/aws-behaviour.md#continuous-restore-keys
    if (typeof arn === 'string' && /:recovery-point:continuous:/.test(arn)) {
      const timeKey = resourceType === undefined ? undefined : POINT_IN_TIME_KEYS[resourceType];
      if (type === undefined) {
        problems.push(
          `RecoveryPointArn is a continuous recovery point: give ResourceType and the moment to restore to in its restore-time key (${Object.entries(
            POINT_IN_TIME_KEYS,
          )
            .map(([t, k]) => `${t}: ${k}`)
            .join(', ')})`,
        );
      } else if (resourceType !== undefined && timeKey === undefined) {
        problems.push(
          `RecoveryPointArn is a continuous recovery point, which this pipeline does not restore for ${resourceType}`,
        );
      } else if (timeKey !== undefined) {
        const value = metadata[timeKey];
        if (
          value === undefined ||
          !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value) ||
          Number.isNaN(Date.parse(value))
        ) {
          problems.push(
            `RecoveryPointArn is a continuous recovery point: Metadata.${timeKey} must hold the moment to restore to (e.g. 2026-11-26T09:55:00Z)`,
          );
        }
      }
    }
    if (copyTags === true) {
      if (type === undefined) {
        problems.push(
          'CopySourceTagsToRestoredResource: true needs ResourceType, so the pipeline can check that the type supports it',
        );
      } else if (resourceType !== undefined && COPY_TAGS_UNSUPPORTED.has(resourceType)) {
        problems.push(
          `CopySourceTagsToRestoredResource: true makes AWS fail ${resourceType} restores; set it to false or leave it out`,
        );
      }
    }
    if (typeof arn === 'string') {
      request = {
        kind: 'recovery-point',
        RecoveryPointArn: arn,
        ...(resourceType === undefined ? {} : { ResourceType: resourceType }),
        ...common,
      };
    }
  }

  if (problems.length > 0 || request === undefined) {
    throw new InvalidRequestError(`Invalid restore request: ${problems.join('; ')}`);
  }
  if (forbidden.length > 0)
    throw new ForbiddenRequestError(`Restore request refused: ${forbidden.join('; ')}`);
  return request;
}

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
 * (a retry after an asynchronous failure) it is combined into a fresh one.
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
  const token =
    request.IdempotencyToken === undefined
      ? deriveIdempotencyToken({ ...input }, defaults.generation)
      : defaults.generation === undefined
        ? request.IdempotencyToken
        : deriveIdempotencyToken({ callerToken: request.IdempotencyToken }, defaults.generation);
  return { ...input, IdempotencyToken: token };
}

/** Metadata values of a payload, to scrub from logs before the payload is even checked. */
export function metadataSecrets(payload: unknown): string[] {
  const metadata = (payload as { Metadata?: unknown } | null)?.Metadata;
  if (typeof metadata !== 'object' || metadata === null) return [];
  return Object.values(metadata).filter((v): v is string => typeof v === 'string');
}
