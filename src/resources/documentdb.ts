/**
 * DocumentDB: a DB cluster, restored under a new dbClusterIdentifier (it has no instances until
 * one is added).
 */

import type { DrillSteps, ResourceTypeModule, ValidationSteps } from './module.js';
import {
  CLUSTER_RESTORE,
  clusterDimension,
  clusterDrill,
  clusterValidation,
  DB_CLUSTER_IAM,
} from './rds-family.js';

export const documentdb = {
  type: 'DocumentDB',
  restore: CLUSTER_RESTORE,
  alarm: [clusterDimension('AWS/DocDB')],
  validated: true,
  drillable: true,
  madeReady: false,
  iam: DB_CLUSTER_IAM,
} as const satisfies ResourceTypeModule<'DocumentDB'>;

export const documentdbValidation: ValidationSteps = clusterValidation;
export const documentdbDrill: DrillSteps = clusterDrill;
