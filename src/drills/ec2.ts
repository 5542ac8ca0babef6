/**
 * A drill's EC2 instance and EBS volumes. An instance restore creates the instance and the volumes
 * attached to it; TerminateInstances deletes only those with DeleteOnTermination true
 * (docs/aws-behaviour.md#ec2-terminate-volumes). So the instance and every attached volume are
 * checked and tagged together, the volume ids recorded; after TerminateInstances each recorded
 * volume that is left is checked again and deleted once detached; anything that cannot be deleted
 * is a leftover, listed on the drill record and in the run's report, never hidden.
 */

import {
  CreateTagsCommand,
  DeleteVolumeCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  type EC2Client,
  TerminateInstancesCommand,
  type Volume,
} from '@aws-sdk/client-ec2';
import { call, type DrillContext, dateOf, isNotFound, tagMap } from './calls.js';
import { createdAfterCompletionRefusal, createdAfterRefusal, DRILL_TAG_KEY } from './drill.js';
import type { ResourceView } from './resources.js';

/** What the checks weigh of one volume. */
export interface VolumeEvidence {
  readonly volumeId: string;
  /** The instances it is attached to now. */
  readonly attachedTo: readonly string[];
  readonly createdAt: Date | undefined;
  readonly tags: Readonly<Record<string, string>>;
}

const evidenceOf = (v: Volume): VolumeEvidence => ({
  volumeId: v.VolumeId ?? '',
  attachedTo: (v.Attachments ?? []).map((a) => a.InstanceId ?? '?'),
  createdAt: dateOf(v.CreateTime),
  tags: tagMap(v.Tags),
});

/**
 * Why the volumes attached to a drill's instance are not all the drill's (pure; empty: they are).
 * Each must have been created at or after the job started and carry no other job's tag; at tagging
 * (`recorded` not given) none may have been created well after the job completed (made and
 * attached later by someone); at deletion each must be one recorded at tagging and carry this
 * job's tag.
 */
export function volumeRefusals(
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
    const time = createdAfterRefusal(what, v.createdAt, jobCreatedAt);
    if (time !== undefined) refusals.push(time);
    const late =
      recorded === undefined
        ? createdAfterCompletionRefusal(what, v.createdAt, jobCompletedAt, 'it was attached later')
        : undefined;
    if (late !== undefined) refusals.push(late);
    const tag = v.tags[DRILL_TAG_KEY];
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
export async function viewInstance(
  ec2: EC2Client,
  id: string,
  context: Pick<DrillContext, 'jobCreatedAt' | 'jobCompletedAt' | 'restoreJobId' | 'volumeIds'>,
): Promise<(ResourceView & { volumeIds: string[]; toTag: string[] }) | undefined> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  const instance = out.Reservations?.[0]?.Instances?.[0];
  if (instance === undefined || instance.State?.Name === 'terminated') return undefined;
  const volumeIds = (instance.BlockDeviceMappings ?? []).flatMap((m) =>
    m.Ebs?.VolumeId === undefined ? [] : [m.Ebs.VolumeId],
  );
  const volumes = await describeVolumes(ec2, volumeIds);
  const refusals = volumeRefusals(
    volumes,
    context.jobCreatedAt,
    context.restoreJobId,
    context.volumeIds,
    context.jobCompletedAt,
  );
  const tags = tagMap(instance.Tags);
  // What still lacks the drill tag: a tag is put on once (IAM may allow it only where it is missing).
  const toTag = [
    ...(tags[DRILL_TAG_KEY] === undefined ? [id] : []),
    ...volumes.filter((v) => v.tags[DRILL_TAG_KEY] === undefined).map((v) => v.volumeId),
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

/** The volume, with why it must be left when it is attached (it is never detached). */
export async function viewVolume(ec2: EC2Client, id: string): Promise<ResourceView | undefined> {
  const volume = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] }))).Volumes?.[0];
  if (volume === undefined) return undefined;
  const attached = (volume.Attachments ?? []).map((a) => a.InstanceId ?? '?');
  return {
    exists: true,
    tags: tagMap(volume.Tags),
    createdAt: dateOf(volume.CreateTime),
    ...(volume.State === 'in-use' || attached.length > 0
      ? { inUse: `the volume is attached (${attached.join(', ') || 'in-use'}); it is not detached` }
      : {}),
  };
}

/** Tags the instance and the volumes attached to it (checked by viewInstance) in one call. */
export async function tagInstance(
  ec2: EC2Client,
  ids: readonly string[],
  restoreJobId: string,
): Promise<void> {
  await call('CreateTags', () =>
    ec2.send(
      new CreateTagsCommand({ Resources: [...ids], Tags: [{ Key: DRILL_TAG_KEY, Value: restoreJobId }] }),
    ),
  );
}

/** What became of the recorded volumes after the instance was terminated. */
export interface VolumeSweep {
  readonly steps: string[];
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

/** Terminates the instance, then deletes the recorded volumes it left (those detached already). */
export async function deleteInstance(
  ec2: EC2Client,
  id: string,
  context: DrillContext,
): Promise<VolumeSweep> {
  await call('TerminateInstances', () => ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] })));
  const sweep = await sweepVolumes(ec2, id, context);
  return { ...sweep, steps: ['TerminateInstances', ...sweep.steps] };
}
