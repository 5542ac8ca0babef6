/**
 * makeReady as serverless.yml deploys it, on a local bus: its rule's pattern, and (for `npm run
 * serve`) the function behind it. Kept apart from the demo so local/pipeline.ts can route to it.
 */

import type { SQSClient } from '@aws-sdk/client-sqs';
import { createHandler } from '../handlers/make-ready.js';
import type { LogSink } from '../src/logger.js';
import { readyDepsFromEnv } from '../src/wiring/ready.js';
import type { LocalAws } from './endpoint.js';
import { AsyncInvoker } from './event-source.js';

/** makeReady's name on the local Lambda (MAKE_READY_FUNCTION of the reconciler). */
export const MAKE_READY_FUNCTION = 'makeReady';

/** makeReady's rule in serverless.yml: every COMPLETED restore job. */
export const MAKE_READY_PATTERN = {
  source: ['aws.backup'],
  'detail-type': ['Restore Job State Change'],
  detail: { status: ['COMPLETED'] },
};

/**
 * makeReady on the local bus as deployed (`npm run serve`): its rule, and Lambda's asynchronous
 * invocation with two retries and the dead-letter queue as on-failure destination. The local
 * Lambda Invoke knows it too, by its name `makeReady`: the reconciler asks it there.
 */
export function routeMakeReady(
  aws: LocalAws,
  sqs: SQSClient,
  deadLetterQueueUrl: string,
  env: Record<string, string>,
  logSink: LogSink = () => undefined,
): AsyncInvoker {
  const handler = createHandler(readyDepsFromEnv(env, logSink));
  const invoker = new AsyncInvoker({ sqs, functionName: 'makeReady', onFailureQueueUrl: deadLetterQueueUrl });
  aws.events.addRule({
    name: 'makeReady',
    pattern: MAKE_READY_PATTERN,
    target: (event) => void invoker.invoke(handler as never, event),
  });
  aws.resources.lambda.register(MAKE_READY_FUNCTION, (event) =>
    invoker.invoke(handler as never, event as never),
  );
  return invoker;
}
