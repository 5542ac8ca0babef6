/**
 * CloudFormation: a stack, restored through a change set. The pipeline restores it; it neither
 * validates nor drills it.
 */

import type { ResourceTypeModule } from './module.js';

export const cloudformation = {
  type: 'CloudFormation',
  restore: {
    required: ['StackName', 'ChangeSetName'],
    targetKeys: ['StackName', 'ChangeSetName'],
    copyTags: true,
  },
  validated: false,
  drillable: false,
  madeReady: false,
  iam: [],
} as const satisfies ResourceTypeModule<'CloudFormation'>;
