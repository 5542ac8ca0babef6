/**
 * EBS: a volume, always restored as a new one (AWS chooses its id). Its volume steps are shared with
 * EC2, whose instance restore creates the volumes attached to it.
 */

import { GetRecoveryPointRestoreMetadataCommand } from '@aws-sdk/client-backup';
import {
  CreateTagsCommand,
  DeleteVolumeCommand,
  DescribeVolumesCommand,
  type EC2Client,
  type Tag,
  type Volume,
} from '@aws-sdk/client-ec2';
import { vaultAccount } from '../aws/backup.js';
import { call, dateOf, isNotFound, NotReadyError, readOrMissing, tagMap } from './calls.js';
import {
  type DrillRules,
  type DrillSteps,
  fail,
  type IamNeed,
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
import { nameOf, type ReadyType, type Target } from './ready-steps.js';
import { type Tags, tagsOnlyReady } from './ready-tags.js';

/** An EBS volume (DescribeVolumes). */
export type VolumeObservation =
  | Missing
  | {
      readonly found: true;
      readonly id: string;
      readonly state: string;
      readonly sizeGiB?: number;
      /** The size the restore asked for or the snapshot had; undefined when unknown. */
      readonly expectedSizeGiB?: number;
    };

/** EBS volume: `available` (or already `in-use`) of the expected size. */
export function volumeVerdict(o: VolumeObservation): Verdict {
  if (!o.found) return missing('The restored volume');
  if (o.state === 'creating') return notYet(`Volume ${o.id} is creating`);
  if (o.state !== 'available' && o.state !== 'in-use') {
    return fail(`Volume ${o.id} is ${o.state}: it cannot be attached. Delete it and restore again`);
  }
  if (o.expectedSizeGiB !== undefined && o.sizeGiB !== o.expectedSizeGiB) {
    return fail(
      `Volume ${o.id} is ${o.sizeGiB ?? 'of unknown size'} GiB, expected ${o.expectedSizeGiB} GiB: check the restore's volumeSize metadata`,
    );
  }
  return pass(`Volume ${o.id} is ${o.state}${o.sizeGiB === undefined ? '' : `, ${o.sizeGiB} GiB`}`);
}

export async function readVolume(
  ec2: EC2Client,
  id: string,
  expectedSizeGiB: number | undefined,
): Promise<VolumeObservation> {
  const out = await readOrMissing('DescribeVolumes', () =>
    ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] })),
  );
  const v = out?.Volumes?.[0];
  if (v === undefined) return { found: false };
  return {
    found: true,
    id,
    state: v.State ?? 'unknown',
    ...(v.Size === undefined ? {} : { sizeGiB: v.Size }),
    ...(expectedSizeGiB === undefined ? {} : { expectedSizeGiB }),
  };
}

/** What the checks weigh of one volume. */
export interface VolumeEvidence {
  readonly volumeId: string;
  /** The instances it is attached to now. */
  readonly attachedTo: readonly string[];
  readonly createdAt: Date | undefined;
  readonly tags: Readonly<Record<string, string>>;
}

export const evidenceOf = (v: Volume): VolumeEvidence => ({
  volumeId: v.VolumeId ?? '',
  attachedTo: (v.Attachments ?? []).map((a) => a.InstanceId ?? '?'),
  createdAt: dateOf(v.CreateTime),
  tags: tagMap(v.Tags),
});

/** The volume, with why it must be left when it is attached (it is never detached). */
async function viewVolume(ec2: EC2Client, id: string): Promise<ResourceView | undefined> {
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

/** Tags instances and volumes (checked by their view) in one call. */
export async function tagEc2(
  ec2: EC2Client,
  ids: readonly string[],
  restoreJobId: string,
  rules: Pick<DrillRules, 'tagKey'>,
): Promise<void> {
  await call('CreateTags', () =>
    ec2.send(
      new CreateTagsCommand({ Resources: [...ids], Tags: [{ Key: rules.tagKey, Value: restoreJobId }] }),
    ),
  );
}

const VOLUME = 'arn:aws:ec2:eu-west-1:123456789012:volume/vol-0123456789abcdef0';
const POINT = 'arn:aws:backup:eu-west-1:123456789012:recovery-point:1a2b3c4d-5678-90ab-cdef-1234567890ab';

/** The IAM the volume steps need (EBS, and the volumes of an EC2 instance). */
export const VOLUME_IAM: readonly IamNeed[] = [
  { action: 'ec2:DescribeVolumes', resource: '*', by: 'cleanup' },
  tagWriteNeed('ec2:CreateTags', VOLUME),
  taggedNeed('ec2:DeleteVolume', VOLUME),
];

export const ebs = {
  type: 'EBS',
  restore: { required: ['availabilityZone'], targetKeys: [], copyTags: true },
  alarm: [
    {
      namespace: 'AWS/EBS',
      dimension: 'VolumeId',
      arnOf: (id, w) => `arn:${w.partition}:ec2:${w.region}:${w.account}:volume/${id}`,
    },
  ],
  validated: true,
  drillable: true,
  madeReady: true,
  iam: [
    { action: 'ec2:DescribeVolumes', resource: '*', by: 'validate' },
    { action: 'backup:GetRecoveryPointRestoreMetadata', resource: POINT, by: 'validate' },
    ...VOLUME_IAM,
  ],
} as const satisfies ResourceTypeModule<'EBS'>;

export const ebsValidation: ValidationSteps = {
  check: async (clients, id, expect) =>
    volumeVerdict(await readVolume(clients.ec2(), id, expect.volumeSizeGiB)),
  expect: async (backup, point, requestMetadata) => {
    const requested = Number(requestMetadata.volumeSize);
    if (Number.isInteger(requested) && requested > 0) return { volumeSizeGiB: requested };
    if (point === undefined) return {};
    const out = await readOrMissing('GetRecoveryPointRestoreMetadata', () =>
      backup.send(
        new GetRecoveryPointRestoreMetadataCommand({
          BackupVaultName: point.backupVaultName,
          ...vaultAccount(point.vaultAccountId),
          RecoveryPointArn: point.recoveryPointArn,
        }),
      ),
    );
    const size = Number(out?.RestoreMetadata?.volumeSize);
    return Number.isInteger(size) && size > 0 ? { volumeSizeGiB: size } : {};
  },
};

export const ebsDrill: DrillSteps = {
  view: (clients, { id }) => viewVolume(clients.ec2(), id),
  tag: (clients, { id, context, rules }) =>
    tagEc2(clients.ec2(), [id, ...(context.volumeIds ?? [])], context.restoreJobId, rules),
  delete: async (clients, { id }) => {
    await call('DeleteVolume', () => clients.ec2().send(new DeleteVolumeCommand({ VolumeId: id })));
    return { steps: ['DeleteVolume'] };
  },
};

/*
 * Make-ready: a restored volume or instance carries its source's tags only when the restore
 * request set CopySourceTagsToRestoredResource (docs/aws-behaviour.md#ec2-restore-tags). The steps
 * put the pipeline's tag on the copy, then the source's tags it lacks (CreateTags on its id).
 */

/** How make-ready reads one kind of EC2 resource (a volume, an instance) by its id. */
export interface Ec2Resource {
  /** The error EC2 answers for an id that does not exist. */
  readonly notFound: string;
  /** The resource, or undefined when EC2 lists none for the id. */
  readonly describe: (ec2: EC2Client, id: string) => Promise<{ readonly Tags?: Tag[] } | undefined>;
}

/** The resource's tags; EC2's not-found error when it is gone. */
async function tagsOf(what: Ec2Resource, t: Target, arn: string): Promise<Tags> {
  const id = nameOf(arn);
  const found = await what.describe(t.clients.ec2(), id);
  if (found === undefined) throw Object.assign(new Error(`${id} does not exist`), { name: what.notFound });
  return tagMap(found.Tags);
}

/**
 * A call on the copy AWS Backup has just created: EC2 may not know its id yet, so its "not found"
 * means "not yet" (retried, then the run is tried again), never a failed step
 * (docs/aws-behaviour.md#ec2-eventual-consistency).
 */
async function onCopy<T>(t: Target, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!isNotFound(error)) throw error;
    throw new NotReadyError(`EC2 does not know ${nameOf(t.restoredArn)} yet (it is eventually consistent)`);
  }
}

const tagCopy = (t: Target, tags: Tags) =>
  onCopy(t, () =>
    call('CreateTags', () =>
      t.clients.ec2().send(
        new CreateTagsCommand({
          Resources: [nameOf(t.restoredArn)],
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      ),
    ),
  ).then(() => undefined);

/** The make-ready steps of a restored EC2 resource: its tags alone (tagsOnlyReady). */
export function ec2TagsReady(
  resourceType: 'EBS' | 'EC2',
  what: Ec2Resource,
  manual: readonly string[],
): ReadyType {
  return tagsOnlyReady(
    resourceType,
    {
      tagsOf: (t, arn) => tagsOf(what, t, arn),
      copyTags: (t) => onCopy(t, () => tagsOf(what, t, t.restoredArn)),
      tagCopy,
    },
    manual,
  );
}

/** EBS's make-ready steps: the pipeline's tag and the source volume's tags. */
export const ebsReady: ReadyType = /* @__PURE__ */ ec2TagsReady(
  'EBS',
  {
    notFound: 'InvalidVolume.NotFound',
    describe: async (ec2, id) =>
      (await call('DescribeVolumes', () => ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] }))))
        .Volumes?.[0],
  },
  [
    'attaching the volume to an instance, under the device name the source had (a restored volume is attached to nothing)',
    'what names the source volume by its id (scripts, mounts, snapshot policies): the copy has its own id',
  ],
);
