/**
 * Timestream: a table, restored into a database. The pipeline restores it; it neither validates
 * nor drills it.
 */

import type { ResourceTypeModule } from './module.js';

export const timestream = {
  type: 'Timestream',
  restore: {
    required: ['TableName'],
    targetKeys: ['DatabaseName', 'TableName'],
    copyTags: false,
  },
  validated: false,
  drillable: false,
  madeReady: false,
  iam: [],
} as const satisfies ResourceTypeModule<'Timestream'>;
