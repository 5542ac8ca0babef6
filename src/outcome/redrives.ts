/**
 * A message taken back from the dead-letter queue, checked against what this pipeline recorded
 * before any of its claims is believed.
 */

import { createHash } from 'node:crypto';
import { type Arrival, arrivalOf } from '../arrival/decode.js';
import type { LetterJob } from '../arrival/redriven.js';
import { ForbiddenRequestError } from '../errors.js';
import { KeptLetterError } from '../letters/dead-letters.js';
import type { Logger } from '../logger.js';
import { findJobLink } from '../table/links.js';
import { claimRedrive, settleRedriveClaim } from '../table/redrives.js';
import { findVerdict } from '../table/verdicts.js';
import type { AttemptInfo, Deps, Outcome } from '../types.js';

/**
 * The refusal of a redriven drill-cleanup letter: the restore succeeded and what failed is the
 * deletion of the drill's resource, so restoring again would leave a second resource behind. Its
 * letter keeps the kind and the job (never a plain `rejected` letter that a redrive would restore),
 * and says how to retry the cleanup.
 */
function cleanupLetterRefusal(job: LetterJob | undefined, table: string): KeptLetterError {
  const jobId = job?.restoreJobId ?? '<restoreJobId>';
  return new KeptLetterError(
    `A drill-cleanup-failed letter reports a drill resource left behind, not a failed restore: redriving it never restores again, and it comes back as it went. To retry the cleanup, set drillState to "untagged" and attempts to 0 on item "${jobId}#drill" of table ${table}: the cleanup's next run checks every ownership condition again before it deletes anything. Or check the resource named in restoreJob and delete it by hand if it is the drill's`,
    'drill-cleanup-failed',
    job,
  );
}

/**
 * The key of a letter's redrive claim: its id and what it carries, so a forged letter that borrows
 * a real letter's id cannot use up that letter's redrive, unless it carries the very same request.
 */
function redriveKey(redriven: { readonly deadLetterId: string; readonly original: unknown }): string {
  return createHash('sha256')
    .update(`${redriven.deadLetterId}\n${JSON.stringify(redriven.original)}`)
    .digest('hex')
    .slice(0, 32);
}

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
    await settleRedriveClaim(deps.ddb, deps.config.restoreJobsTable, redriveKey(redriven), deps.now());
  } catch (error) {
    log.warn('Could not mark a redriven dead letter as settled: a later copy of it is processed again', {
      deadLetterId: redriven.deadLetterId,
      error: error instanceof Error ? error.name : 'Error',
    });
  }
}

/**
 * Checks what a message taken back from the dead-letter queue claims. A dead letter is taken back
 * once per dead-letter id; a failed job's letter is believed only when the job table holds that
 * failure, and the request restored is the one the table kept, not the letter's copy.
 */
export async function checkRedriven(
  deps: Deps,
  arrival: Arrival,
  attempt: AttemptInfo,
  log: Logger,
): Promise<{ done: Outcome } | { arrival: Arrival }> {
  const redriven = arrival.redriven;
  if (redriven?.kind !== 'dead-letter') return { arrival };
  const table = deps.config.restoreJobsTable;
  // Before the redrive claim: each redrive of a cleanup letter gives the letter back, never nothing.
  if (redriven.failure === 'drill-cleanup-failed') throw cleanupLetterRefusal(redriven.cleanupJob, table);
  if (redriven.deadLetterId !== '' && attempt.trigger.type === 'sqs') {
    const claim = await claimRedrive(deps.ddb, table, redriveKey(redriven), attempt.trigger.id, deps.now());
    if (claim.kind === 'duplicate') {
      log.info('Ignored a dead letter that was redriven before', {
        deadLetterId: redriven.deadLetterId,
        firstMessageId: claim.firstMessageId,
      });
      return {
        done: {
          status: 'ignored',
          reason: `dead letter ${redriven.deadLetterId} was redriven before (message ${claim.firstMessageId})`,
        },
      };
    }
  }
  if (redriven.failedRestoreJobId === undefined) return { arrival };
  const jobId = redriven.failedRestoreJobId;
  const link = await findJobLink(deps.ddb, table, jobId);
  const problem =
    link === undefined
      ? 'no such job, or its record expired'
      : redriven.failure === 'restore-validation-failed'
        ? (await findVerdict(deps.ddb, table, jobId))?.verdict === 'fail'
          ? undefined
          : 'no failed validation is recorded for it'
        : link.outcome === undefined || link.outcome === 'COMPLETED'
          ? `the job ended ${link.outcome ?? 'without a recorded end'}`
          : undefined;
  if (link === undefined || problem !== undefined) {
    deps.metrics.count('RedrivesRefused', 'Unknown');
    throw new ForbiddenRequestError(
      `The dead letter says restore job ${jobId} failed, but this pipeline holds no record of that failure (${problem}), so it is not restored again. To restore, submit the request itself`,
    );
  }
  // The table's request, decoded as it was when it first arrived; the letter's claims stay behind.
  return {
    arrival: arrivalOf(link.original, { redriveCount: arrival.redriveCount, failedRestoreJobId: jobId }),
  };
}
