/**
 * Aurora: a DB cluster, restored under a new dbClusterIdentifier (it has no instances until one is
 * added).
 */

import type { DrillSteps, ResourceTypeModule, ValidationSteps } from './module.js';
import {
  CLUSTER_RESTORE,
  clusterDimension,
  clusterDrill,
  clusterValidation,
  DB_CLUSTER_IAM,
} from './rds-family.js';

export const aurora = {
  type: 'Aurora',
  restore: { ...CLUSTER_RESTORE, pointInTimeKey: 'restoreToTime' },
  alarm: [clusterDimension('AWS/RDS')],
  validated: true,
  drillable: true,
  iam: DB_CLUSTER_IAM,
} as const satisfies ResourceTypeModule<'Aurora'>;

export const auroraValidation: ValidationSteps = clusterValidation;
export const auroraDrill: DrillSteps = clusterDrill;
