/** EFS: a file system, restored as a new one (newFileSystem, a new CreationToken). */

import {
  DeleteFileSystemCommand,
  DescribeFileSystemsCommand,
  type EFSClient,
  TagResourceCommand,
} from '@aws-sdk/client-efs';
import { call, dateOf, readOrMissing, tagMap } from './calls.js';
import {
  type DrillSteps,
  fail,
  type Missing,
  missing,
  notYet,
  pass,
  type ResourceTypeModule,
  taggedNeed,
  tagWriteNeed,
  type ValidationSteps,
  type Verdict,
} from './module.js';
import { newName } from './names.js';
import { nameOf, type ReadyType, type Target } from './ready-steps.js';
import { type Tags, tagsOnlyReady } from './ready-tags.js';

/** An EFS file system (DescribeFileSystems). */
export type FileSystemObservation =
  | Missing
  | { readonly found: true; readonly id: string; readonly state: string };

/** EFS file system: `available`. */
export function fileSystemVerdict(o: FileSystemObservation): Verdict {
  if (!o.found) return missing('The restored file system');
  if (o.state === 'available') return pass(`File system ${o.id} is available`);
  if (o.state === 'creating' || o.state === 'updating') return notYet(`File system ${o.id} is ${o.state}`);
  return fail(`File system ${o.id} is ${o.state}: it cannot be mounted. Delete it and restore again`);
}

export async function readFileSystem(efs: EFSClient, id: string): Promise<FileSystemObservation> {
  const out = await readOrMissing('DescribeFileSystems', () =>
    efs.send(new DescribeFileSystemsCommand({ FileSystemId: id })),
  );
  const fs = out?.FileSystems?.[0];
  return fs === undefined ? { found: false } : { found: true, id, state: fs.LifeCycleState ?? 'unknown' };
}

const FILE_SYSTEM = 'arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0123456789abcdef0';

export const efs = {
  type: 'EFS',
  restore: {
    required: ['newFileSystem', 'CreationToken', 'Encrypted', 'PerformanceMode', 'file-system-id'],
    targetKeys: ['newFileSystem', 'CreationToken', 'FileSystemId'],
    copyTags: true,
    newIdentity: (metadata, suffix) => {
      metadata.newFileSystem = 'true';
      metadata.CreationToken = newName(
        metadata.CreationToken,
        suffix,
        64,
        (s) => s.replace(/[^A-Za-z0-9_.-]/g, '-'),
        'restore',
      );
    },
  },
  alarm: [
    {
      namespace: 'AWS/EFS',
      dimension: 'FileSystemId',
      arnOf: (id, w) => `arn:${w.partition}:elasticfilesystem:${w.region}:${w.account}:file-system/${id}`,
    },
  ],
  validated: true,
  drillable: true,
  madeReady: true,
  iam: [
    { action: 'elasticfilesystem:DescribeFileSystems', resource: FILE_SYSTEM, by: 'validate' },
    { action: 'elasticfilesystem:DescribeFileSystems', resource: FILE_SYSTEM, by: 'cleanup' },
    tagWriteNeed('elasticfilesystem:TagResource', FILE_SYSTEM),
    taggedNeed('elasticfilesystem:DeleteFileSystem', FILE_SYSTEM),
  ],
} as const satisfies ResourceTypeModule<'EFS'>;

export const efsValidation: ValidationSteps = {
  check: async (clients, id) => fileSystemVerdict(await readFileSystem(clients.efs(), id)),
};

export const efsDrill: DrillSteps = {
  view: async (clients, { id }) => {
    const fs = (await clients.efs().send(new DescribeFileSystemsCommand({ FileSystemId: id })))
      .FileSystems?.[0];
    if (fs === undefined) return undefined;
    return {
      exists: true,
      tags: tagMap(fs.Tags),
      createdAt: dateOf(fs.CreationTime),
      ...((fs.NumberOfMountTargets ?? 0) > 0
        ? { inUse: `the file system has ${fs.NumberOfMountTargets} mount target(s): someone uses it` }
        : {}),
    };
  },
  tag: async (clients, { id, context, rules }) => {
    await call('TagResource (EFS)', () =>
      clients.efs().send(
        new TagResourceCommand({
          ResourceId: id,
          Tags: [{ Key: rules.tagKey, Value: context.restoreJobId }],
        }),
      ),
    );
  },
  delete: async (clients, { id }) => {
    await call('DeleteFileSystem', () =>
      clients.efs().send(new DeleteFileSystemCommand({ FileSystemId: id })),
    );
    return { steps: ['DeleteFileSystem'] };
  },
};

/*
 * Make-ready: a restored file system carries its source's tags only when the restore request set
 * CopySourceTagsToRestoredResource (docs/aws-behaviour.md#efs-restore-tags). The steps put the
 * pipeline's tag on the copy, then the source's tags it lacks (TagResource on its id).
 */

/** The file system's tags (DescribeFileSystems answers them); FileSystemNotFound when it is gone. */
async function fileSystemTags(t: Target, arn: string): Promise<Tags> {
  const id = nameOf(arn);
  const out = await call('DescribeFileSystems', () =>
    t.clients.efs().send(new DescribeFileSystemsCommand({ FileSystemId: id })),
  );
  const fs = out.FileSystems?.[0];
  if (fs === undefined)
    throw Object.assign(new Error(`${id} does not exist`), { name: 'FileSystemNotFound' });
  return tagMap(fs.Tags);
}

const tagCopy = async (t: Target, tags: Tags): Promise<void> => {
  await call('TagResource (EFS)', () =>
    t.clients.efs().send(
      new TagResourceCommand({
        ResourceId: nameOf(t.restoredArn),
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    ),
  );
};

/** EFS's make-ready steps: its tags alone (tagsOnlyReady). */
export const efsReady: ReadyType = /* @__PURE__ */ tagsOnlyReady(
  'EFS',
  { tagsOf: fileSystemTags, copyTags: (t) => fileSystemTags(t, t.restoredArn), tagCopy },
  [
    'mount targets, access points and the file system policy: the steps create none',
    'clients mount the copy by its own id',
  ],
);
