/** The dependencies of the make-ready function: the restore functions', and RDS, EC2 and EFS clients built on first use. */

import { EC2Client } from '@aws-sdk/client-ec2';
import { EFSClient } from '@aws-sdk/client-efs';
import { RDSClient } from '@aws-sdk/client-rds';
import type { Env } from '../config.js';
import type { LogSink } from '../logger.js';
import type { MakeReadyDeps } from '../ready/deps.js';
import { once } from '../runner/handler.js';
import type { Deps } from '../types.js';
import { sdkClient } from './clients.js';
import { defaultDeps, depsFromEnv } from './restore.js';

const readyClients = (base: Deps): MakeReadyDeps => ({
  ...base,
  rds: once(() => sdkClient(RDSClient, base.config.region)),
  ec2: once(() => sdkClient(EC2Client, base.config.region)),
  efs: once(() => sdkClient(EFSClient, base.config.region)),
});

/** Builds the dependencies from an environment; throws ConfigError listing every problem. */
export function readyDepsFromEnv(env: Env, sink?: LogSink): MakeReadyDeps {
  return readyClients(depsFromEnv(env, sink));
}

/** The deployed dependencies, from `process.env` (built at cold start, once). */
export function makeReadyDeps(): MakeReadyDeps {
  return readyClients(defaultDeps());
}
