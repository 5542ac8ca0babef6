/**
 * AWS Backup `Restore Job State Change` events with status COMPLETED (EventBridge, asynchronous
 * invocation): the restored copy is made ready (src/ready/), from the source's settings.
 *
 * Delivery and failure:
 * - Only jobs this pipeline started (their link in RESTORE_JOBS_TABLE) are acted on, as AWS Backup
 *   describes them (DescribeRestoreJob: the copy, its type and recovery point, never the event's
 *   own fields; a job whose recovery point is not its link's is ignored); a job with a
 *   make-ready record already (a repeated event) is left as it is.
 * - `"Ready": false` in the request, or a type without steps: recorded, nothing changed (the
 *   tracker asked for the validation). A copy made ready is handed to validation here, after the
 *   steps, so the validator judges the ready copy.
 * - Each step reads first and writes only on a difference; retryable errors are retried in the
 *   run. A step that still fails, or a required value the source cannot tell: the job is
 *   dead-lettered (failure `make-ready-failed`, the reason naming each step, the resource and what
 *   to do; its original is this COMPLETED event, so a redrive restores nothing) and recorded not
 *   ready, never ready. To try again, an operator deletes the job's not-ready record and
 *   invokes this function with the letter's `original.event` (docs/dead-letters.md).
 * - A step still waiting at the end of the invocation (an instance not yet available), and any
 *   other retryable error, throws: Lambda retries the event twice (the steps done are not done
 *   again), then sends it to the on-failure destination (the dead-letter queue).
 */

import { DescribeRecoveryPointCommand } from '@aws-sdk/client-backup';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { namedSecretsOfOriginal } from '../src/arrival/secrets.js';
import { describeRestoreJob, storedRestoreMetadata, vaultAccount } from '../src/aws/backup.js';
import { sortedCall } from '../src/aws/conditional.js';
import { describeError, RestorePipelineError } from '../src/errors.js';
import { rememberNamedSecrets, timeLeft } from '../src/invocation.js';
import { buildDeadLetter, sendDeadLetter } from '../src/letters/dead-letters.js';
import type { Logger } from '../src/logger.js';
import { detailOfDescribed } from '../src/outcome/job-event.js';
import type { MakeReadyDeps } from '../src/ready/deps.js';
import {
  type CompletedJob,
  type ReadyJobDeps,
  type ReadyOutcome,
  readyCompletedJob,
} from '../src/ready/job.js';
import { requestOf } from '../src/ready/request.js';
import { retryRetryable } from '../src/retry.js';
import { atColdStart, type DepsSource, inInvocation } from '../src/runner/handler.js';
import { findJobLink, type JobLink } from '../src/table/links.js';
import type { Deps } from '../src/types.js';
import { requestValidation } from '../src/validation/queue.js';
import { makeReadyDeps } from '../src/wiring/ready.js';

/** The event this function receives. */
export type CompletedRestoreEvent = EventBridgeEvent<
  'Restore Job State Change',
  CompletedJob & { status?: string }
>;

export type { MakeReadyDeps } from '../src/ready/deps.js';

/** Undefined for a permanent error (a point deleted meanwhile: the event's own fields stand in); a retryable one is thrown. */
function unlessRetryable(error: unknown): undefined {
  if (describeError(error).retryable) throw error;
  return undefined;
}

/** The recovery point's ResourceArn and stored metadata; the event's sourceResourceArn when the point cannot be read. */
async function pointOf(
  d: Deps,
  job: CompletedJob,
): Promise<{ sourceArn?: string; metadata: Record<string, string> }> {
  const fallback = job.sourceResourceArn === undefined ? {} : { sourceArn: job.sourceResourceArn };
  const vault = job.backupVaultArn?.split(':backup-vault:')[1];
  if (vault === undefined || job.recoveryPointArn === undefined) return { ...fallback, metadata: {} };
  // A vault another account shares is named with its owner's account.
  const owner = job.backupVaultArn?.split(':')[4];
  const shared = owner === undefined || owner === d.config.accountId ? undefined : owner;
  const point = await sortedCall('DescribeRecoveryPoint', () =>
    d.backup.send(
      new DescribeRecoveryPointCommand({
        BackupVaultName: vault,
        ...vaultAccount(shared),
        RecoveryPointArn: job.recoveryPointArn,
      }),
    ),
  ).catch(unlessRetryable);
  const stored = await storedRestoreMetadata(d.backup, vault, job.recoveryPointArn, shared).catch(
    unlessRetryable,
  );
  const sourceArn = point?.ResourceArn ?? job.sourceResourceArn;
  return { ...(sourceArn === undefined ? {} : { sourceArn }), metadata: stored?.metadata ?? {} };
}

/** The dead letter of a job whose copy is not ready. */
async function deadLetter(
  d: Deps,
  link: JobLink,
  event: CompletedRestoreEvent,
  job: CompletedJob,
  reason: string,
  log: Logger,
): Promise<void> {
  const error = new RestorePipelineError(reason, { retryable: false });
  error.name = 'MakeReadyFailedError';
  const letter = buildDeadLetter({
    failure: 'make-ready-failed',
    error,
    trigger: { type: 'restore-job-event', id: job.restoreJobId, attempt: 1 },
    // The event, not the request: a redrive of this letter settles the job again and restores nothing.
    original: { trigger: 'eventbridge', event },
    now: d.now(),
    redriveCount: link.redriveCount,
    restoreJob: {
      restoreJobId: job.restoreJobId,
      status: 'COMPLETED',
      statusMessage: 'made ready only in part',
      ...(job.resourceType === undefined ? {} : { resourceType: job.resourceType }),
    },
  });
  const messageId = await sendDeadLetter(d.sqs, d.config.deadLetterQueueUrl, letter);
  log.error('Restored copy not ready: dead-lettered', { deadLetterMessageId: messageId });
}

/** The make-ready run's dependencies for one event. */
function jobDeps(d: MakeReadyDeps, log: Logger, event: CompletedRestoreEvent): ReadyJobDeps {
  const links = new Map<string, JobLink>();
  return {
    ddb: d.ddb,
    table: d.config.restoreJobsTable,
    clients: { rds: d.rds, ddb: () => d.ddb, ec2: d.ec2, efs: d.efs },
    log,
    now: d.now,
    run: {
      sleep: d.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      timeLeftMs: () => timeLeft('work'),
      ...(d.pollMs === undefined ? {} : { pollMs: d.pollMs }),
    },
    requestOf: async (id) => {
      const link = await findJobLink(d.ddb, d.config.restoreJobsTable, id);
      if (link === undefined) return undefined;
      links.set(id, link);
      // The request's Metadata values, named by their keys: never in a line, a reason or a letter.
      rememberNamedSecrets(namedSecretsOfOriginal(link.original));
      return {
        request: requestOf(link.original),
        recoveryPointArn: link.recoveryPointArn,
        startedAt: link.startedAt,
      };
    },
    describe: async (id) => {
      const out = await retryRetryable(() => describeRestoreJob(d.backup, id));
      if (out === undefined) return undefined;
      const source = out.SourceResourceArn;
      return {
        ...detailOfDescribed(id, out),
        ...(source === undefined ? {} : { sourceResourceArn: source }),
      };
    },
    pointOf: (job) => pointOf(d, job),
    requestValidation: async (job) => {
      const validationQueueUrl = d.config.validationQueueUrl;
      if (validationQueueUrl === undefined) return;
      await requestValidation(
        { sqs: d.sqs, validationQueueUrl, now: d.now },
        {
          restoreJobId: job.restoreJobId,
          ...(job.resourceType === undefined ? {} : { resourceType: job.resourceType }),
          ...(job.createdResourceArn === undefined ? {} : { createdResourceArn: job.createdResourceArn }),
          ...(job.completionDate === undefined ? {} : { completedAt: job.completionDate }),
        },
      );
    },
    deadLetter: async (job, reason) => {
      const link = links.get(job.restoreJobId);
      if (link !== undefined) await deadLetter(d, link, event, job, reason, log);
    },
  };
}

/** The Middy-wrapped handler for `deps` (a value, or a function that builds it on first use). */
export function createHandler(deps: DepsSource<MakeReadyDeps>) {
  return middy<CompletedRestoreEvent, ReadyOutcome | 'invalid'>().handler(
    inInvocation(deps, async (d, event: CompletedRestoreEvent) => {
      const detail = event?.detail;
      const log = d.logger.child({ eventId: event?.id, restoreJobId: detail?.restoreJobId });
      if (typeof detail?.restoreJobId !== 'string' || detail.status !== 'COMPLETED') {
        log.error('Ignored an event that is not a COMPLETED restore job');
        return 'invalid';
      }
      const outcome = await readyCompletedJob(jobDeps(d, log, event), detail);
      log.info('Make-ready done', { outcome });
      return outcome;
    }),
  );
}

/** The deployed handler. */
export const handler = createHandler(atColdStart(makeReadyDeps));
