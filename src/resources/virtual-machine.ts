/**
 * VirtualMachine: a virtual machine, restored where RestoreTo says. The pipeline restores it; it
 * neither validates nor drills it.
 */

import type { ResourceTypeModule } from './module.js';

export const virtualMachine = {
  type: 'VirtualMachine',
  restore: {
    required: ['RestoreTo'],
    targetKeys: ['RestoreTo'],
    copyTags: false,
  },
  validated: false,
  drillable: false,
  madeReady: false,
  iam: [],
} as const satisfies ResourceTypeModule<'VirtualMachine'>;
