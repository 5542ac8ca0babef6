/**
 * The reconciler's dependencies: the tracker's (track.ts), and makeReady to ask, by the function
 * name in MAKE_READY_FUNCTION (serverless.yml sets it; without it no make-ready is asked for). The
 * Lambda client is built on the first ask, under the invocation's deadline.
 */

import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { Env } from '../config.js';
import { classifyAwsError, RestorePipelineError } from '../errors.js';
import type { LogSink } from '../logger.js';
import type { ReadyAsker } from '../ready/lost.js';
import { once } from '../runner/handler.js';
import type { ReconcileDeps } from '../runner/reconcile.js';
import { sdkClient } from './clients.js';
import { trackDepsFromEnv } from './track.js';

let memo: ReconcileDeps | undefined;

/** Asks `functionName` asynchronously (InvocationType Event: Lambda answers 202 once it has queued the event). */
export function lambdaReadyAsker(lambda: () => LambdaClient, functionName: string): ReadyAsker {
  return async (event) => {
    let status: number | undefined;
    try {
      const out = await lambda().send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'Event',
          Payload: Buffer.from(JSON.stringify(event)),
        }),
      );
      status = out.StatusCode;
    } catch (error) {
      throw classifyAwsError(`Invoke of ${functionName}`, error);
    }
    if (status !== 202)
      throw new RestorePipelineError(`Invoke of ${functionName} answered ${status}, not 202 (queued)`, {
        retryable: true,
      });
  };
}

/** Builds the reconciler's dependencies from an environment; throws ConfigError listing every problem. */
export function reconcileDepsFromEnv(env: Env, sink?: LogSink): ReconcileDeps {
  const base = trackDepsFromEnv(env, sink);
  const functionName = env.MAKE_READY_FUNCTION?.trim() ?? '';
  if (functionName === '') return base;
  const lambda = once(() => sdkClient(LambdaClient, base.config.region));
  return { ...base, askReady: lambdaReadyAsker(lambda, functionName) };
}

/** The reconciler's dependencies from `process.env`, built once per container. */
export function reconcileDeps(): ReconcileDeps {
  memo ??= reconcileDepsFromEnv(process.env);
  return memo;
}
