/**
 * A message taken back from the dead-letter queue, checked first, against what this pipeline
 * recorded, before any of its claims is believed: one redrive per letter (its claim is settled by
 * src/outcome/redrives.ts), and a failed job's letter restores the table's request, decoded again
 * as it first arrived (arrival/decode.ts), never the letter's copy.
 */

import { type Arrival, arrivalOf } from '../arrival/decode.js';
import type { LetterJob } from '../arrival/redriven.js';
import { ForbiddenRequestError } from '../errors.js';
import { KeptLetterError } from '../letters/dead-letters.js';
import type { Logger } from '../logger.js';
import { findJobLink } from '../table/links.js';
import { claimRedrive } from '../table/redrives.js';
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
    const claim = await claimRedrive(deps.ddb, table, redriven, attempt.trigger.id, deps.now());
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
