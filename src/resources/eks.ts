/**
 * EKS: a cluster's backup, restored into clusters AWS names in its restore settings. The pipeline
 * restores it; it neither validates nor drills it.
 */

import type { ResourceTypeModule } from './module.js';

export const eks = {
  type: 'EKS',
  restore: {
    targetKeys: [],
    copyTags: true,
  },
  validated: false,
  drillable: false,
  madeReady: false,
  iam: [],
} as const satisfies ResourceTypeModule<'EKS'>;
