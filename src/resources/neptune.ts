/**
 * Neptune: a DB cluster, restored under a new dbClusterIdentifier (it has no instances until one
 * is added).
 */

import type { DrillSteps, ResourceTypeModule, ValidationSteps } from './module.js';
import {
  CLUSTER_RESTORE,
  clusterDimension,
  clusterDrill,
  clusterValidation,
  DB_CLUSTER_IAM,
} from './rds-family.js';

export const neptune = {
  type: 'Neptune',
  restore: CLUSTER_RESTORE,
  alarm: [clusterDimension('AWS/Neptune')],
  validated: true,
  drillable: true,
  madeReady: false,
  iam: DB_CLUSTER_IAM,
} as const satisfies ResourceTypeModule<'Neptune'>;

export const neptuneValidation: ValidationSteps = clusterValidation;
export const neptuneDrill: DrillSteps = clusterDrill;
