/**
 * FSx: a file system, always restored as a new one. The pipeline restores it; it neither validates
 * nor drills it.
 */

import type { ResourceTypeModule } from './module.js';

export const fsx = {
  type: 'FSx',
  restore: {
    targetKeys: [],
    copyTags: true,
  },
  alarm: [
    {
      namespace: 'AWS/FSx',
      dimension: 'FileSystemId',
      arnOf: (id, w) => `arn:${w.partition}:fsx:${w.region}:${w.account}:file-system/${id}`,
    },
  ],
  validated: false,
  drillable: false,
  madeReady: false,
  iam: [],
} as const satisfies ResourceTypeModule<'FSx'>;
