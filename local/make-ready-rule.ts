/**
 * makeReady as serverless.yml deploys it, on a local bus: its rule's pattern, and (for `npm run
 * serve`) the function behind it. Kept apart from the demo so local/pipeline.ts can route to it.
 */

import { RDSClient } from '@aws-sdk/client-rds';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createHandler, type MakeReadyDeps } from '../handlers/make-ready.js';
import { clientOptions, depsFromEnv } from '../src/defaults.js';
import type { LogSink } from '../src/logger.js';
import { once } from '../src/runner/handler.js';
import type { LocalAws } from './endpoint.js';
import { AsyncInvoker } from './event-source.js';

/** makeReady's rule in serverless.yml: every COMPLETED restore job. */
export const MAKE_READY_PATTERN = {
  source: ['aws.backup'],
  'detail-type': ['Restore Job State Change'],
  detail: { status: ['COMPLETED'] },
};

/**
 * makeReady on the local bus as deployed (`npm run serve`): its rule, and Lambda's asynchronous
 * invocation with two retries and the dead-letter queue as on-failure destination.
 */
export function routeMakeReady(
  aws: LocalAws,
  sqs: SQSClient,
  deadLetterQueueUrl: string,
  env: Record<string, string>,
  logSink: LogSink = () => undefined,
): AsyncInvoker {
  const base = depsFromEnv(env, logSink);
  const deps: MakeReadyDeps = {
    ...base,
    rds: once(() => new RDSClient(clientOptions(base.config.region))),
  };
  const handler = createHandler(deps);
  const invoker = new AsyncInvoker({ sqs, functionName: 'makeReady', onFailureQueueUrl: deadLetterQueueUrl });
  aws.events.addRule({
    name: 'makeReady',
    pattern: MAKE_READY_PATTERN,
    target: (event) => void invoker.invoke(handler as never, event),
  });
  return invoker;
}
