/** What the make-ready function needs beyond every restore function's dependencies. */

import type { EC2Client } from '@aws-sdk/client-ec2';
import type { EFSClient } from '@aws-sdk/client-efs';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { Deps } from '../types.js';

export interface MakeReadyDeps extends Deps {
  readonly rds: () => RDSClient;
  readonly ec2: () => EC2Client;
  readonly efs: () => EFSClient;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Milliseconds between two looks at a step that waits (an instance being created). */
  readonly pollMs?: number;
}
