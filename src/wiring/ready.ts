/** The dependencies of the make-ready function: the restore functions', and an RDS client built on first use. */

import { RDSClient } from '@aws-sdk/client-rds';
import type { Env } from '../config.js';
import type { LogSink } from '../logger.js';
import type { MakeReadyDeps } from '../ready/deps.js';
import { once } from '../runner/handler.js';
import { sdkClient } from './clients.js';
import { defaultDeps, depsFromEnv } from './restore.js';

/** Builds the dependencies from an environment; throws ConfigError listing every problem. */
export function readyDepsFromEnv(env: Env, sink?: LogSink): MakeReadyDeps {
  const base = depsFromEnv(env, sink);
  return { ...base, rds: once(() => sdkClient(RDSClient, base.config.region)) };
}

/** The deployed dependencies, from `process.env` (built at cold start, once). */
export function makeReadyDeps(): MakeReadyDeps {
  const base = defaultDeps();
  return { ...base, rds: once(() => sdkClient(RDSClient, base.config.region)) };
}
