/**
 * The ALARM_TARGETS setting: alarm name or ARN to the resource it guards. Read once (one JSON
 * parse for every function); each target is held to the same shape and policy checks as a
 * request's, and refused at cold start rather than at the first alarm.
 */

import { parseArn } from '../arn.js';
import type { AlarmTarget, AlarmTargets, PointSelection } from '../config.js';
import { InvalidRequestError } from '../errors.js';
import { isPlainObject } from '../json.js';
import { checkTargetPolicy, type RequestPolicy, type TargetVerdicts } from './policy.js';
import { problemLines } from './result.js';
import {
  ACCOUNT_ID,
  METADATA_KEY_PATTERN,
  RESERVED_KEYS,
  ROLE_ARN,
  stringProblem,
  VAULT_NAME,
} from './shape.js';

/** The longest look-back accepted (10 years): longer ones are typing errors, and overflow dates. */
export const MAX_LOOK_BACK_HOURS = 87_600;
/** The largest margin accepted before an alarm's state change (one day). */
export const MAX_MARGIN_SECONDS = 86_400;

/** Reads a recovery-point selection written as "before-alarm", "latest" or "look-back:24h". */
export function parsePointSelection(value: string | undefined): PointSelection | undefined {
  if (value === undefined) return undefined;
  if (value === 'before-alarm' || value === 'latest') return { mode: value };
  const m = /^look-?back:(\d{1,12})h$/.exec(value);
  if (m !== null) {
    const hours = Number(m[1]);
    if (hours >= 1 && hours <= MAX_LOOK_BACK_HOURS) return { mode: 'look-back', hours };
    throw new InvalidRequestError(
      `"${value.slice(0, 40)}" looks back ${hours} hours: use 1 to ${MAX_LOOK_BACK_HOURS} (look-back:24h)`,
    );
  }
  throw new InvalidRequestError(
    `"${value.slice(0, 40)}" is not a recovery point rule: use before-alarm, latest or look-back:24h`,
  );
}

/** Seconds before the state change, as a number or digits; throws InvalidRequestError naming `what`. */
export function parseMargin(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_MARGIN_SECONDS) {
    throw new InvalidRequestError(
      `${what} must be a whole number of seconds from 0 to ${MAX_MARGIN_SECONDS}`,
    );
  }
  return n;
}

const TARGET_FIELDS = new Set([
  'resourceArn',
  'backupVaultName',
  'backupVaultAccountId',
  'metadata',
  'iamRoleArn',
  'recoveryPoint',
  'pointInTimeMarginSeconds',
  // Read by the validator function only (alarmValidatorsOf); the restore functions accept it.
  'validator',
]);

/** The ALARM_TARGETS text as a JSON object, or the problem with it; nothing when unset or blank. */
export function alarmTargetsJson(text: string | undefined): {
  data?: Record<string, unknown>;
  problem?: string;
} {
  if (text === undefined || text.trim() === '') return {};
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { problem: 'ALARM_TARGETS must be JSON: {"alarm name or ARN": {"resourceArn": "..."}}' };
  }
  if (!isPlainObject(data))
    return { problem: 'ALARM_TARGETS must be a JSON object keyed by alarm name or ARN' };
  return { data };
}

/** The validators the targets name (`validator`), by alarm name or ARN. */
export function alarmValidatorsOf(data: Record<string, unknown> | undefined): Record<string, string> {
  const validators: Record<string, string> = {};
  for (const [alarm, t] of Object.entries(data ?? {})) {
    const validator = isPlainObject(t) ? t.validator : undefined;
    if (typeof validator === 'string' && !RESERVED_KEYS.has(alarm)) validators[alarm] = validator;
  }
  return validators;
}

/** One field's string-format problem, or undefined. */
type FieldProblems = Record<
  'resourceArn' | 'iamRoleArn' | 'backupVaultName' | 'backupVaultAccountId',
  string | undefined
>;

function fieldProblems(at: string, t: Record<string, unknown>): FieldProblems {
  return {
    resourceArn:
      typeof t.resourceArn !== 'string' || parseArn(t.resourceArn) === undefined
        ? `${at} needs a resourceArn`
        : undefined,
    iamRoleArn: stringProblem(`${at}.iamRoleArn`, t.iamRoleArn, ROLE_ARN),
    backupVaultName: stringProblem(`${at}.backupVaultName`, t.backupVaultName, VAULT_NAME),
    backupVaultAccountId: stringProblem(`${at}.backupVaultAccountId`, t.backupVaultAccountId, ACCOUNT_ID),
  };
}

/** The shape problems of each named field, else its policy problems, in the order they are listed. */
function namedFieldProblems(at: string, t: Record<string, unknown>, policy: RequestPolicy) {
  const shape = fieldProblems(at, t);
  const named = (name: keyof FieldProblems) =>
    shape[name] === undefined && typeof t[name] === 'string' ? (t[name] as string) : undefined;
  // The same policy checks, and messages, as an alarm's target at run time (src/act/restore-resource.ts).
  const policyOf: TargetVerdicts = checkTargetPolicy(
    {
      resourceArn: named('resourceArn'),
      iamRoleArn: named('iamRoleArn'),
      backupVaultName: named('backupVaultName'),
      backupVaultAccountId: named('backupVaultAccountId'),
    },
    policy,
  );
  return (name: keyof FieldProblems): string[] => {
    const problem = shape[name];
    return problem === undefined ? problemLines(policyOf[name], `${at}.${name}: `) : [problem];
  };
}

function metadataProblems(at: string, metadata: unknown): string[] {
  if (metadata === undefined) return [];
  const plain =
    isPlainObject(metadata) &&
    Object.entries(metadata).every(
      ([k, v]) => typeof v === 'string' && !RESERVED_KEYS.has(k) && METADATA_KEY_PATTERN.test(k),
    );
  return plain ? [] : [`${at}.metadata must be an object of string values with plain keys`];
}

/** The selection and margin of a target, with their problems. */
function timing(at: string, t: Record<string, unknown>, problems: string[]) {
  let selection: PointSelection | undefined;
  if (t.recoveryPoint !== undefined && typeof t.recoveryPoint !== 'string') {
    problems.push(`${at}.recoveryPoint must be a string (before-alarm, latest, look-back:24h)`);
  } else {
    try {
      selection = parsePointSelection(t.recoveryPoint as string | undefined);
    } catch (error) {
      problems.push(`${at}.recoveryPoint: ${(error as Error).message}`);
    }
  }
  let margin: number | undefined;
  try {
    margin = parseMargin(t.pointInTimeMarginSeconds, `${at}.pointInTimeMarginSeconds`);
    if (typeof t.pointInTimeMarginSeconds === 'string')
      problems.push(`${at}.pointInTimeMarginSeconds must be a number`);
  } catch (error) {
    problems.push((error as Error).message);
  }
  return { selection, margin };
}

function checkTarget(alarm: string, raw: unknown, policy: RequestPolicy): AlarmTarget | string[] {
  const at = `ALARM_TARGETS[${JSON.stringify(alarm.slice(0, 80))}]`;
  if (!isPlainObject(raw)) return [`${at} must be an object with a resourceArn`];
  const problems: string[] = [];
  const unknown = Object.keys(raw).filter((k) => !TARGET_FIELDS.has(k));
  if (unknown.length > 0)
    problems.push(
      `${at} has unknown field(s) ${unknown.slice(0, 5).join(', ')}; accepted: ${[...TARGET_FIELDS].join(', ')}`,
    );
  const t = raw as Record<string, unknown>;
  const field = namedFieldProblems(at, t, policy);
  problems.push(...field('resourceArn'), ...metadataProblems(at, t.metadata));
  problems.push(...field('iamRoleArn'), ...field('backupVaultName'));
  const owner = field('backupVaultAccountId');
  problems.push(...owner);
  if (owner.length === 0 && t.backupVaultAccountId !== undefined && t.backupVaultName === undefined)
    problems.push(`${at}.backupVaultAccountId needs backupVaultName (the vault that account shares)`);
  if (t.validator !== undefined && (typeof t.validator !== 'string' || t.validator === ''))
    problems.push(`${at}.validator must be the name or ARN of a Lambda function`);
  const { selection, margin } = timing(at, t, problems);
  if (problems.length > 0) return problems;
  return Object.freeze({
    resourceArn: t.resourceArn as string,
    ...(typeof t.backupVaultName === 'string' ? { backupVaultName: t.backupVaultName } : {}),
    ...(typeof t.backupVaultAccountId === 'string' ? { backupVaultAccountId: t.backupVaultAccountId } : {}),
    ...(t.metadata === undefined
      ? {}
      : { metadata: Object.freeze({ ...(t.metadata as Record<string, string>) }) }),
    ...(typeof t.iamRoleArn === 'string' ? { iamRoleArn: t.iamRoleArn } : {}),
    ...(selection === undefined ? {} : { recoveryPoint: selection }),
    ...(margin === undefined ? {} : { pointInTimeMarginSeconds: margin }),
  });
}

/**
 * Reads the ALARM_TARGETS configuration (JSON); returns problems instead of throwing. Each
 * target's resource, role, vault and vault owner must be within the policy (checked at cold start).
 */
export function parseAlarmTargets(
  text: string | undefined,
  policy: RequestPolicy,
): { targets: AlarmTargets; problems: string[] } {
  const empty: AlarmTargets = Object.freeze(Object.create(null));
  const { data, problem } = alarmTargetsJson(text);
  if (data === undefined) return { targets: empty, problems: problem === undefined ? [] : [problem] };
  const problems: string[] = [];
  // No prototype: a key such as "__proto__" can never reach or replace one.
  const targets: Record<string, AlarmTarget> = Object.create(null);
  for (const [alarm, raw] of Object.entries(data)) {
    if (RESERVED_KEYS.has(alarm) || alarm.trim() === '') {
      problems.push(`ALARM_TARGETS has the key ${JSON.stringify(alarm)}, which is not an alarm name or ARN`);
      continue;
    }
    const checked = checkTarget(alarm, raw, policy);
    if (Array.isArray(checked)) problems.push(...checked);
    else targets[alarm] = checked;
  }
  return { targets: Object.freeze(targets), problems };
}
