/**
 * RDS DB instances: AWS Backup's restore keeps the instance but not always its tags, and deletion
 * protection comes back as the restore request set it (docs/aws-behaviour.md#b-copy-tags). The
 * steps read the source instance and set its tags and deletion protection on the copy.
 */

import {
  AddTagsToResourceCommand,
  type DBInstance,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { sortedCall } from '../aws/conditional.js';
import { nameOf, READY_TAG, type ReadyStep, type ReadyType, type Target, type Value } from './steps.js';
import { copiedTags, readIfExists, type Tags, tagsStep } from './tags.js';

async function instance(t: Target, arn: string): Promise<DBInstance> {
  const out = await sortedCall('DescribeDBInstances', () =>
    t.clients.rds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: nameOf(arn) })),
  );
  const db = out.DBInstances?.[0];
  if (db === undefined)
    throw Object.assign(new Error(`DBInstance ${nameOf(arn)} not found`), {
      name: 'DBInstanceNotFoundFault',
    });
  return db;
}

const tagsOf = (db: DBInstance): Tags =>
  Object.fromEntries((db.TagList ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));

const tagInstance = (t: Target, tags: Tags) =>
  sortedCall('AddTagsToResource', () =>
    t.clients.rds().send(
      new AddTagsToResourceCommand({
        ResourceName: t.restoredArn,
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    ),
  ).then(() => undefined);

const deletionProtection: ReadyStep = {
  name: 'rds.deletion-protection',
  key: 'deletionProtection',
  manual: 'turn deletion protection on for the restored DB instance (ModifyDBInstance DeletionProtection)',
  read: async (t) => (await instance(t, t.restoredArn)).DeletionProtection === true,
  write: (t, wanted) =>
    sortedCall('ModifyDBInstance', () =>
      t.clients.rds().send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: nameOf(t.restoredArn),
          DeletionProtection: wanted === true,
          ApplyImmediately: true,
        }),
      ),
    ).then(() => undefined),
};

/** RDS's make-ready steps: the pipeline's tag first (every later step is held to it). */
export const rdsReady: ReadyType = {
  resourceType: 'RDS',
  async readSource(t) {
    const arn = t.sourceArn;
    if (arn === undefined) return undefined;
    const db = await readIfExists(() => instance(t, arn));
    if (db === undefined) return undefined;
    const settings: Record<string, Value> = {
      deletionProtection: db.DeletionProtection === true,
      tags: copiedTags(tagsOf(db)),
    };
    return settings;
  },
  fromRecoveryPoint: () => ({}),
  steps: [
    tagsStep('rds.ready-tag', READY_TAG, async (t) => tagsOf(await instance(t, t.restoredArn)), tagInstance),
    tagsStep('rds.tags', 'tags', async (t) => tagsOf(await instance(t, t.restoredArn)), tagInstance),
    deletionProtection,
  ],
  manual: [
    'backup retention, parameter and option groups where the restore request did not name them',
    'the DNS name clients connect to (the copy has its own endpoint)',
  ],
};
