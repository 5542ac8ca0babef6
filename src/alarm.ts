/**
 * CloudWatch alarm events: which transitions act, and which resource an alarm guards (explicit
 * mapping, then alarm tags, then metric dimensions). Pure functions only.
 */

import { InvalidRequestError } from './errors.js';

/** How to choose the recovery point. */
export type PointSelection =
  /** The latest COMPLETED point created before the alarm's state change (the default). */
  | { readonly mode: 'before-alarm' }
  /** The latest COMPLETED point, whenever it was created. */
  | { readonly mode: 'latest' }
  /** The latest COMPLETED point created before the state change and at most `hours` before it. */
  | { readonly mode: 'look-back'; readonly hours: number };

/** A restore target from configuration or tags. */
export interface AlarmTarget {
  readonly resourceArn: string;
  readonly backupVaultName?: string;
  /** Metadata overrides applied on top of the stored restore metadata. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly iamRoleArn?: string;
  readonly recoveryPoint?: PointSelection;
}

/** Alarm name or ARN to target (the ALARM_TARGETS configuration). */
export type AlarmTargets = Readonly<Record<string, AlarmTarget>>;

/** The fields of an alarm state change used here. */
export interface AlarmDetail {
  alarmName?: string;
  state?: { value?: string; reason?: string; timestamp?: string };
  previousState?: { value?: string; timestamp?: string };
  configuration?: {
    alarmRule?: string;
    metrics?: {
      id?: string;
      expression?: string;
      metricStat?: { metric?: { namespace?: string; name?: string; dimensions?: Record<string, string> } };
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
  recoveryPoint: 'backup-restore:recovery-point',
  role: 'backup-restore:role-arn',
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
  const alarmArn =
    event.resources?.[0] ?? `arn:aws:cloudwatch:${event.region}:${event.account}:alarm:${detail.alarmName}`;
  return { act: true, alarmName: detail.alarmName, alarmArn, changedAt };
}

/** Reads a recovery-point selection written as "before-alarm", "latest" or "look-back:24h". */
export function parsePointSelection(value: string | undefined): PointSelection | undefined {
  if (value === undefined) return undefined;
  if (value === 'before-alarm' || value === 'latest') return { mode: value };
  const m = /^look-?back:(\d+)h$/.exec(value);
  if (m !== null) return { mode: 'look-back', hours: Number(m[1]) };
  throw new InvalidRequestError(
    `"${value.slice(0, 40)}" is not a recovery point rule: use before-alarm, latest or look-back:24h`,
  );
}

const DIMENSION_ARNS: Readonly<Record<string, (id: string, region: string, account: string) => string>> = {
  DBInstanceIdentifier: (id, r, a) => `arn:aws:rds:${r}:${a}:db:${id}`,
  DBClusterIdentifier: (id, r, a) => `arn:aws:rds:${r}:${a}:cluster:${id}`,
  InstanceId: (id, r, a) => `arn:aws:ec2:${r}:${a}:instance/${id}`,
  VolumeId: (id, r, a) => `arn:aws:ec2:${r}:${a}:volume/${id}`,
  TableName: (id, r, a) => `arn:aws:dynamodb:${r}:${a}:table/${id}`,
  FileSystemId: (id, r, a) => `arn:aws:elasticfilesystem:${r}:${a}:file-system/${id}`,
  BucketName: (id) => `arn:aws:s3:::${id}`,
};

/** Where the target came from. */
export type TargetSource = 'mapping' | 'tags' | 'dimensions';

/** Finds what an alarm guards; throws InvalidRequestError saying what to configure when it cannot. */
export function alarmTarget(
  event: AlarmEvent,
  alarm: { alarmName: string; alarmArn: string },
  targets: AlarmTargets,
): { target: AlarmTarget; source: TargetSource } {
  const mapped = targets[alarm.alarmArn] ?? targets[alarm.alarmName];
  if (mapped !== undefined) return { target: mapped, source: 'mapping' };

  const tags = event.detail?.alarmTags ?? {};
  const tagged = tags[ALARM_TAGS.resourceArn];
  if (tagged !== undefined) {
    const selection = parsePointSelection(tags[ALARM_TAGS.recoveryPoint]);
    return {
      target: {
        resourceArn: tagged,
        ...(tags[ALARM_TAGS.vault] === undefined ? {} : { backupVaultName: tags[ALARM_TAGS.vault] }),
        ...(tags[ALARM_TAGS.role] === undefined ? {} : { iamRoleArn: tags[ALARM_TAGS.role] }),
        ...(selection === undefined ? {} : { recoveryPoint: selection }),
      },
      source: 'tags',
    };
  }

  const hint = `add "${alarm.alarmName}" to ALARM_TARGETS ({"${alarm.alarmName}": {"resourceArn": "..."}}) or tag the alarm with ${ALARM_TAGS.resourceArn}`;
  const configuration = event.detail?.configuration;
  if (configuration?.alarmRule !== undefined) {
    throw new InvalidRequestError(
      `Alarm ${alarm.alarmName} is a composite alarm, which names no resource: ${hint}`,
    );
  }
  const metrics = configuration?.metrics ?? [];
  if (metrics.some((m) => m.expression !== undefined)) {
    throw new InvalidRequestError(
      `Alarm ${alarm.alarmName} is a metric math alarm, which names no single resource: ${hint}`,
    );
  }
  const dimensions = metrics[0]?.metricStat?.metric?.dimensions ?? {};
  const region = event.region ?? '';
  const account = event.account ?? '';
  for (const [name, toArn] of Object.entries(DIMENSION_ARNS)) {
    const id = dimensions[name];
    if (typeof id === 'string' && id !== '')
      return { target: { resourceArn: toArn(id, region, account) }, source: 'dimensions' };
  }
  throw new InvalidRequestError(
    `Alarm ${alarm.alarmName} has no dimension naming a restorable resource (${Object.keys(DIMENSION_ARNS).join(', ')}): ${hint}`,
  );
}

/** Reads the ALARM_TARGETS configuration (JSON); returns problems instead of throwing. */
export function parseAlarmTargets(text: string | undefined): { targets: AlarmTargets; problems: string[] } {
  if (text === undefined || text.trim() === '') return { targets: {}, problems: [] };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return {
      targets: {},
      problems: ['ALARM_TARGETS must be JSON: {"alarm name or ARN": {"resourceArn": "..."}}'],
    };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { targets: {}, problems: ['ALARM_TARGETS must be a JSON object keyed by alarm name or ARN'] };
  }
  const problems: string[] = [];
  const targets: Record<string, AlarmTarget> = {};
  for (const [alarm, raw] of Object.entries(data as Record<string, unknown>)) {
    const t = raw as Record<string, unknown>;
    if (
      typeof t !== 'object' ||
      t === null ||
      typeof t.resourceArn !== 'string' ||
      !t.resourceArn.startsWith('arn:')
    ) {
      problems.push(`ALARM_TARGETS["${alarm}"] needs a resourceArn`);
      continue;
    }
    const metadata = t.metadata as Record<string, unknown> | undefined;
    if (
      metadata !== undefined &&
      (typeof metadata !== 'object' || Object.values(metadata).some((v) => typeof v !== 'string'))
    ) {
      problems.push(`ALARM_TARGETS["${alarm}"].metadata must be an object of strings`);
      continue;
    }
    let selection: PointSelection | undefined;
    try {
      selection = parsePointSelection(t.recoveryPoint as string | undefined);
    } catch (error) {
      problems.push(`ALARM_TARGETS["${alarm}"].recoveryPoint: ${(error as Error).message}`);
      continue;
    }
    targets[alarm] = {
      resourceArn: t.resourceArn,
      ...(typeof t.backupVaultName === 'string' ? { backupVaultName: t.backupVaultName } : {}),
      ...(metadata === undefined ? {} : { metadata: metadata as Record<string, string> }),
      ...(typeof t.iamRoleArn === 'string' ? { iamRoleArn: t.iamRoleArn } : {}),
      ...(selection === undefined ? {} : { recoveryPoint: selection }),
    };
  }
  return { targets, problems };
}
