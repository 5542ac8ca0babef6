/**
 * Drills that clean up after themselves, and only after themselves.
 *
 * At COMPLETED the tracker tags a drill's resource (`backup-restore:drill=<jobId>`) and writes a
 * drill record, `<jobId>#drill`, to the job-link table: the resource, DeleteAfterHours, and when it
 * is due (`dueAt`: completion + DeleteAfterHours; for 0, set by the validator's final verdict). A
 * schedule finds due records (Scan, filter `drillState = waiting AND dueAt <= now`) and deletes each
 * resource only when every ownership check holds (drill.ts); anything else is refused, recorded and
 * dead-lettered (`drill-cleanup-failed`).
 */

import { type BackupClient, DescribeRestoreJobCommand } from '@aws-sdk/client-backup';
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
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
import { findJobLink } from '../outcome/job-link.js';
import { type DrillSpec, drillDueAt, drillOf, ownershipRefusals } from './drill.js';
import { type DrillClients, deleteResource, tagDrillResource, viewResource } from './resources.js';

type Item = Record<string, AttributeValue>;

/** A failed validation leaves a 0-hour drill's resource this long for inspection. */
export const INSPECT_AFTER_FAILURE_HOURS = 24;
/** Retryable errors on this many scheduled runs in a row dead-letter the cleanup. */
export const CLEANUP_MAX_ATTEMPTS = 4;
const TTL_DAYS = 30;

const drillKey = (restoreJobId: string) => `${restoreJobId}#drill`;

/** What the drill record says. */
export interface DrillRecord {
  readonly restoreJobId: string;
  readonly resourceType: string;
  readonly createdResourceArn: string;
  readonly deleteAfterHours: number;
  readonly completedAt: string;
  readonly dueAt?: string;
  readonly drillState: 'waiting' | 'deleted' | 'refused' | 'failed' | 'gone';
  readonly attempts: number;
  readonly cleanupReason?: string;
  readonly deletedAt?: string;
}

function recordFromItem(item: Item): DrillRecord {
  return {
    restoreJobId: item.jobId?.S ?? '',
    resourceType: item.resourceType?.S ?? 'Unknown',
    createdResourceArn: item.createdResourceArn?.S ?? '',
    deleteAfterHours: Number(item.deleteAfterHours?.N ?? 0),
    completedAt: item.completedAt?.S ?? '',
    ...(item.dueAt?.S === undefined ? {} : { dueAt: item.dueAt.S }),
    drillState: (item.drillState?.S ?? 'waiting') as DrillRecord['drillState'],
    attempts: Number(item.attempts?.N ?? 0),
    ...(item.cleanupReason?.S === undefined ? {} : { cleanupReason: item.cleanupReason.S }),
    ...(item.deletedAt?.S === undefined ? {} : { deletedAt: item.deletedAt.S }),
  };
}

/** What the tracker needs to hand a completed drill over. */
export interface DrillHandOffDeps {
  readonly ddb: DynamoDBClient;
  readonly table: string;
  readonly clients: DrillClients;
  readonly now: () => Date;
}

/**
 * At COMPLETED: tags the drill's resource and writes its drill record (once: a repeated event finds
 * it). The tag goes first, so a record never names a resource that lacks it.
 */
export async function handOffDrill(
  deps: DrillHandOffDeps,
  job: {
    restoreJobId: string;
    resourceType: string;
    createdResourceArn: string;
    completedAt: string;
    spec: DrillSpec;
  },
): Promise<void> {
  await tagDrillResource(deps.clients, job.resourceType, job.createdResourceArn, job.restoreJobId);
  const dueAt = drillDueAt(job.spec, job.completedAt);
  const now = deps.now();
  // A record written before (a repeated event) stands.
  await conditionHolds('PutItem (drill record)', () =>
    deps.ddb.send(
      new PutItemCommand({
        TableName: deps.table,
        Item: {
          restoreJobId: { S: drillKey(job.restoreJobId) },
          jobId: { S: job.restoreJobId },
          resourceType: { S: job.resourceType },
          createdResourceArn: { S: job.createdResourceArn },
          deleteAfterHours: { N: String(job.spec.deleteAfterHours) },
          completedAt: { S: job.completedAt },
          ...(dueAt === undefined ? {} : { dueAt: { S: dueAt } }),
          drillState: { S: 'waiting' },
          attempts: { N: '0' },
          expiresAt: { N: String(Math.floor(now.getTime() / 1000) + TTL_DAYS * 86_400) },
        },
        ConditionExpression: 'attribute_not_exists(restoreJobId)',
      }),
    ),
  );
}

/**
 * At the final verdict of a 0-hour drill: due now (pass or unchecked), or after
 * INSPECT_AFTER_FAILURE_HOURS when the validation failed. A drill with hours, or none, is left as it is.
 */
export async function drillValidated(
  ddb: DynamoDBClient,
  table: string,
  restoreJobId: string,
  verdict: 'pass' | 'fail' | 'unchecked',
  validatedAt: string,
): Promise<boolean> {
  const t = Date.parse(validatedAt);
  const due = new Date(verdict === 'fail' ? t + INSPECT_AFTER_FAILURE_HOURS * 3_600_000 : t).toISOString();
  return conditionHolds('UpdateItem (drill record)', () =>
    ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { restoreJobId: { S: drillKey(restoreJobId) } },
        UpdateExpression: 'SET dueAt = :due',
        ConditionExpression:
          'attribute_exists(restoreJobId) AND deleteAfterHours = :zero AND attribute_not_exists(dueAt)',
        ExpressionAttributeValues: { ':due': { S: due }, ':zero': { N: '0' } },
      }),
    ),
  );
}

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

/** The outcome of one drill's cleanup. */
export type CleanupOutcome = 'deleted' | 'refused' | 'failed' | 'gone' | 'retry';

/** Every drill record due at `now` (Scan with a filter, every page followed). */
export async function dueDrills(ddb: DynamoDBClient, table: string, now: Date): Promise<DrillRecord[]> {
  const due: DrillRecord[] = [];
  let start: Item | undefined;
  do {
    let out: ScanCommandOutput;
    try {
      out = await ddb.send(
        new ScanCommand({
          TableName: table,
          FilterExpression: 'drillState = :waiting AND dueAt <= :now',
          ExpressionAttributeValues: { ':waiting': { S: 'waiting' }, ':now': { S: now.toISOString() } },
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
    } catch (error) {
      throw classifyAwsError('Scan (due drills)', error);
    }
    for (const item of out.Items ?? []) due.push(recordFromItem(item));
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return due;
}

async function finish(
  deps: CleanupDeps,
  record: DrillRecord,
  state: DrillRecord['drillState'],
  reason: string,
): Promise<void> {
  const now = deps.now().toISOString();
  // A record no longer waiting was finished by another run: left as it is.
  await conditionHolds('UpdateItem (drill record)', () =>
    deps.ddb.send(
      new UpdateItemCommand({
        TableName: deps.config.restoreJobsTable,
        Key: { restoreJobId: { S: drillKey(record.restoreJobId) } },
        UpdateExpression: 'SET drillState = :state, cleanupReason = :reason, cleanedAt = :now',
        ConditionExpression: 'drillState = :waiting',
        ExpressionAttributeValues: {
          ':state': { S: state },
          ':reason': { S: reason.slice(0, 2000) },
          ':now': { S: now },
          ':waiting': { S: 'waiting' },
        },
      }),
    ),
  );
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

/** Cleans up one due drill: checks ownership, deletes, records the outcome. */
export async function cleanupDrill(
  deps: CleanupDeps,
  record: DrillRecord,
  log: Logger,
): Promise<CleanupOutcome> {
  const jobLog = log.child({
    restoreJobId: record.restoreJobId,
    resourceType: record.resourceType,
    createdResourceArn: record.createdResourceArn,
  });
  const table = deps.config.restoreJobsTable;
  const link = await findJobLink(deps.ddb, table, record.restoreJobId);
  // Refused or failed: the request is dead-lettered with the reason, and the record says which.
  const giveUp = async (state: 'refused' | 'failed', reason: string): Promise<CleanupOutcome> => {
    // The letter first: a record marked without its letter would never be reported.
    const messageId =
      link === undefined
        ? undefined
        : await deadLetter(deps, record, link.original, link.redriveCount, reason);
    await finish(deps, record, state, reason);
    if (state === 'refused') {
      jobLog.warn('Drill cleanup refused; the resource is left', { reason, deadLetterMessageId: messageId });
      deps.metrics.count('DrillCleanupsRefused', record.resourceType);
    } else {
      jobLog.error('Drill cleanup failed; dead-lettered', { reason, deadLetterMessageId: messageId });
      deps.metrics.count('DrillCleanupsFailed', record.resourceType);
    }
    return state;
  };
  try {
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
    if (!view.exists) {
      await finish(deps, record, 'gone', 'the resource no longer exists; nothing was deleted');
      jobLog.info('Drill resource already gone; nothing deleted');
      return 'gone';
    }
    const alarmRestore =
      link?.original.trigger === 'eventbridge' &&
      (link.original.event as { source?: unknown } | null)?.source === 'aws.cloudwatch';
    const refusals = ownershipRefusals({
      restoreJobId: record.restoreJobId,
      linkDrill: link === undefined ? undefined : drillOf(link.original),
      alarmRestore,
      recordedArn: record.createdResourceArn,
      jobCreatedArn: job.CreatedResourceArn,
      tags: view.tags,
      name: view.name,
      nameByAws: view.nameByAws,
    });
    if (view.inUse !== undefined) refusals.push(view.inUse);
    if (refusals.length > 0) return await giveUp('refused', refusals.join('; '));
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
    return giveUp('failed', `${described.name}: ${described.message}`);
  }
}

/** One scheduled run: every due drill, one after another. */
export async function cleanupDueDrills(deps: CleanupDeps): Promise<Record<CleanupOutcome, number>> {
  const counts: Record<CleanupOutcome, number> = { deleted: 0, refused: 0, failed: 0, gone: 0, retry: 0 };
  const due = await dueDrills(deps.ddb, deps.config.restoreJobsTable, deps.now());
  for (const record of due) counts[await cleanupDrill(deps, record, deps.logger)]++;
  deps.logger.info('Drill cleanup run', { due: due.length, ...counts });
  return counts;
}

/** The drill record of a job, for the report and tests. */
export async function findDrillRecord(
  ddb: DynamoDBClient,
  table: string,
  restoreJobId: string,
): Promise<DrillRecord | undefined> {
  try {
    const out = await ddb.send(
      new GetItemCommand({
        TableName: table,
        Key: { restoreJobId: { S: drillKey(restoreJobId) } },
        ConsistentRead: true,
      }),
    );
    return out.Item === undefined ? undefined : recordFromItem(out.Item);
  } catch (error) {
    throw classifyAwsError('GetItem (drill record)', error);
  }
}
