/** RDS: a DB instance, restored under a new DBInstanceIdentifier. */

import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { dateOf, tagMap } from './calls.js';
import type { DrillSteps, ResourceTypeModule, ValidationSteps } from './module.js';
import { dbName, newName } from './names.js';
import {
  DB_INSTANCE_IAM,
  deleteDbInstance,
  rdsInstanceVerdict,
  readRdsInstance,
  tagDatabase,
} from './rds-family.js';

export const rds = {
  type: 'RDS',
  restore: {
    required: ['DBInstanceIdentifier'],
    targetKeys: ['DBInstanceIdentifier'],
    droppedKeys: ['DBSnapshotIdentifier', 'EngineVersion', 'KmsKeyId', 'Encrypted', 'vpcId'],
    copyTags: true,
    pointInTimeKey: 'RestoreTime',
    newIdentity: (metadata, suffix) => {
      metadata.DBInstanceIdentifier = newName(metadata.DBInstanceIdentifier, suffix, 63, dbName, 'restored');
    },
  },
  alarm: [
    {
      namespace: 'AWS/RDS',
      dimension: 'DBInstanceIdentifier',
      arnOf: (id, w) => `arn:${w.partition}:rds:${w.region}:${w.account}:db:${id}`,
    },
  ],
  validated: true,
  drillable: true,
  iam: DB_INSTANCE_IAM,
} as const satisfies ResourceTypeModule<'RDS'>;

export const rdsValidation: ValidationSteps = {
  check: async (clients, id) => rdsInstanceVerdict(await readRdsInstance(clients.rds(), id)),
};

export const rdsDrill: DrillSteps = {
  view: async (clients, { id }) => {
    const db = (await clients.rds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })))
      .DBInstances?.[0];
    if (db === undefined) return undefined;
    return { exists: true, tags: tagMap(db.TagList), createdAt: dateOf(db.InstanceCreateTime) };
  },
  tag: tagDatabase,
  delete: async (clients, { id }) => {
    const steps: string[] = [];
    await deleteDbInstance(clients.rds(), id, steps, true);
    steps.push('DeleteDBInstance (no final snapshot)');
    return { steps };
  },
};
