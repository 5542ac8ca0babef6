/**
 * EC2: an instance, always restored as a new one, with the volumes attached to it. A drill's copy:
 * TerminateInstances deletes only the volumes with DeleteOnTermination true
 * (docs/aws-behaviour.md#ec2-terminate-volumes). So the instance and every attached volume are
 * checked and tagged together, the volume ids recorded; after TerminateInstances each recorded
 * volume that is left is checked again and deleted once detached; anything that cannot be deleted
 * is a leftover, listed on the drill record and in the run's report, never hidden.
 */

import {
  DeleteVolumeCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  type EC2Client,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { call, dateOf, isNotFound, readOrMissing, tagMap } from './calls.js';
import { ec2TagsReady, evidenceOf, tagEc2, VOLUME_IAM, type VolumeEvidence } from './ebs.js';
import {
  type Deletion,
  type DrillContext,
  type DrillRules,
  type DrillSteps,
  fail,
  type Missing,
  missing,
  notYet,
  pass,
  type ResourceTypeModule,
  type ResourceView,
  taggedNeed,
  tagWriteNeed,
  type ValidationSteps,
  type Verdict,
} from './module.js';
import type { ReadyType } from './ready-steps.js';

/** An EC2 instance: DescribeInstances and DescribeInstanceStatus (IncludeAllInstances). */
export type InstanceObservation =
  | Missing
  | {
      readonly found: true;
      readonly id: string;
      readonly state: string;
      readonly systemStatus?: string;
      readonly instanceStatus?: string;
    };

const INSTANCE_GONE = new Set(['shutting-down', 'terminated', 'stopping', 'stopped']);

/** EC2 instance: `running` with both status checks `ok`. */
export function instanceVerdict(o: InstanceObservation): Verdict {
  if (!o.found) return missing('The restored instance');
  if (o.state === 'pending') return notYet(`Instance ${o.id} is pending`);
  if (INSTANCE_GONE.has(o.state)) {
    return fail(
      `Instance ${o.id} is ${o.state}: it does not run. Check its console output, fix the cause and restore again`,
    );
  }
  const checks = [o.systemStatus, o.instanceStatus];
  if (checks.some((s) => s === 'impaired')) {
    return fail(
      `Instance ${o.id} runs but its status checks fail (system ${o.systemStatus}, instance ${o.instanceStatus}): check its console output and the restored AMI`,
    );
  }
  if (checks.every((s) => s === 'ok'))
    return pass(`Instance ${o.id} is running and passes its status checks`);
  return notYet(
    `Instance ${o.id} is running; status checks are system ${o.systemStatus ?? 'unknown'}, instance ${o.instanceStatus ?? 'unknown'}`,
  );
}

export async function readInstance(ec2: EC2Client, id: string): Promise<InstanceObservation> {
  const out = await readOrMissing('DescribeInstances', () =>
    ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] })),
  );
  const instance = out?.Reservations?.[0]?.Instances?.[0];
  if (instance === undefined) return { found: false };
  const state = instance.State?.Name ?? 'unknown';
  if (state !== 'running') return { found: true, id, state };
  // Without IncludeAllInstances AWS answers for running instances only; asked for all, it always answers.
  const status = await readOrMissing('DescribeInstanceStatus', () =>
    ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [id], IncludeAllInstances: true })),
  );
  const s = status?.InstanceStatuses?.[0];
  return {
    found: true,
    id,
    state,
    ...(s?.SystemStatus?.Status === undefined ? {} : { systemStatus: s.SystemStatus.Status }),
    ...(s?.InstanceStatus?.Status === undefined ? {} : { instanceStatus: s.InstanceStatus.Status }),
  };
}

/**
 * Why the volumes attached to a drill's instance are not all the drill's (pure; empty: they are).
 * Each must have been created at or after the job started and carry no other job's tag; at tagging
 * (`recorded` not given) none may have been created well after the job completed (made and
 * attached later by someone); at deletion each must be one recorded at tagging and carry this
 * job's tag.
 */
export function volumeRefusals(
  rules: DrillRules,
  volumes: readonly VolumeEvidence[],
  jobCreatedAt: Date | undefined,
  restoreJobId: string,
  recorded?: readonly string[],
  jobCompletedAt?: Date,
): string[] {
  const refusals: string[] = [];
  for (const v of volumes) {
    const what = `the attached volume ${v.volumeId}`;
    if (recorded !== undefined && !recorded.includes(v.volumeId)) {
      refusals.push(`${what} was attached after the drill was recorded: it is not the drill's`);
      continue;
    }
    const time = rules.createdAfterRefusal(what, v.createdAt, jobCreatedAt);
    if (time !== undefined) refusals.push(time);
    const late =
      recorded === undefined
        ? rules.createdAfterCompletionRefusal(what, v.createdAt, jobCompletedAt, 'it was attached later')
        : undefined;
    if (late !== undefined) refusals.push(late);
    const tag = v.tags[rules.tagKey];
    if (tag !== undefined && tag !== restoreJobId) refusals.push(`${what} carries the tag of job ${tag}`);
    else if (recorded !== undefined && tag === undefined)
      refusals.push(`${what} does not carry the drill tag`);
  }
  return refusals;
}

async function describeVolumes(ec2: EC2Client, ids: readonly string[]): Promise<VolumeEvidence[]> {
  if (ids.length === 0) return [];
  const out = await call('DescribeVolumes', () =>
    ec2.send(new DescribeVolumesCommand({ VolumeIds: [...ids] })),
  );
  return (out.Volumes ?? []).map(evidenceOf);
}

/** The instance (unless gone or terminated), with the volumes attached to it now. */
async function viewInstance(
  ec2: EC2Client,
  id: string,
  context: DrillContext,
  rules: DrillRules,
): Promise<(ResourceView & { volumeIds: string[]; toTag: string[] }) | undefined> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  const instance = out.Reservations?.[0]?.Instances?.[0];
  if (instance === undefined || instance.State?.Name === 'terminated') return undefined;
  const volumeIds = (instance.BlockDeviceMappings ?? []).flatMap((m) =>
    m.Ebs?.VolumeId === undefined ? [] : [m.Ebs.VolumeId],
  );
  const volumes = await describeVolumes(ec2, volumeIds);
  const refusals = volumeRefusals(
    rules,
    volumes,
    context.jobCreatedAt,
    context.restoreJobId,
    context.volumeIds,
    context.jobCompletedAt,
  );
  const tags = tagMap(instance.Tags);
  // What still lacks the drill tag: a tag is put on once (IAM may allow it only where it is missing).
  const toTag = [
    ...(tags[rules.tagKey] === undefined ? [id] : []),
    ...volumes.filter((v) => v.tags[rules.tagKey] === undefined).map((v) => v.volumeId),
  ];
  return {
    exists: true,
    tags,
    createdAt: dateOf(instance.LaunchTime),
    volumeIds,
    toTag,
    ...(refusals.length === 0 ? {} : { inUse: refusals.join('; ') }),
  };
}

/** What became of the recorded volumes after the instance was terminated. */
export interface VolumeSweep extends Deletion {
  /** Still attached to the terminating instance: deleted on a later run. */
  readonly pending: string[];
  /** Left, with the reason: listed on the record and in the report. */
  readonly leftovers: string[];
}

async function volumeNow(
  ec2: EC2Client,
  id: string,
): Promise<(VolumeEvidence & { state: string }) | undefined> {
  try {
    const v = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] }))).Volumes?.[0];
    return v === undefined ? undefined : { ...evidenceOf(v), state: v.State ?? 'unknown' };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Deletes each recorded volume TerminateInstances left (DeleteOnTermination false), once detached
 * and checked again (recorded, created after the job started, this job's tag).
 */
export async function sweepVolumes(
  rules: DrillRules,
  ec2: EC2Client,
  instanceId: string,
  context: DrillContext,
): Promise<VolumeSweep> {
  const sweep: VolumeSweep = { steps: [], pending: [], leftovers: [] };
  for (const id of context.volumeIds ?? []) {
    const v = await call('DescribeVolumes', () => volumeNow(ec2, id));
    if (v === undefined || v.state === 'deleting' || v.state === 'deleted') continue;
    if (v.attachedTo.length > 0) {
      if (v.attachedTo.every((i) => i === instanceId)) sweep.pending.push(id);
      else sweep.leftovers.push(`${id}: attached to ${v.attachedTo.join(', ')}; it is not detached`);
      continue;
    }
    const refusals = volumeRefusals(
      rules,
      [v],
      context.jobCreatedAt,
      context.restoreJobId,
      context.volumeIds,
      context.jobCompletedAt,
    );
    if (refusals.length > 0) {
      sweep.leftovers.push(`${id}: ${refusals.join('; ')}`);
      continue;
    }
    await call('DeleteVolume', () => ec2.send(new DeleteVolumeCommand({ VolumeId: id })));
    sweep.steps.push(`DeleteVolume ${id} (left by TerminateInstances)`);
  }
  return sweep;
}

const INSTANCE = 'arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0';

export const ec2 = {
  type: 'EC2',
  restore: {
    targetKeys: [],
    droppedKeys: ['CpuOptions'],
    copyTags: true,
    // A network interface stored with the backup conflicts with an overridden subnet or group.
    beforeOverrides: (metadata, overrides) => {
      if ('SubnetId' in overrides || 'SecurityGroupIds' in overrides) delete metadata.NetworkInterfaces;
    },
  },
  alarm: [
    {
      namespace: 'AWS/EC2',
      dimension: 'InstanceId',
      arnOf: (id, w) => `arn:${w.partition}:ec2:${w.region}:${w.account}:instance/${id}`,
    },
  ],
  validated: true,
  drillable: true,
  madeReady: true,
  iam: [
    { action: 'ec2:DescribeInstances', resource: '*', by: 'validate' },
    { action: 'ec2:DescribeInstanceStatus', resource: '*', by: 'validate' },
    { action: 'ec2:DescribeInstances', resource: '*', by: 'cleanup' },
    tagWriteNeed('ec2:CreateTags', INSTANCE),
    taggedNeed('ec2:TerminateInstances', INSTANCE),
    ...VOLUME_IAM,
  ],
} as const satisfies ResourceTypeModule<'EC2'>;

export const ec2Validation: ValidationSteps = {
  check: async (clients, id) => instanceVerdict(await readInstance(clients.ec2(), id)),
};

export const ec2Drill: DrillSteps = {
  view: (clients, { id, context, rules }) => viewInstance(clients.ec2(), id, context, rules),
  tag: async (clients, { id, context, rules }, view) => {
    const ids = view?.toTag ?? [id, ...(context.volumeIds ?? [])];
    if (ids.length > 0) await tagEc2(clients.ec2(), ids, context.restoreJobId, rules);
  },
  delete: async (clients, { id, context, rules }) => {
    const ec2 = clients.ec2();
    await call('TerminateInstances', () => ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] })));
    const sweep = await sweepVolumes(rules, ec2, id, context);
    return { ...sweep, steps: ['TerminateInstances', ...sweep.steps] };
  },
};

/** EC2's make-ready steps: the pipeline's tag and the source instance's tags, on the instance only. */
export const ec2Ready: ReadyType = /* @__PURE__ */ ec2TagsReady(
  'EC2',
  {
    notFound: 'InvalidInstanceID.NotFound',
    describe: async (ec2, id) =>
      (await call('DescribeInstances', () => ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))))
        .Reservations?.[0]?.Instances?.[0],
  },
  [
    'the tags of the volumes the instance was restored with (the steps tag the instance, not its volumes)',
    'user data (AWS Backup neither backs it up nor restores it)',
    'Elastic IP addresses, DNS records and load balancer targets that named the source instance',
  ],
);
