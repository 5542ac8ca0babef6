/** A local pipeline per test, closed after it. */

import {
  defaultSeed,
  type LocalPipeline,
  type LocalPipelineOptions,
  startLocalPipeline,
} from '../../local/pipeline';

/**
 * How long the local restore jobs of a test's pipeline take, when the test gives no seed of its
 * own: PENDING, RUNNING at 20 ms, done at 60 ms (`npm start` keeps local/seed.json's 300 and 1500 ms,
 * which only make a test wait). A test about a job still running gives its own timing.
 */
export const TEST_JOB_TIMING = { runningAfterMs: 20, doneAfterMs: 60 } as const;

/**
 * Returns a `start(options)` that starts a local pipeline on `defaults` (overridden by `options`)
 * and registers an afterEach that closes it.
 */
export function localPipelines(
  defaults: () => LocalPipelineOptions,
): (options?: LocalPipelineOptions) => Promise<LocalPipeline> {
  let pipeline: LocalPipeline | undefined;
  afterEach(async () => {
    // Its pollers stop at once rather than at the end of their long polls.
    pipeline?.aws.sqs.stopLongPolling();
    await pipeline?.close();
    pipeline = undefined;
  });
  return async (options = {}) => {
    const settings = { ...defaults(), ...options };
    pipeline = await startLocalPipeline({
      ...settings,
      seed: settings.seed ?? { ...defaultSeed(), timing: TEST_JOB_TIMING },
    });
    return pipeline;
  };
}
