/**
 * Which resource an alarm guards, and how far before its state change to restore to: the explicit
 * mapping (ALARM_TARGETS), else the alarm's tags, else its metric dimensions. Pure.
 */

import type { AlarmDetail, AlarmEvent } from '../arrival/alarm.js';
import type { AlarmTarget, AlarmTargets } from '../config.js';
import { InvalidRequestError } from '../errors.js';
import { isPlainObject, own } from '../json.js';
import { alarmDimensions } from '../resources/registry.js';
import { MAX_MARGIN_SECONDS, parseMargin, parsePointSelection } from './alarm-targets.js';
import { ACCOUNT_ID, stringProblem } from './shape.js';

/** The margin when the event says nothing of the alarm's period (CloudWatch's common 5 minutes). */
export const DEFAULT_MARGIN_SECONDS = 300;

/** Tags an alarm can carry to name its target (with alarm tag propagation on). */
export const ALARM_TAGS = {
  resourceArn: 'backup-restore:resource-arn',
  vault: 'backup-restore:vault',
  vaultAccount: 'backup-restore:vault-account-id',
  recoveryPoint: 'backup-restore:recovery-point',
  role: 'backup-restore:role-arn',
  margin: 'backup-restore:margin-seconds',
} as const;

/**
 * Per namespace, the dimensions that name a restorable resource, first match wins, as the type
 * modules declare them (src/resources/). The namespace decides the type: FileSystemId is an FSx
 * file system under AWS/FSx and an EFS one under AWS/EFS. Aurora, DocumentDB and Neptune are backed
 * up per cluster, so the cluster dimension wins over the instance one. docs/aws-behaviour.md#alarm-dimensions
 */
export const NAMESPACE_DIMENSIONS = alarmDimensions();

/** Where the target came from. */
export type TargetSource = 'mapping' | 'tags' | 'dimensions';

/** An alarm, as its transition names it. */
interface AlarmNames {
  alarmName: string;
  alarmArn: string;
  /** The alarm's partition (checks/alarm.ts partitionOf), for the ARNs its dimensions name. */
  partition: string;
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

/** The target the alarm's tags name, or undefined when they name no resource. */
function targetFromTags(detail: AlarmDetail, alarm: AlarmNames): AlarmTarget | undefined {
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
  if (tagged === undefined) return undefined;
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
  return {
    resourceArn: tagged,
    ...(vault === undefined ? {} : { backupVaultName: vault }),
    ...(vaultAccount === undefined ? {} : { backupVaultAccountId: vaultAccount }),
    ...(role === undefined ? {} : { iamRoleArn: role }),
    ...(selection === undefined ? {} : { recoveryPoint: selection }),
    ...(margin === undefined ? {} : { pointInTimeMarginSeconds: margin }),
  };
}

/** The single metric of an alarm that can name a resource; throws for composite and math alarms. */
function singleMetric(detail: AlarmDetail, alarm: AlarmNames, hint: string) {
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
  return {
    namespace: typeof metric?.namespace === 'string' ? metric.namespace : '',
    dimensions: isPlainObject(metric?.dimensions) ? metric.dimensions : {},
  };
}

/** The resource the alarm's metric dimensions name; throws InvalidRequestError saying what to configure. */
function targetFromDimensions(event: AlarmEvent, alarm: AlarmNames, hint: string): AlarmTarget {
  const { namespace, dimensions } = singleMetric(event.detail ?? {}, alarm, hint);
  const where = { partition: alarm.partition, region: event.region ?? '', account: event.account ?? '' };
  for (const [name, toArn] of own(NAMESPACE_DIMENSIONS, namespace) ?? []) {
    const id = own(dimensions, name);
    if (typeof id === 'string' && id !== '') return { resourceArn: toArn(id, where) };
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

/** Finds what an alarm guards; throws InvalidRequestError saying what to configure when it cannot. */
export function alarmTarget(
  event: AlarmEvent,
  alarm: AlarmNames,
  targets: AlarmTargets,
): { target: AlarmTarget; source: TargetSource } {
  const detail = event.detail ?? {};
  const mapped = own(targets, alarm.alarmArn) ?? own(targets, alarm.alarmName);
  if (mapped !== undefined) return { target: withMargin(mapped, detail), source: 'mapping' };
  const tagged = targetFromTags(detail, alarm);
  if (tagged !== undefined) return { target: withMargin(tagged, detail), source: 'tags' };
  const hint = `add "${alarm.alarmName}" to ALARM_TARGETS ({"${alarm.alarmName}": {"resourceArn": "..."}}) or tag the alarm with ${ALARM_TAGS.resourceArn}`;
  return { target: withMargin(targetFromDimensions(event, alarm, hint), detail), source: 'dimensions' };
}
