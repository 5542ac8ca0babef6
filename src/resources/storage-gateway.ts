/**
 * Storage Gateway: a volume, restored onto a gateway. The pipeline restores it; it neither
 * validates nor drills it.
 */

import type { ResourceTypeModule } from './module.js';

export const storageGateway = {
  type: 'Storage Gateway',
  restore: {
    required: ['gatewayArn', 'targetName'],
    targetKeys: ['gatewayArn', 'targetName'],
    copyTags: true,
  },
  validated: false,
  drillable: false,
  madeReady: false,
  iam: [],
} as const satisfies ResourceTypeModule<'Storage Gateway'>;
