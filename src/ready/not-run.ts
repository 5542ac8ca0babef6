/**
 * A COMPLETED job whose event never came: the reconciler found its end, so makeReady may never have
 * run. Kept apart from the steps (job.ts), so the reconciler's bundle carries none of their clients.
 */

import { namedSecretsOfOriginal } from '../arrival/secrets.js';
import { RestorePipelineError } from '../errors.js';
import { withOwnSecrets } from '../invocation.js';
import { buildDeadLetter, sendDeadLetter } from '../letters/dead-letters.js';
import type { Logger } from '../logger.js';
import type { ResourceTypeModule } from '../resources/module.js';
import { type ResourceType, typeModule } from '../resources/registry.js';
import { findJobLink, type JobLink } from '../table/links.js';
import { readReadyRecord } from '../table/ready.js';
import type { Deps } from '../types.js';
import { readyOptionsOf, requestOf } from './request.js';

/**
 * A COMPLETED job whose end the reconciler found (its event never came, so makeReady may never
 * have run): when its type has make-ready steps and it has no make-ready record, its original
 * request is dead-lettered naming the copy and what to do. True when a letter was sent.
 */
export async function letterIfNeverMadeReady(
  d: Deps,
  detail: {
    readonly restoreJobId: string;
    readonly resourceType?: string;
    readonly createdResourceArn?: string;
  },
  log: Logger,
): Promise<boolean> {
  // The type's facts only (not its steps): the reconciler's bundle carries no step's client.
  const type = typeModule(detail.resourceType ?? '');
  if (type?.madeReady !== true) return false;
  if ((await readReadyRecord(d.ddb, d.config.restoreJobsTable, detail.restoreJobId)) !== undefined)
    return false;
  const link = await findJobLink(d.ddb, d.config.restoreJobsTable, detail.restoreJobId);
  // A request that said `"Ready": false` asked for no steps.
  if (link === undefined || readyOptionsOf(requestOf(link.original)) === undefined) return false;
  // The request's Metadata values (the copy's name may be one) are hidden in this letter only.
  return withOwnSecrets(
    [],
    () => sendNotRunLetter(d, detail, link, type, log),
    namedSecretsOfOriginal(link.original),
  );
}

/** The COMPLETED event AWS Backup would have sent for a job (the reconciler's view of it). */
function completedEvent(detail: {
  readonly restoreJobId: string;
  readonly resourceType?: string;
  readonly createdResourceArn?: string;
}) {
  return {
    source: 'aws.backup',
    'detail-type': 'Restore Job State Change',
    detail: { ...detail, status: 'COMPLETED' },
  };
}

async function sendNotRunLetter(
  d: Deps,
  detail: {
    readonly restoreJobId: string;
    readonly resourceType?: string;
    readonly createdResourceArn?: string;
  },
  link: JobLink,
  type: ResourceTypeModule<ResourceType>,
  log: Logger,
): Promise<boolean> {
  const steps = `the make-ready steps of ${type.type} that docs/ready.md lists`;
  const error = new RestorePipelineError(
    `Restore job ${detail.restoreJobId} completed, but its COMPLETED event never came, so ${detail.createdResourceArn ?? 'its restored resource'} was not made ready: send the job's COMPLETED event to makeReady again, or do by hand: ${steps}. Do not redrive this letter: the restore itself succeeded`,
    { retryable: false },
  );
  error.name = 'MakeReadyNotRunError';
  const letter = buildDeadLetter({
    failure: 'make-ready-failed',
    error,
    trigger: { type: 'restore-job-event', id: detail.restoreJobId, attempt: 1 },
    // The job's COMPLETED event, not the request (as makeReady's own letters): a redrive settles
    // the job again and restores nothing; sent to makeReady, it makes the copy ready.
    original: { trigger: 'eventbridge', event: completedEvent(detail) },
    now: d.now(),
    redriveCount: link.redriveCount,
    restoreJob: {
      restoreJobId: detail.restoreJobId,
      status: 'COMPLETED',
      statusMessage: 'not made ready (event lost)',
      ...(detail.resourceType === undefined ? {} : { resourceType: detail.resourceType }),
    },
  });
  const messageId = await sendDeadLetter(d.sqs, d.config.deadLetterQueueUrl, letter);
  log.error('Restored copy never made ready: dead-lettered', { deadLetterMessageId: messageId });
  return true;
}
