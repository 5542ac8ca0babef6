/**
 * Shape: what a restore request body must look like before anything else is judged (a JSON object
 * of known fields, each of its type and format). Reads every field it can, so that the later
 * checks (policy, per-type rules) still run and the sender learns every problem at once.
 */

import { ROLE_ARN_PATTERN } from '../arn.js';
import { isPlainObject } from '../json.js';
import type { ReadyOptions } from '../resources/ready-steps.js';
import { isResourceType, RESOURCE_TYPES, type ResourceType } from '../resources/rules.js';
import type { DrillRequest } from './checked-request.js';
import { OK, type Verdict } from './result.js';

/** Limits on Metadata, so that one request cannot carry megabytes into AWS or the logs. */
const METADATA_LIMITS = { maxKeys: 200, maxKeyLength: 128, maxValueLength: 16_384 } as const;

/** A metadata key: letters, digits, `_ . : -`, starting with a letter, at most 128 characters. */
export const METADATA_KEY_PATTERN = /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/;

/** Keys that could reach an object's prototype: never a metadata key nor an alarm name. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['constructor', 'prototype', '__proto__']);

/** A string field's rule: its pattern, and what to say when a value breaks it. */
export interface StringRule {
  readonly pattern: RegExp;
  readonly hint: string;
}

/** An IAM role ARN. */
export const ROLE_ARN: StringRule = { pattern: ROLE_ARN_PATTERN, hint: 'must be an IAM role ARN' };

/** A backup vault name. */
export const VAULT_NAME: StringRule = {
  pattern: /^[a-zA-Z0-9\-_]{2,50}$/,
  hint: 'must be a backup vault name (2 to 50 letters, digits, "-" or "_")',
};

/** An AWS account id. */
export const ACCOUNT_ID: StringRule = { pattern: /^\d{12}$/, hint: 'must be a 12-digit account id' };

const TOKEN: StringRule = {
  pattern: /^[\x21-\x7e]{1,128}$/,
  hint: 'must be 1 to 128 printable ASCII characters without spaces',
};

/** A Lambda function name, or a function ARN (optionally with a version or alias). */
const VALIDATOR: StringRule = {
  pattern:
    /^(?:arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9$_-]{1,128})?$/,
  hint: 'must be a Lambda function name or ARN',
};

/** The longest a drill's resource is kept: one week. */
const DRILL_MAX_HOURS = 168;

/** How a value is named in a message: "null", "an array", "a number". */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** A field name safe to repeat in an error message (printable, short). */
export function quoteField(name: string): string {
  const printable = name.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(printable.length > 40 ? `${printable.slice(0, 40)}...` : printable);
}

/** What is wrong with an optional string field (`${subject} ${hint}, got ...`), if anything. */
export function stringProblem(subject: string, value: unknown, rule: StringRule): string | undefined {
  if (value === undefined || (typeof value === 'string' && rule.pattern.test(value))) return undefined;
  return `${subject} ${rule.hint}, got ${typeof value === 'string' ? 'an invalid string' : kindOf(value)}`;
}

// Control characters other than tab, line feed and carriage return.
function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f) return true;
  }
  return false;
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
    if (!METADATA_KEY_PATTERN.test(key) || RESERVED_KEYS.has(key)) {
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

/** Checks `Drill`; pushes problems and returns the drill when it is valid. */
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

/** The most readers a request may ask for: an Aurora cluster holds at most 15 Aurora Replicas. */
export const MAX_AURORA_READERS = 15;

/**
 * The one reading of `Ready`: absent or `true` runs the make-ready steps with no readers, `false`
 * skips them, `{"AuroraReaders": N}` (N from 1 to 15) also adds N reader instances to a restored
 * Aurora cluster. A value of another form is a problem. src/ready/request.ts reads it the same way.
 */
export function readReady(
  value: unknown,
): { readonly options: ReadyOptions | false } | { readonly problem: string } {
  if (value === undefined || value === true) return { options: { readers: 0 } };
  if (value === false) return { options: false };
  const hint = `Ready must be true, false or {"AuroraReaders": N} with N a whole number from 1 to ${MAX_AURORA_READERS}`;
  if (!isPlainObject(value)) return { problem: `${hint}, got ${kindOf(value)}` };
  const extra = Object.keys(value).filter((k) => k !== 'AuroraReaders');
  if (extra.length > 0)
    return {
      problem: `Ready has unknown field(s) ${extra.slice(0, 5).map(quoteField).join(', ')}; its only field is AuroraReaders`,
    };
  const readers = value.AuroraReaders;
  if (
    typeof readers !== 'number' ||
    !Number.isInteger(readers) ||
    readers < 1 ||
    readers > MAX_AURORA_READERS
  )
    return { problem: `${hint}, got ${typeof readers === 'number' ? readers : kindOf(readers)}` };
  return { options: { readers } };
}

/** Checks `Ready`; pushes problems (a drill proves the whole recovery: it never skips the steps). */
function checkReady(value: unknown, drill: boolean, problems: string[]): ReadyOptions | false | undefined {
  if (value === undefined) return undefined;
  const read = readReady(value);
  if ('problem' in read) {
    problems.push(read.problem);
    return undefined;
  }
  if (read.options === false && drill) {
    problems.push('Ready cannot be false in a drill: a drill proves the whole recovery, make-ready included');
    return undefined;
  }
  return read.options;
}

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
  'Ready',
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
  'Ready',
]);

/** The fields of a request that have their type and format (a field that has not is absent). */
export interface RequestFields {
  /** A request by resource (ResourceArn and no RecoveryPointArn). */
  readonly byResource: boolean;
  /** The valid entries of Metadata (no prototype). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Whether the body has Metadata at all. */
  readonly metadataGiven: boolean;
  readonly iamRoleArn?: string;
  readonly idempotencyToken?: string;
  readonly backupVaultName?: string;
  readonly copyTags?: boolean;
  readonly validator?: string;
  readonly drill?: DrillRequest;
  /** What make-ready does (`false`: nothing), when `Ready` is valid. */
  readonly ready?: ReadyOptions | false;
  /** RecoveryPointArn, or ResourceArn by resource, when a string (its scope is the policy's). */
  readonly arn?: string;
  /** RestoreTime as an ISO 8601 UTC time, when it reads as a time. */
  readonly restoreTime?: string;
  readonly resourceType?: ResourceType;
  /** Whether the body has ResourceType at all (valid or not). */
  readonly typeGiven: boolean;
}

/** What the shape step read, and its verdict (invalid or ok). */
export interface Shape {
  readonly verdict: Verdict;
  /** Undefined when the body is not even a JSON object. */
  readonly fields: RequestFields | undefined;
}

/** What a request names to restore, and when or as what. */
interface RestoreTarget {
  arn?: string;
  restoreTime?: string;
  resourceType?: ResourceType;
}

/** ResourceArn and RestoreTime of a request by resource. */
function checkResourceTarget(body: Record<string, unknown>, problems: string[]): RestoreTarget {
  const target: RestoreTarget = {};
  const resourceArn = body.ResourceArn;
  if (typeof resourceArn !== 'string')
    problems.push(`ResourceArn must be a string, got ${kindOf(resourceArn)}`);
  else target.arn = resourceArn;
  const time = body.RestoreTime;
  if (
    time !== undefined &&
    (typeof time !== 'string' || !/^\d{4}-\d\d-\d\dT/.test(time) || Number.isNaN(Date.parse(time)))
  ) {
    problems.push('RestoreTime must be an ISO 8601 time such as 2026-11-26T10:00:00Z');
  }
  if (typeof time === 'string' && !Number.isNaN(Date.parse(time)))
    target.restoreTime = new Date(time).toISOString();
  return target;
}

/** RecoveryPointArn and ResourceType of a request by recovery point. */
function checkPointTarget(body: Record<string, unknown>, problems: string[]): RestoreTarget {
  const target: RestoreTarget = {};
  const pointArn = body.RecoveryPointArn;
  if (pointArn === undefined)
    problems.push('RecoveryPointArn is required (or ResourceArn, to restore a resource by name)');
  else if (typeof pointArn !== 'string')
    problems.push(`RecoveryPointArn must be a string, got ${kindOf(pointArn)}`);
  else target.arn = pointArn;
  const type = body.ResourceType;
  if (type !== undefined) {
    if (typeof type !== 'string' || !isResourceType(type)) {
      problems.push(
        `ResourceType ${typeof type === 'string' ? quoteField(type) : kindOf(type)} is not one AWS Backup restores; use one of ${RESOURCE_TYPES.join(', ')}`,
      );
    } else target.resourceType = type;
  }
  return target;
}

/** Checks the shape of a decoded request body. */
export function checkShape(body: unknown): Shape {
  if (!isPlainObject(body)) {
    return {
      verdict: {
        kind: 'invalid',
        problems: [
          `A restore request must be a JSON object with RecoveryPointArn and Metadata (or ResourceArn), got ${kindOf(body)}`,
        ],
      },
      fields: undefined,
    };
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
  const text = (field: string, rule: StringRule): string | undefined => {
    const problem = stringProblem(field, body[field], rule);
    if (problem !== undefined) problems.push(problem);
    return problem === undefined ? (body[field] as string | undefined) : undefined;
  };
  const iamRoleArn = text('IamRoleArn', ROLE_ARN);
  const idempotencyToken = text('IdempotencyToken', TOKEN);
  const backupVaultName = text('BackupVaultName', VAULT_NAME);
  const copyTags = body.CopySourceTagsToRestoredResource;
  if (copyTags !== undefined && typeof copyTags !== 'boolean') {
    problems.push(`CopySourceTagsToRestoredResource must be true or false, got ${kindOf(copyTags)}`);
  }
  const validator = text('Validator', VALIDATOR);
  const drill = checkDrill(body.Drill, problems);
  const ready = checkReady(body.Ready, body.Drill !== undefined, problems);

  const { arn, restoreTime, resourceType } = byResource
    ? checkResourceTarget(body, problems)
    : checkPointTarget(body, problems);

  const fields: RequestFields = {
    byResource,
    metadata,
    metadataGiven: body.Metadata !== undefined,
    ...(iamRoleArn === undefined ? {} : { iamRoleArn }),
    ...(idempotencyToken === undefined ? {} : { idempotencyToken }),
    ...(backupVaultName === undefined ? {} : { backupVaultName }),
    ...(typeof copyTags === 'boolean' ? { copyTags } : {}),
    ...(validator === undefined ? {} : { validator }),
    ...(drill === undefined ? {} : { drill }),
    ...(ready === undefined ? {} : { ready }),
    ...(arn === undefined ? {} : { arn }),
    ...(restoreTime === undefined ? {} : { restoreTime }),
    ...(resourceType === undefined ? {} : { resourceType }),
    typeGiven: !byResource && body.ResourceType !== undefined,
  };
  return { verdict: problems.length > 0 ? { kind: 'invalid', problems } : OK, fields };
}
