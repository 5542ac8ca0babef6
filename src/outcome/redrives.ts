/**
 * A message taken back from the dead-letter queue, once a job or a letter came of it: its redrive
 * claim settled (the claim is taken first of all checks, src/checks/redriven.ts).
 */

import type { Arrival } from '../arrival/decode.js';
import type { Logger } from '../logger.js';
import { settleRedriveClaim } from '../table/redrives.js';
import type { AttemptInfo, Deps } from '../types.js';

/**
 * Settles the redrive claim of a redriven dead letter once a job or a letter came of it (its
 * outcome, or its dead letter sent): until then another copy of the letter is processed. A failed
 * write is logged only: a later copy is then processed again, and its idempotency token answers
 * with the same job.
 */
export async function settleRedrive(
  deps: Deps,
  arrival: Arrival,
  attempt: AttemptInfo,
  log: Logger,
): Promise<void> {
  const redriven = arrival.redriven;
  if (redriven?.kind !== 'dead-letter' || redriven.deadLetterId === '' || attempt.trigger.type !== 'sqs')
    return;
  try {
    await settleRedriveClaim(deps.ddb, deps.config.restoreJobsTable, redriven, deps.now());
  } catch (error) {
    log.warn('Could not mark a redriven dead letter as settled: a later copy of it is processed again', {
      deadLetterId: redriven.deadLetterId,
      error: error instanceof Error ? error.name : 'Error',
    });
  }
}
