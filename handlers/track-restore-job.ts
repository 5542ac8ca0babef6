/**
 * AWS Backup `Restore Job State Change` events (EventBridge, asynchronous invocation).
 *
 * Delivery and failure:
 * - Only jobs this pipeline started (found in the RESTORE_JOBS_TABLE link table) are acted on;
 *   events of other jobs are ignored. Progress events (CREATED, PENDING, RUNNING) only log.
 * - FAILED, ABORTED, and COMPLETED with failed objects (S3): the original request goes to the
 *   dead-letter queue (failure `restore-job-failed`, AWS's status message as the reason), once per
 *   job even when events repeat, and an optional SNS alert is published.
 * - COMPLETED: logged with the created resource and duration, and counted in metrics, once: the
 *   job's outcome mark carries a token of its writer, read back when the mark's answer was lost. A
 *   drill's job first gets its drill record with its due time (DynamoDB only: the cleanup function
 *   tags and later deletes the resource, so this bundle carries none of the EC2, RDS, EFS and S3
 *   clients); a drill that cannot be handed over is dead-lettered (`drill-cleanup-failed`).
 * - A failure to read the link, write the dead letter or mark the job throws: Lambda retries the
 *   event twice, then sends it to the on-failure destination (the dead-letter queue).
 */

import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import type { RESTORE_JOB_STATE_CHANGE } from '../src/arrival/decode.js';
import type { RestoreJobDetail, TrackDeps, TrackOutcome } from '../src/outcome/job-event.js';
import { trackRestoreJob } from '../src/outcome/track.js';
import { atColdStart, type DepsSource, inInvocation } from '../src/runner/handler.js';
import { trackDeps } from '../src/wiring/track.js';

/** The event this function receives. */
export type RestoreJobStateChange = EventBridgeEvent<typeof RESTORE_JOB_STATE_CHANGE, RestoreJobDetail>;

/** The Middy-wrapped handler for `deps` (a value, or a function that builds it on first use). */
export function createHandler(deps: DepsSource<TrackDeps>) {
  return middy<RestoreJobStateChange, TrackOutcome>().handler(
    // Calls work to this invocation's deadline; AWS's status message is scrubbed of known secrets.
    inInvocation(deps, (d, event: RestoreJobStateChange) => {
      const log = d.logger.child({ eventId: event?.id, restoreJobId: event?.detail?.restoreJobId });
      return trackRestoreJob(d, event, log);
    }),
  );
}

/** The deployed handler. */
export const handler = createHandler(atColdStart(trackDeps));
