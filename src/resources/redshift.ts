/**
 * Redshift: a cluster, restored under a new ClusterIdentifier. A table restore writes into an
 * existing cluster, so its target keys are refused with the cluster's; nothing would delete a
 * drill's cluster, so it is never drilled. The pipeline restores it; it neither validates nor
 * drills it.
 */

import type { ResourceTypeModule } from './module.js';
import { dbName, newName } from './names.js';

export const redshift = {
  type: 'Redshift',
  restore: {
    required: ['ClusterIdentifier', 'RestoreType'],
    targetKeys: ['ClusterIdentifier', 'TargetDatabaseName', 'TargetSchemaName', 'NewTableName'],
    copyTags: true,
    newIdentity: (metadata, suffix) => {
      metadata.ClusterIdentifier = newName(
        metadata.ClusterIdentifier,
        suffix,
        63,
        (s) => dbName(s).toLowerCase(),
        'restored',
      );
    },
  },
  validated: false,
  drillable: false,
  madeReady: false,
  iam: [],
} as const satisfies ResourceTypeModule<'Redshift'>;
