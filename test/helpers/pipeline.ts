/** A local pipeline per test, closed after it. */

import { type LocalPipeline, type LocalPipelineOptions, startLocalPipeline } from '../../local/pipeline';

/**
 * Returns a `start(options)` that starts a local pipeline on `defaults` (overridden by `options`)
 * and registers an afterEach that closes it.
 */
export function localPipelines(
  defaults: () => LocalPipelineOptions,
): (options?: LocalPipelineOptions) => Promise<LocalPipeline> {
  let pipeline: LocalPipeline | undefined;
  afterEach(async () => {
    await pipeline?.close();
    pipeline = undefined;
  });
  return async (options = {}) => {
    pipeline = await startLocalPipeline({ ...defaults(), ...options });
    return pipeline;
  };
}
