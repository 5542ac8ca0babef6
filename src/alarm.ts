/**
 * CloudWatch alarm events: which transitions act, and which resource an alarm guards (explicit
 * mapping, then alarm tags, then metric dimensions). Pure functions only.
 */

import { parseArn, partitionOfRegion, type Scope } from './arn.js';
import { checkAlarmAccount, checkTargetPolicy, type RequestPolicy } from './checks/policy.js';
import { problemLines } from './checks/result.js';
import {
  ACCOUNT_ID,
  METADATA_KEY_PATTERN,
  RESERVED_KEYS,
  ROLE_ARN,
  stringProblem,
  VAULT_NAME,
} from './checks/shape.js';
import { InvalidRequestError } from './errors.js';
import { isPlainObject } from './json.js';
import { alarmDimensions } from './resources/registry.js';

/** How to choose the recovery point. */
export type PointSelection =
  /**
   * The default: the state change minus `marginSeconds` is the moment to restore to (a continuous
   * point covering it, restored to it; else the latest snapshot created at or before it).
   */
  | { readonly mode: 'before-alarm'; readonly marginSeconds?: number }
  /** The latest snapshot, whenever it was created (never a point-in-time restore: no moment). */
  | { readonly mode: 'latest' }
  /** As before-alarm, and a snapshot at most `hours` before the state change. */
  | { readonly mode: 'look-back'; readonly hours: number; readonly marginSeconds?: number };

/** The longest look-back accepted (10 years): longer ones are typing errors, and overflow dates. */
export const MAX_LOOK_BACK_HOURS = 87_600;
/** The largest margin accepted before an alarm's state change (one day). */
export const MAX_MARGIN_SECONDS = 86_400;
/** The margin when the event says nothing of the alarm's period (CloudWatch's common 5 minutes). */
export const DEFAULT_MARGIN_SECONDS = 300;

/** A restore target from configuration or tags. */
export interface AlarmTarget {
  readonly resourceArn: string;
  readonly backupVaultName?: string;
  /**
   * The account that owns `backupVaultName`, a vault it shares with this account;
   * absent: the resource's account when that is a source account, else this account.
   */
  readonly backupVaultAccountId?: string;
  /** Metadata overrides applied on top of the stored restore metadata. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly iamRoleArn?: string;
  readonly recoveryPoint?: PointSelection;
  /** Seconds before the state change to restore to; overrides the margin derived from the alarm. */
  readonly pointInTimeMarginSeconds?: number;
}

/** Alarm name or ARN to target (the ALARM_TARGETS configuration). */
export type AlarmTargets = Readonly<Record<string, AlarmTarget>>;

/** The fields of an alarm state change used here. */
export interface AlarmDetail {
  alarmName?: string;
  state?: { value?: string; reason?: string; reasonData?: string; timestamp?: string };
  previousState?: { value?: string; timestamp?: string };
  configuration?: {
    alarmRule?: string;
    metrics?: {
      id?: string;
      expression?: string;
      metricStat?: {
        metric?: { namespace?: string; name?: string; dimensions?: Record<string, string> };
        period?: number;
        stat?: string;
      };
    }[];
  };
  alarmTags?: Record<string, string>;
}

/** The alarm state change event (fields used here). */
export interface AlarmEvent {
  id?: string;
  account?: string;
  region?: string;
  time?: string;
  resources?: string[];
  detail?: AlarmDetail;
}

/** Tags an alarm can carry to name its target (with alarm tag propagation on). */
export const ALARM_TAGS = {
  resourceArn: 'backup-restore:resource-arn',
  vault: 'backup-restore:vault',
  vaultAccount: 'backup-restore:vault-account-id',
  recoveryPoint: 'backup-restore:recovery-point',
  role: 'backup-restore:role-arn',
  margin: 'backup-restore:margin-seconds',
} as const;

/** A transition worth acting on, or why not. */
export type Transition =
  | { readonly act: true; readonly alarmName: string; readonly alarmArn: string; readonly changedAt: Date }
  | { readonly act: false; readonly reason: string };

/** Only a transition into ALARM acts; OK, INSUFFICIENT_DATA and ALARM-to-ALARM repeats do nothing. */
export function alarmTransition(event: AlarmEvent): Transition {
  const detail = event.detail;
  if (typeof detail !== 'object' || detail === null || typeof detail.alarmName !== 'string') {
    throw new InvalidRequestError(
      'The alarm event has no detail.alarmName: it is not a CloudWatch Alarm State Change',
    );
  }
  const state = detail.state?.value;
  if (state !== 'ALARM') return { act: false, reason: `state is ${String(state)}` };
  if (detail.previousState?.value === 'ALARM')
    return { act: false, reason: 'the alarm was already in ALARM' };
  const changedAt = new Date(detail.state?.timestamp ?? event.time ?? '');
  if (Number.isNaN(changedAt.getTime())) {
    throw new InvalidRequestError(`Alarm ${detail.alarmName} has no readable state timestamp`);
  }
  const named = Array.isArray(event.resources) ? event.resources[0] : undefined;
  const alarmArn =
    typeof named === 'string'
      ? named
      : `arn:${partitionOf(event)}:cloudwatch:${event.region}:${event.account}:alarm:${detail.alarmName}`;
  return { act: true, alarmName: detail.alarmName, alarmArn, changedAt };
}

/**
 * Why an alarm's own account may not start a restore here (undefined: it may): it must be this
 * deployment's account or a listed source account, as its event and its ARN say. Checked before its
 * target is looked up: a foreign alarm's tags may name a listed account's resource.
 */
export function alarmAccountProblem(event: AlarmEvent, scope: Scope): string | undefined {
  const named = Array.isArray(event.resources) ? event.resources[0] : undefined;
  const verdict = checkAlarmAccount(
    { account: event.account, alarmArn: typeof named === 'string' ? named : undefined },
    scope,
  );
  return verdict.kind === 'ok' ? undefined : verdict.problems.join('; ');
}

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

/** The partition of an alarm event: from its alarm ARN, else from its Region. docs/aws-behaviour.md#partitions */
export function partitionOf(event: AlarmEvent): string {
  const named = Array.isArray(event.resources) ? event.resources[0] : undefined;
  const arn = typeof named === 'string' ? parseArn(named) : undefined;
  return arn?.partition ?? partitionOfRegion(event.region ?? '');
}

/**
 * Per namespace, the dimensions that name a restorable resource, first match wins, as the type
 * modules declare them (src/resources/). The namespace decides the type: FileSystemId is an FSx
 * file system under AWS/FSx and an EFS one under AWS/EFS. Aurora, DocumentDB and Neptune are backed
 * up per cluster, so the cluster dimension wins over the instance one. docs/aws-behaviour.md#alarm-dimensions
 */
const NAMESPACE_DIMENSIONS = alarmDimensions();

/** Where the target came from. */
export type TargetSource = 'mapping' | 'tags' | 'dimensions';

/** An own property only: alarm names such as `constructor` or `__proto__` never read a prototype. */
function own<T>(map: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

/**
 * Seconds before the state change that the data was already bad: the alarm's period times the
 * datapoints it evaluated ("M out of the last N datapoints", or the evaluated datapoints in
 * reasonData). docs/aws-behaviour.md#alarm-margin
 */
export function evaluationMarginSeconds(detail: AlarmDetail): number {
  const metrics = detail.configuration?.metrics;
  const periods = (Array.isArray(metrics) ? metrics : [])
    .map((m) => (isPlainObject(m) ? m.metricStat?.period : undefined))
    .filter((p): p is number => typeof p === 'number' && Number.isFinite(p) && p > 0);
  const period = periods.length === 0 ? undefined : Math.max(...periods);
  let datapoints: number | undefined;
  const reason = typeof detail.state?.reason === 'string' ? detail.state.reason : '';
  const m = /out of the last (\d{1,4}) datapoints/.exec(reason);
  if (m !== null) datapoints = Number(m[1]);
  else if (typeof detail.state?.reasonData === 'string') {
    try {
      const data = JSON.parse(detail.state.reasonData) as { evaluatedDatapoints?: unknown };
      if (Array.isArray(data.evaluatedDatapoints) && data.evaluatedDatapoints.length > 0)
        datapoints = data.evaluatedDatapoints.length;
    } catch {
      // reasonData that is not JSON says nothing of the evaluation; the default margin applies.
    }
  }
  if (period === undefined) return DEFAULT_MARGIN_SECONDS;
  return Math.min(period * (datapoints ?? 1), MAX_MARGIN_SECONDS);
}

/** The selection of a target with the margin filled in (the target's own, else the alarm's). */
function withMargin(target: AlarmTarget, detail: AlarmDetail): AlarmTarget {
  const selection = target.recoveryPoint ?? { mode: 'before-alarm' };
  if (selection.mode === 'latest') return { ...target, recoveryPoint: selection };
  const marginSeconds = target.pointInTimeMarginSeconds ?? evaluationMarginSeconds(detail);
  return { ...target, recoveryPoint: { ...selection, marginSeconds } };
}

function parseMargin(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_MARGIN_SECONDS) {
    throw new InvalidRequestError(
      `${what} must be a whole number of seconds from 0 to ${MAX_MARGIN_SECONDS}`,
    );
  }
  return n;
}

/** Finds what an alarm guards; throws InvalidRequestError saying what to configure when it cannot. */
export function alarmTarget(
  event: AlarmEvent,
  alarm: { alarmName: string; alarmArn: string },
  targets: AlarmTargets,
): { target: AlarmTarget; source: TargetSource } {
  const detail = event.detail ?? {};
  const mapped = own(targets, alarm.alarmArn) ?? own(targets, alarm.alarmName);
  if (mapped !== undefined) return { target: withMargin(mapped, detail), source: 'mapping' };

  const rawTags = detail.alarmTags;
  if (rawTags !== undefined && !isPlainObject(rawTags)) {
    throw new InvalidRequestError(`Alarm ${alarm.alarmName} has alarmTags that are not an object of strings`);
  }
  const tags: Record<string, unknown> = rawTags ?? {};
  const tag = (name: string): string | undefined => {
    const v = own(tags, name);
    if (v !== undefined && typeof v !== 'string')
      throw new InvalidRequestError(`Alarm tag ${name} of ${alarm.alarmName} must be a string`);
    return v;
  };
  const tagged = tag(ALARM_TAGS.resourceArn);
  if (tagged !== undefined) {
    const selection = parsePointSelection(tag(ALARM_TAGS.recoveryPoint));
    const vault = tag(ALARM_TAGS.vault);
    const vaultAccount = tag(ALARM_TAGS.vaultAccount);
    const badAccount = stringProblem(
      `Alarm tag ${ALARM_TAGS.vaultAccount} of ${alarm.alarmName}`,
      vaultAccount,
      ACCOUNT_ID,
    );
    if (badAccount !== undefined) throw new InvalidRequestError(badAccount);
    const role = tag(ALARM_TAGS.role);
    const margin = parseMargin(tag(ALARM_TAGS.margin), `Alarm tag ${ALARM_TAGS.margin}`);
    const target: AlarmTarget = {
      resourceArn: tagged,
      ...(vault === undefined ? {} : { backupVaultName: vault }),
      ...(vaultAccount === undefined ? {} : { backupVaultAccountId: vaultAccount }),
      ...(role === undefined ? {} : { iamRoleArn: role }),
      ...(selection === undefined ? {} : { recoveryPoint: selection }),
      ...(margin === undefined ? {} : { pointInTimeMarginSeconds: margin }),
    };
    return { target: withMargin(target, detail), source: 'tags' };
  }

  const hint = `add "${alarm.alarmName}" to ALARM_TARGETS ({"${alarm.alarmName}": {"resourceArn": "..."}}) or tag the alarm with ${ALARM_TAGS.resourceArn}`;
  const configuration = detail.configuration;
  if (configuration !== undefined && !isPlainObject(configuration)) {
    throw new InvalidRequestError(
      `Alarm ${alarm.alarmName} has a configuration that is not an object: ${hint}`,
    );
  }
  if (configuration?.alarmRule !== undefined) {
    throw new InvalidRequestError(
      `Alarm ${alarm.alarmName} is a composite alarm, which names no resource: ${hint}`,
    );
  }
  const metrics: unknown = configuration?.metrics ?? [];
  if (!Array.isArray(metrics)) {
    throw new InvalidRequestError(
      `Alarm ${alarm.alarmName} has configuration.metrics that is not a list: it is not a CloudWatch Alarm State Change (${hint})`,
    );
  }
  if (metrics.some((m) => !isPlainObject(m) || m.expression !== undefined)) {
    throw new InvalidRequestError(
      `Alarm ${alarm.alarmName} is a metric math alarm, which names no single resource: ${hint}`,
    );
  }
  const metric = (metrics[0] as AlarmDetail['configuration'] & { metricStat?: { metric?: unknown } })
    ?.metricStat?.metric as { namespace?: unknown; dimensions?: unknown } | undefined;
  const namespace = typeof metric?.namespace === 'string' ? metric.namespace : '';
  const dimensions = isPlainObject(metric?.dimensions) ? metric.dimensions : {};
  const where = { partition: partitionOf(event), region: event.region ?? '', account: event.account ?? '' };
  for (const [name, toArn] of own(NAMESPACE_DIMENSIONS, namespace) ?? []) {
    const id = own(dimensions, name);
    if (typeof id === 'string' && id !== '')
      return { target: withMargin({ resourceArn: toArn(id, where) }, detail), source: 'dimensions' };
  }
  if (
    (namespace === 'AWS/DocDB' || namespace === 'AWS/Neptune') &&
    typeof own(dimensions, 'DBInstanceIdentifier') === 'string'
  ) {
    throw new InvalidRequestError(
      `Alarm ${alarm.alarmName} watches a ${namespace.slice(4)} instance, which is backed up through its cluster, and the metric does not name the cluster: ${hint} with the cluster's ARN`,
    );
  }
  const known = Object.entries(NAMESPACE_DIMENSIONS)
    .map(([ns, dims]) => `${ns} ${dims.map(([d]) => d).join('/')}`)
    .join(', ');
  throw new InvalidRequestError(
    `Alarm ${alarm.alarmName} has no dimension naming a restorable resource in namespace "${namespace.slice(0, 64)}" (known: ${known}): ${hint}`,
  );
}

const TARGET_FIELDS = new Set([
  'resourceArn',
  'backupVaultName',
  'backupVaultAccountId',
  'metadata',
  'iamRoleArn',
  'recoveryPoint',
  'pointInTimeMarginSeconds',
]);

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
  const resourceProblem =
    typeof t.resourceArn !== 'string' || parseArn(t.resourceArn) === undefined
      ? `${at} needs a resourceArn`
      : undefined;
  const roleProblem = stringProblem(`${at}.iamRoleArn`, t.iamRoleArn, ROLE_ARN);
  const vaultProblem = stringProblem(`${at}.backupVaultName`, t.backupVaultName, VAULT_NAME);
  const ownerProblem = stringProblem(`${at}.backupVaultAccountId`, t.backupVaultAccountId, ACCOUNT_ID);
  const named = (value: unknown, problem: string | undefined) =>
    problem === undefined && typeof value === 'string' ? value : undefined;
  // The same policy checks, and messages, as an alarm's target at run time (src/act/restore-resource.ts).
  const policyOf = checkTargetPolicy(
    {
      resourceArn: named(t.resourceArn, resourceProblem),
      iamRoleArn: named(t.iamRoleArn, roleProblem),
      backupVaultName: named(t.backupVaultName, vaultProblem),
      backupVaultAccountId: named(t.backupVaultAccountId, ownerProblem),
    },
    policy,
  );
  const field = (problem: string | undefined, name: keyof typeof policyOf) =>
    problem === undefined ? problemLines(policyOf[name], `${at}.${name}: `) : [problem];
  problems.push(...field(resourceProblem, 'resourceArn'));
  const metadata = t.metadata;
  if (
    metadata !== undefined &&
    (!isPlainObject(metadata) ||
      Object.entries(metadata).some(
        ([k, v]) => typeof v !== 'string' || RESERVED_KEYS.has(k) || !METADATA_KEY_PATTERN.test(k),
      ))
  ) {
    problems.push(`${at}.metadata must be an object of string values with plain keys`);
  }
  problems.push(...field(roleProblem, 'iamRoleArn'), ...field(vaultProblem, 'backupVaultName'));
  const owner = field(ownerProblem, 'backupVaultAccountId');
  problems.push(...owner);
  if (owner.length === 0 && t.backupVaultAccountId !== undefined && t.backupVaultName === undefined)
    problems.push(`${at}.backupVaultAccountId needs backupVaultName (the vault that account shares)`);
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
  if (problems.length > 0) return problems;
  return Object.freeze({
    resourceArn: t.resourceArn as string,
    ...(typeof t.backupVaultName === 'string' ? { backupVaultName: t.backupVaultName } : {}),
    ...(typeof t.backupVaultAccountId === 'string' ? { backupVaultAccountId: t.backupVaultAccountId } : {}),
    ...(metadata === undefined
      ? {}
      : { metadata: Object.freeze({ ...(metadata as Record<string, string>) }) }),
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
  if (text === undefined || text.trim() === '') return { targets: empty, problems: [] };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return {
      targets: empty,
      problems: ['ALARM_TARGETS must be JSON: {"alarm name or ARN": {"resourceArn": "..."}}'],
    };
  }
  if (!isPlainObject(data)) {
    return { targets: empty, problems: ['ALARM_TARGETS must be a JSON object keyed by alarm name or ARN'] };
  }
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
