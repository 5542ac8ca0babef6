/**
 * The reconciler (a schedule, every 15 minutes): finds restore jobs this pipeline started whose end
 * event never reached the tracker, and settles them as the tracker would (src/runner/reconcile.ts);
 * and COMPLETED ones whose event never reached makeReady, and asks makeReady once (src/ready/lost.ts).
 *
 * Delivery and failure:
 * - A job that cannot be settled in this run is logged and found again by the next run (it looks
 *   back 24 hours), so nothing depends on one run.
 * - The run fails (and the schedule's next run tries again) only when ListRestoreJobs cannot be read.
 * - Two runs at once settle each job once: the tracker's outcome claim is the same for both.
 */

import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { atColdStart, type DepsSource, inInvocation } from '../src/runner/handler.js';
import {
  RECONCILE_DEFAULTS,
  type ReconcileDeps,
  type ReconcileOptions,
  type ReconcileReport,
  reconcileRestoreJobs,
} from '../src/runner/reconcile.js';
import { reconcileDeps } from '../src/wiring/reconcile.js';

/** The Middy-wrapped handler for `deps` (a value, or a function that builds it on first use). */
export function createHandler(
  deps: DepsSource<ReconcileDeps>,
  options: Omit<ReconcileOptions, 'deadline'> = RECONCILE_DEFAULTS,
) {
  return middy<ScheduledEvent, ReconcileReport>().handler(
    // As the tracker: calls work to this invocation's deadline, and the configuration's metadata
    // (ALARM_TARGETS overrides) is secret in every line and alert it writes.
    inInvocation(deps, async (d, event: ScheduledEvent, context) => {
      const log = d.logger.child({ eventId: event?.id, function: 'reconcileRestoreJobs' });
      // A reserve of 30 s lets the jobs under way finish (and send their dead letters) in time.
      const deadline = Date.now() + Math.max(0, (context?.getRemainingTimeInMillis?.() ?? 300_000) - 30_000);
      const report = await reconcileRestoreJobs(d, log, { ...options, deadline });
      log.info('Reconciler run', { examined: report.examined, outcomes: report.outcomes });
      return report;
    }),
  );
}

/** The deployed handler. */
export const handler = createHandler(atColdStart(reconcileDeps));
