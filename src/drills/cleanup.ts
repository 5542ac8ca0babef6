/**
 * Drills that clean up after themselves, and only after themselves.
 *
 * At COMPLETED the tracker writes a drill record, `<jobId>#drill`, to the job-link table
 * (src/drills/record.ts: the resource AWS reported, DeleteAfterHours, when it is due; state
 * `untagged`). Each scheduled run (every 15 minutes, one at a time) finds the open records with one
 * Scan (`drillState = untagged`, or `waiting` and `dueAt <= now`), then:
 * 1. tags each untagged drill's resource (`backup-restore:drill=<jobId>`), only when the three other
 *    ownership checks hold (drill.ts) and no other job's tag is on it; the record becomes `waiting`.
 *    A resource that cannot be tagged is recorded `tag-failed`, logged and counted, never deleted;
 * 2. deletes each due drill's resource only when every ownership check holds, the tag included;
 *    anything else is refused, recorded and dead-lettered (`drill-cleanup-failed`).
 * Every step is idempotent: a run that dies between the tag and the record's update tags again.
 */

import { type BackupClient, DescribeRestoreJobCommand } from '@aws-sdk/client-backup';
import {
  type AttributeValue,
  type DynamoDBClient,
  ScanCommand,
  type ScanCommandOutput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { conditionHolds } from '../aws/conditional.js';
import { classifyAwsError, describeError, RestorePipelineError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { buildDeadLetter, sendDeadLetter } from '../outcome/dead-letters.js';
import { findJobLink, type JobLink } from '../outcome/job-link.js';
import { drillOf, type OwnershipEvidence, ownershipRefusals } from './drill.js';
import { type DrillRecord, type DrillState, drillKey, recordFromItem } from './record.js';
import { type DrillClients, deleteResource, tagDrillResource, viewResource } from './resources.js';

type Item = Record<string, AttributeValue>;

/** Retryable errors on this many scheduled runs in a row dead-letter the cleanup (or fail the tagging). */
export const CLEANUP_MAX_ATTEMPTS = 4;

/** What the cleanup function needs. */
export interface CleanupDeps {
  readonly ddb: DynamoDBClient;
  readonly backup: BackupClient;
  readonly sqs: () => Promise<SQSClient>;
  readonly clients: DrillClients;
  readonly config: { readonly restoreJobsTable: string; readonly deadLetterQueueUrl: string };
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now: () => Date;
}

/** The outcome of one drill's step in a run. */
export type CleanupOutcome = 'deleted' | 'refused' | 'failed' | 'gone' | 'retry';

/** What one run did: drills tagged, and the outcome of each drill that was acted on. */
export type CleanupCounts = Record<CleanupOutcome | 'tagged', number>;

/**
 * Every open drill record at `now`: untagged ones (whether due or not) and waiting ones that are due
 * (one Scan with a filter, every page followed).
 */
export async function openDrills(ddb: DynamoDBClient, table: string, now: Date): Promise<DrillRecord[]> {
  const open: DrillRecord[] = [];
  let start: Item | undefined;
  do {
    let out: ScanCommandOutput;
    try {
      out = await ddb.send(
        new ScanCommand({
          TableName: table,
          FilterExpression: 'drillState = :untagged OR (drillState = :waiting AND dueAt <= :now)',
          ExpressionAttributeValues: {
            ':untagged': { S: 'untagged' },
            ':waiting': { S: 'waiting' },
            ':now': { S: now.toISOString() },
          },
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
    } catch (error) {
      throw classifyAwsError('Scan (open drills)', error);
    }
    for (const item of out.Items ?? []) open.push(recordFromItem(item));
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return open;
}

/** Moves a record on from `from` (another run that moved it first wins: left as it is). */
async function finish(
  deps: CleanupDeps,
  record: DrillRecord,
  state: DrillState,
  reason: string,
  from: 'untagged' | 'waiting' = record.drillState === 'untagged' ? 'untagged' : 'waiting',
): Promise<void> {
  const now = deps.now().toISOString();
  await conditionHolds('UpdateItem (drill record)', () =>
    deps.ddb.send(
      new UpdateItemCommand({
        TableName: deps.config.restoreJobsTable,
        Key: { restoreJobId: { S: drillKey(record.restoreJobId) } },
        UpdateExpression: 'SET drillState = :state, cleanupReason = :reason, cleanedAt = :now',
        ConditionExpression: 'drillState = :from',
        ExpressionAttributeValues: {
          ':state': { S: state },
          ':reason': { S: reason.slice(0, 2000) },
          ':now': { S: now },
          ':from': { S: from },
        },
      }),
    ),
  );
}

/** The resource carries the drill tag now: the record waits for its due time, attempts from 0. */
async function markTagged(deps: CleanupDeps, record: DrillRecord): Promise<DrillRecord> {
  const taggedAt = deps.now().toISOString();
  await conditionHolds('UpdateItem (drill record)', () =>
    deps.ddb.send(
      new UpdateItemCommand({
        TableName: deps.config.restoreJobsTable,
        Key: { restoreJobId: { S: drillKey(record.restoreJobId) } },
        UpdateExpression: 'SET drillState = :waiting, taggedAt = :now, attempts = :zero',
        ConditionExpression: 'drillState = :untagged',
        ExpressionAttributeValues: {
          ':waiting': { S: 'waiting' },
          ':untagged': { S: 'untagged' },
          ':now': { S: taggedAt },
          ':zero': { N: '0' },
        },
      }),
    ),
  );
  return { ...record, drillState: 'waiting', attempts: 0, taggedAt };
}

async function countAttempt(deps: CleanupDeps, record: DrillRecord): Promise<void> {
  try {
    await deps.ddb.send(
      new UpdateItemCommand({
        TableName: deps.config.restoreJobsTable,
        Key: { restoreJobId: { S: drillKey(record.restoreJobId) } },
        UpdateExpression: 'SET attempts = :n',
        ExpressionAttributeValues: { ':n': { N: String(record.attempts + 1) } },
      }),
    );
  } catch (error) {
    throw classifyAwsError('UpdateItem (drill record)', error);
  }
}

/** The drill's cleanup failed or was refused: its request goes to the dead-letter queue with the reason. */
async function deadLetter(
  deps: CleanupDeps,
  record: DrillRecord,
  original: Parameters<typeof buildDeadLetter>[0]['original'],
  redriveCount: number,
  reason: string,
): Promise<string> {
  const error = new RestorePipelineError(
    `Drill cleanup of restore job ${record.restoreJobId} did not delete ${record.createdResourceArn}: ${reason}. The resource is left as it is: check it, and delete it by hand if it is the drill's. Do not redrive this letter: the restore itself succeeded`,
    { retryable: false },
  );
  error.name = 'DrillCleanupFailedError';
  const letter = buildDeadLetter({
    failure: 'drill-cleanup-failed',
    error,
    trigger: { type: 'restore-validation', id: record.restoreJobId, attempt: record.attempts + 1 },
    original,
    now: deps.now(),
    redriveCount,
    restoreJob: {
      restoreJobId: record.restoreJobId,
      status: 'COMPLETED',
      statusMessage: reason,
      resourceType: record.resourceType,
    },
  });
  return sendDeadLetter(deps.sqs, deps.config.deadLetterQueueUrl, letter);
}

/** Refused (an ownership check) or failed: dead-lettered with the reason, and the record says which. */
async function giveUp(
  deps: CleanupDeps,
  record: DrillRecord,
  link: JobLink | undefined,
  log: Logger,
  state: 'refused' | 'failed',
  reason: string,
): Promise<CleanupOutcome> {
  // The letter first: a record marked without its letter would never be reported.
  const messageId =
    link === undefined ? undefined : await deadLetter(deps, record, link.original, link.redriveCount, reason);
  await finish(deps, record, state, reason);
  if (state === 'refused') {
    log.warn('Drill cleanup refused; the resource is left', { reason, deadLetterMessageId: messageId });
    deps.metrics.count('DrillCleanupsRefused', record.resourceType);
  } else {
    log.error('Drill cleanup failed; dead-lettered', { reason, deadLetterMessageId: messageId });
    deps.metrics.count('DrillCleanupsFailed', record.resourceType);
  }
  return state;
}

const isAlarmRestore = (link: JobLink | undefined) =>
  link?.original.trigger === 'eventbridge' &&
  (link.original.event as { source?: unknown } | null)?.source === 'aws.cloudwatch';

const childLog = (log: Logger, record: DrillRecord) =>
  log.child({
    restoreJobId: record.restoreJobId,
    resourceType: record.resourceType,
    createdResourceArn: record.createdResourceArn,
  });

/**
 * What the ownership checks weigh, read afresh before a tag and before a deletion: the job's link,
 * AWS's word on what the job created (DescribeRestoreJob), and the resource as it is now (its tags,
 * its name, whether something uses it). Undefined when the resource no longer exists.
 */
async function readOwnership(
  deps: CleanupDeps,
  record: DrillRecord,
  link: JobLink | undefined,
): Promise<{ evidence: OwnershipEvidence; inUse: string | undefined } | undefined> {
  const job = await deps.backup
    .send(new DescribeRestoreJobCommand({ RestoreJobId: record.restoreJobId }))
    .catch((error: unknown) => {
      throw classifyAwsError('DescribeRestoreJob', error);
    });
  const view = await viewResource(
    deps.clients,
    record.resourceType,
    record.createdResourceArn,
    record.restoreJobId,
  );
  if (!view.exists) return undefined;
  return {
    evidence: {
      restoreJobId: record.restoreJobId,
      linkDrill: link === undefined ? undefined : drillOf(link.original),
      alarmRestore: isAlarmRestore(link),
      recordedArn: record.createdResourceArn,
      jobCreatedArn: job.CreatedResourceArn,
      tags: view.tags,
      name: view.name,
      nameByAws: view.nameByAws,
    },
    inUse: view.inUse,
  };
}

/**
 * Tags an untagged drill's resource, when the link names the job a drill (not an alarm's),
 * DescribeRestoreJob's CreatedResourceArn is the recorded one, the name carries the restore suffix,
 * and no other job's tag is on it; else refused and dead-lettered as a deletion would be. A
 * resource that cannot be tagged (a permanent error, or retryable ones on CLEANUP_MAX_ATTEMPTS runs)
 * is recorded `tag-failed`, logged and counted as a failed cleanup, and never deleted. Returns the
 * record, now waiting, or the outcome that ends this run's work on it.
 */
export async function tagDrill(
  deps: CleanupDeps,
  record: DrillRecord,
  log: Logger,
): Promise<DrillRecord | CleanupOutcome> {
  const jobLog = childLog(log, record);
  let link: JobLink | undefined;
  try {
    link = await findJobLink(deps.ddb, deps.config.restoreJobsTable, record.restoreJobId);
    const seen = await readOwnership(deps, record, link);
    if (seen === undefined) {
      await finish(deps, record, 'gone', 'the resource no longer exists; nothing was tagged or deleted');
      jobLog.info('Drill resource already gone; nothing tagged or deleted');
      return 'gone';
    }
    const refusals = ownershipRefusals(seen.evidence, true);
    if (refusals.length > 0) {
      return await giveUp(deps, record, link, jobLog, 'refused', `not tagged: ${refusals.join('; ')}`);
    }
    await tagDrillResource(deps.clients, record.resourceType, record.createdResourceArn, record.restoreJobId);
  } catch (error) {
    const described = describeError(error);
    if (described.retryable && record.attempts + 1 < CLEANUP_MAX_ATTEMPTS) {
      await countAttempt(deps, record);
      jobLog.warn('Drill resource not tagged yet; tried again on the next run', { error: described.message });
      return 'retry';
    }
    const reason = `${described.name}: ${described.message}`;
    await finish(deps, record, 'tag-failed', reason, 'untagged');
    jobLog.error('Drill resource could not be tagged: the pipeline will not delete it', { reason });
    deps.metrics.count('DrillCleanupsFailed', record.resourceType);
    return 'failed';
  }
  const tagged = await markTagged(deps, record);
  jobLog.info('Drill resource tagged; its cleanup is scheduled', {
    deleteAfterHours: record.deleteAfterHours,
    dueAt: record.dueAt,
  });
  return tagged;
}

/** Cleans up one due, tagged drill: checks ownership, deletes, records the outcome. */
export async function cleanupDrill(
  deps: CleanupDeps,
  record: DrillRecord,
  log: Logger,
): Promise<CleanupOutcome> {
  const jobLog = childLog(log, record);
  const link = await findJobLink(deps.ddb, deps.config.restoreJobsTable, record.restoreJobId);
  try {
    const seen = await readOwnership(deps, record, link);
    if (seen === undefined) {
      await finish(deps, record, 'gone', 'the resource no longer exists; nothing was deleted');
      jobLog.info('Drill resource already gone; nothing deleted');
      return 'gone';
    }
    const refusals = ownershipRefusals(seen.evidence);
    if (seen.inUse !== undefined) refusals.push(seen.inUse);
    if (refusals.length > 0) return await giveUp(deps, record, link, jobLog, 'refused', refusals.join('; '));
    const steps = await deleteResource(
      deps.clients,
      record.resourceType,
      record.createdResourceArn,
      record.restoreJobId,
    );
    await finish(deps, record, 'deleted', steps.join(', '));
    jobLog.info('Drill resource deleted', { steps });
    deps.metrics.count('DrillsCleanedUp', record.resourceType);
    return 'deleted';
  } catch (error) {
    const described = describeError(error);
    if (described.retryable && record.attempts + 1 < CLEANUP_MAX_ATTEMPTS) {
      await countAttempt(deps, record);
      jobLog.warn('Drill cleanup will be tried again on the next run', { error: described.message });
      return 'retry';
    }
    return giveUp(deps, record, link, jobLog, 'failed', `${described.name}: ${described.message}`);
  }
}

/**
 * One scheduled run: every open drill, one after another; an untagged one is tagged first, and
 * deleted in the same run when it is already due.
 */
export async function cleanupDueDrills(deps: CleanupDeps): Promise<CleanupCounts> {
  const counts: CleanupCounts = { tagged: 0, deleted: 0, refused: 0, failed: 0, gone: 0, retry: 0 };
  const now = deps.now();
  const open = await openDrills(deps.ddb, deps.config.restoreJobsTable, now);
  for (const found of open) {
    let record: DrillRecord | CleanupOutcome = found;
    if (found.drillState === 'untagged') {
      record = await tagDrill(deps, found, deps.logger);
      if (typeof record === 'string') {
        counts[record]++;
        continue;
      }
      counts.tagged++;
      if (record.dueAt === undefined || record.dueAt > now.toISOString()) continue;
    }
    counts[await cleanupDrill(deps, record, deps.logger)]++;
  }
  deps.logger.info('Drill cleanup run', { open: open.length, ...counts });
  return counts;
}
