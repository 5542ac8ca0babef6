/**
 * Drill cleanup (a schedule, every 15 minutes): tags the resources of drills that completed since
 * the last run, and deletes the resources of drills that are due, and only those, when every
 * ownership check holds (src/drills/cleanup.ts).
 *
 * Delivery and failure:
 * - Open drills (untagged, terminating, due, or without a due time) are found from the job-link
 *   table on each run: a run that fails, or is missed, leaves them for the next one; a run that dies
 *   between a tag and its record is followed by one that finds the tag on and does not tag again.
 * - A resource that cannot be tagged is recorded (`drillState: tag-failed`), logged and counted
 *   (`DrillCleanupsFailed`); it is never deleted by the pipeline.
 * - A refused or failed cleanup is recorded on the drill record (`drillState`) and the request is
 *   dead-lettered (`drill-cleanup-failed`) with the reason; the resource is left as it is.
 * - A retryable error leaves the drill due (tried again next run) up to CLEANUP_MAX_ATTEMPTS runs.
 *   A resource not ready yet (a DynamoDB table UPDATING after its deletion protection was turned
 *   off, volumes still attached to a terminating instance) is waited for until the invocation's
 *   deadline (less a reserve), then left to the next run without counting an attempt.
 * - A drill record without a due time (none is written without one now) gets one from its
 *   completion; one that cannot is failed and dead-lettered.
 * - What a drill created and the cleanup could not delete (an EC2 volume attached elsewhere) is a
 *   leftover: listed on the record (`leftovers`), in the run's log line and in a dead letter.
 * - Reserved concurrency 1: two runs never clean the same drill at once.
 * - Every AWS call works to the invocation's deadline (src/wiring/cleanup.ts): one cut off there is
 *   a retryable error, so its drill stays as it is for the next run.
 */

import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { type CleanupCounts, type CleanupDeps, cleanupDueDrills } from '../src/drills/cleanup.js';
import { atColdStart, type DepsSource, inInvocation } from '../src/runner/handler.js';
import { cleanupDepsFromEnv } from '../src/wiring/cleanup.js';

/** Time kept back from the invocation's deadline for the drill being handled when it comes. */
const DEADLINE_RESERVE_MS = 60_000;

/** The Middy-wrapped handler for `deps` (a value, or a function that builds it on first use). */
export function createHandler(deps: DepsSource<CleanupDeps>) {
  return middy<ScheduledEvent, CleanupCounts>().handler(
    // Every call works to this invocation's deadline (src/runner/deadline.ts), as in every function.
    inInvocation(deps, async (d, event: ScheduledEvent, context) => {
      const remaining = context?.getRemainingTimeInMillis?.();
      return cleanupDueDrills({
        ...d,
        // Waits and new drills stop a reserve before the timeout: the run's records stay consistent.
        ...(remaining === undefined ? {} : { deadline: Date.now() + remaining - DEADLINE_RESERVE_MS }),
        logger: d.logger.child({ eventId: event?.id, function: 'cleanupDrills' }),
      });
    }),
  );
}

/** The deployed handler. */
export const handler = createHandler(atColdStart(() => cleanupDepsFromEnv(process.env)));
