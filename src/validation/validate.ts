/**
 * One validation of a COMPLETED restore: read the job and its link, check the created resource
 * (the built-in check of its type, then the request's own validator), and either put it back on
 * the validation queue for later (not-yet, before the deadline) or reach the one final verdict:
 * recorded on the link, logged, counted, timed, sent to AWS for restore testing jobs, and
 * dead-lettered with the original request when it failed.
 */

import {
  type BackupClient,
  DescribeRestoreJobCommand,
  type DescribeRestoreJobOutput,
} from '@aws-sdk/client-backup';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { type OriginalRequest, originalBody } from '../arrival/original.js';
import { storedVaultOf } from '../arrival/secrets.js';
import type { ValidationConfig } from '../config.js';
import { drillOf } from '../drills/drill.js';
import { drillValidated } from '../drills/record.js';
import { classifyAwsError, RestorePipelineError } from '../errors.js';
import { buildDeadLetter, sendDeadLetter } from '../letters/dead-letters.js';
import type { Logger, LogSink } from '../logger.js';
import { METRICS_NAMESPACE } from '../metrics.js';
import { requestOf, validatedAfterReady } from '../ready/request.js';
import { findJobLink, type JobLink } from '../table/links.js';
import { type ReadyRecord, readReadyRecord } from '../table/ready.js';
import { findVerdict, type RecordedVerdict, recordVerdict } from '../table/verdicts.js';
import { reportValidationToBackup, validationStatusOf } from './backup-result.js';
import { invokeValidator, validatorAllowed } from './custom-validator.js';
import { requeueValidation, type ValidationMessage } from './queue.js';
import { checkResource, type ResourceClients, readExpectations } from './read-resources.js';
import { emitDurations, recoveredAt, recoveryDurations } from './timing.js';
import { atDeadline, checkedType, fail, type Verdict } from './verdicts.js';

/** What a validation needs; built once per container, replaced in tests. */
export interface ValidateDeps {
  readonly config: ValidationConfig;
  readonly backup: BackupClient;
  readonly ddb: DynamoDBClient;
  readonly sqs: () => Promise<SQSClient>;
  readonly lambda: () => LambdaClient;
  readonly resources: ResourceClients;
  readonly logger: Logger;
  /** Where EMF metric lines go (stdout in Lambda). */
  readonly metricsSink: LogSink;
  readonly now: () => Date;
}

/** What one validation message came to. */
export type ValidateOutcome = 'passed' | 'failed' | 'unchecked' | 'requeued' | 'duplicate' | 'not-ours';

/** A restored resource failed validation; its request is dead-lettered with the reason. */
export class RestoreValidationFailedError extends RestorePipelineError {
  constructor(message: string) {
    super(message, { retryable: false });
    this.name = 'RestoreValidationFailedError';
  }
}

/** The request object and its validator (lenient: the request was checked when it arrived). */
export function requestedValidator(
  original: OriginalRequest,
  alarmValidators: Readonly<Record<string, string>>,
): { validator?: string; metadata: Record<string, string> } {
  let request: unknown;
  if (original.trigger === 'eventbridge') {
    const event = original.event as {
      source?: unknown;
      resources?: unknown;
      detail?: Record<string, unknown>;
    } | null;
    if (event?.source === 'aws.cloudwatch') {
      const names = [event.detail?.alarmName, ...(Array.isArray(event.resources) ? event.resources : [])];
      const validator = names
        .map((n) => (typeof n === 'string' ? alarmValidators[n] : undefined))
        .find(Boolean);
      return { ...(validator === undefined ? {} : { validator }), metadata: {} };
    }
    request = event?.detail;
  } else {
    try {
      request = JSON.parse(originalBody(original) ?? 'null');
    } catch {
      request = undefined;
    }
  }
  const r = (typeof request === 'object' && request !== null ? request : {}) as Record<string, unknown>;
  const metadata = (typeof r.Metadata === 'object' && r.Metadata !== null ? r.Metadata : {}) as Record<
    string,
    string
  >;
  return { ...(typeof r.Validator === 'string' ? { validator: r.Validator } : {}), metadata };
}

function count(deps: ValidateDeps, name: string, resourceType: string): void {
  deps.metricsSink(
    JSON.stringify({
      _aws: {
        Timestamp: deps.now().getTime(),
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [['ResourceType']],
            Metrics: [{ Name: name, Unit: 'Count' }],
          },
        ],
      },
      ResourceType: resourceType || 'Unknown',
      [name]: 1,
    }),
  );
}

async function describeJob(backup: BackupClient, restoreJobId: string): Promise<DescribeRestoreJobOutput> {
  try {
    return await backup.send(new DescribeRestoreJobCommand({ RestoreJobId: restoreJobId }));
  } catch (error) {
    throw classifyAwsError('DescribeRestoreJob', error);
  }
}

/** Runs the checks of one attempt: built-in first, then the request's own validator. */
async function check(
  deps: ValidateDeps,
  job: DescribeRestoreJobOutput,
  message: ValidationMessage,
  link: JobLink,
  resourceType: string,
  createdResourceArn: string,
): Promise<{ verdict: Verdict | undefined; checkedBy: string }> {
  const { validator, metadata } = requestedValidator(link.original, deps.config.alarmValidators);
  if (validator !== undefined && !validatorAllowed(validator, deps.config.allowedValidators)) {
    return {
      verdict: fail(
        `Validator ${validator} is not on this deployment's ALLOWED_VALIDATOR_FUNCTIONS: add it there (stage parameter allowedValidators), or name an allowed one`,
      ),
      checkedBy: validator,
    };
  }
  const type = checkedType(resourceType);
  let builtIn: Verdict | undefined;
  if (type !== undefined) {
    // A recovery point in another account's vault is read with that account (BackupVaultAccountId).
    const vault = storedVaultOf(job.BackupVaultArn, job.AccountId);
    const point =
      job.RecoveryPointArn !== undefined && vault !== undefined
        ? {
            recoveryPointArn: job.RecoveryPointArn,
            backupVaultName: vault.name,
            ...(vault.accountId === undefined ? {} : { vaultAccountId: vault.accountId }),
          }
        : undefined;
    const expect = await readExpectations(deps.backup, type, point, metadata);
    builtIn = await checkResource(deps.resources, type, createdResourceArn, expect);
  }
  // The team's validator runs on a resource the built-in check found usable (or could not check).
  if (validator === undefined || (builtIn !== undefined && builtIn.verdict !== 'pass')) {
    return { verdict: builtIn, checkedBy: 'built-in' };
  }
  const verdict = await invokeValidator(deps.lambda(), validator, {
    kind: 'restore-validation',
    restoreJobId: message.restoreJobId,
    resourceType,
    createdResourceArn,
    ...(job.RecoveryPointArn === undefined ? {} : { recoveryPointArn: job.RecoveryPointArn }),
    ...(job.SourceResourceArn === undefined ? {} : { sourceResourceArn: job.SourceResourceArn }),
    attempt: message.attempt,
    ...(builtIn === undefined ? {} : { builtIn }),
  });
  return { verdict, checkedBy: validator };
}

/**
 * Whether a copy to be made ready must wait before it is judged (pure): the validator judges the
 * ready copy, never the bare one. Undefined when it may be judged now (ready, skipped, no steps, or
 * a type or request with nothing to make ready); not yet otherwise, until the deadline.
 */
export function readyGate(madeReady: boolean, record: ReadyRecord | undefined): Verdict | undefined {
  if (!madeReady || (record !== undefined && record.state !== 'not-ready')) return undefined;
  return {
    verdict: 'not-yet',
    reason:
      record === undefined
        ? 'the copy is not made ready yet (makeReady has not recorded it; if its COMPLETED event was lost, invoke makeReady with the event: docs/dead-letters.md#make-ready-failed)'
        : 'the copy could not be made ready (see its make-ready-failed letter); it is judged once made ready',
  };
}

/** Handles one validation message. Throws (sorted by `retryable`) when it must be tried again. */
export async function validateRestore(
  deps: ValidateDeps,
  message: ValidationMessage,
  log: Logger,
): Promise<ValidateOutcome> {
  const table = deps.config.restoreJobsTable;
  const id = message.restoreJobId;
  const existing = await findVerdict(deps.ddb, table, id);
  if (existing !== undefined) {
    // A 0-hour drill's due time follows its verdict; a delivery whose write of it failed after the
    // verdict was recorded comes back here, so it is written again (idempotent; no-op for others).
    await drillValidated(deps.ddb, table, id, existing.verdict, existing.validatedAt);
    log.info('Ignored a validation of a job that already has its verdict', { verdict: existing.verdict });
    return 'duplicate';
  }
  const link = await findJobLink(deps.ddb, table, id);
  if (link === undefined) {
    log.info('Ignored a validation of a restore job this pipeline did not start (or whose link expired)');
    return 'not-ours';
  }
  const job = await describeJob(deps.backup, id);
  const resourceType = job.ResourceType ?? message.resourceType ?? link.resourceType ?? 'Unknown';
  const createdResourceArn = job.CreatedResourceArn ?? message.createdResourceArn ?? '';
  const jobLog = log.child({ resourceType, createdResourceArn, attempt: message.attempt });
  if (job.Status !== 'COMPLETED') {
    throw new RestoreValidationFailedError(
      `Restore job ${id} is ${job.Status ?? 'unknown'}, not COMPLETED: only a completed restore is validated`,
    );
  }

  const madeReady = validatedAfterReady(resourceType, requestOf(link.original));
  const waiting = readyGate(madeReady, madeReady ? await readReadyRecord(deps.ddb, table, id) : undefined);
  const { verdict, checkedBy } =
    waiting !== undefined
      ? { verdict: waiting, checkedBy: 'make-ready' }
      : createdResourceArn === ''
        ? {
            verdict: fail(
              `Restore job ${id} COMPLETED without a CreatedResourceArn: find the restored resource by hand`,
            ),
            checkedBy: 'built-in',
          }
        : await check(deps, job, message, link, resourceType, createdResourceArn);
  return conclude(deps, { job, link, message, resourceType, createdResourceArn, jobLog }, verdict, checkedBy);
}

/** What one validation works on, once its job and link are read. */
interface Checked {
  readonly job: DescribeRestoreJobOutput;
  readonly link: JobLink;
  readonly message: ValidationMessage;
  readonly resourceType: string;
  readonly createdResourceArn: string;
  readonly jobLog: Logger;
}

/**
 * What the checks found becomes the final verdict, or (not usable yet, before the deadline) the
 * validation is put back on the queue. No check at all: `unchecked`.
 */
async function conclude(
  deps: ValidateDeps,
  ctx: Checked,
  found: Verdict | undefined,
  checkedBy: string,
): Promise<ValidateOutcome> {
  const { message, resourceType, jobLog } = ctx;
  const now = deps.now();
  const deadline = new Date(Date.parse(message.requestedAt) + deps.config.deadlineMinutes * 60_000);
  const recorded = (verdict: RecordedVerdict['verdict'], reason: string): RecordedVerdict => ({
    verdict,
    reason,
    validatedAt: now.toISOString(),
    checkedBy,
    attempts: message.attempt,
  });
  if (found === undefined) {
    return finish(
      deps,
      { ...ctx, now, timedOut: false },
      recorded(
        'unchecked',
        `No built-in check for ${resourceType} and no validator named: the restore is not validated`,
      ),
    );
  }
  const timedOut = found.verdict === 'not-yet' && now >= deadline;
  const verdict = atDeadline(found, now, deadline);
  if (verdict.verdict !== 'not-yet') {
    return finish(deps, { ...ctx, now, timedOut }, recorded(verdict.verdict, verdict.reason));
  }
  const delay = await requeueValidation(
    { sqs: deps.sqs, validationQueueUrl: deps.config.validationQueueUrl, now: deps.now },
    message,
  );
  jobLog.info('Restored resource not usable yet; validation put back on the queue', {
    reason: verdict.reason,
    delaySeconds: delay,
    deadline: deadline.toISOString(),
  });
  count(deps, 'RestoreValidationsRetried', resourceType);
  return 'requeued';
}

async function finish(
  deps: ValidateDeps,
  ctx: Checked & { readonly now: Date; readonly timedOut: boolean },
  recorded: RecordedVerdict,
): Promise<ValidateOutcome> {
  const id = ctx.message.restoreJobId;
  let deadLetterMessageId: string | undefined;
  if (recorded.verdict === 'fail') {
    // Dead letter first, then the record: a crash in between repeats the dead letter, never loses it.
    deadLetterMessageId = await sendValidationDeadLetter(
      deps,
      ctx.link,
      id,
      ctx.resourceType,
      ctx.createdResourceArn,
      recorded.reason,
    );
  }
  const first = await recordVerdict(deps.ddb, deps.config.restoreJobsTable, id, recorded);
  if (!first) {
    ctx.jobLog.info("Another validation recorded this job's verdict first");
    return 'duplicate';
  }
  if (recorded.verdict !== 'unchecked') {
    const reported = await reportValidationToBackup(
      deps.backup,
      id,
      ctx.job,
      validationStatusOf(recorded.verdict, ctx.timedOut),
      recorded.reason,
    );
    if (reported) ctx.jobLog.info('Validation result sent to AWS Backup (restore testing job)');
  }
  const fields = { verdict: recorded.verdict, reason: recorded.reason, checkedBy: recorded.checkedBy };
  if (recorded.verdict === 'fail') {
    ctx.jobLog.warn('Restored resource failed validation; its request was dead-lettered', {
      ...fields,
      deadLetterMessageId,
    });
    count(deps, 'RestoreValidationsFailed', ctx.resourceType);
  } else if (recorded.verdict === 'pass') {
    ctx.jobLog.info('Restored resource validated', fields);
    count(deps, 'RestoreValidationsPassed', ctx.resourceType);
  } else {
    ctx.jobLog.warn('Restored resource not validated', fields);
    count(deps, 'RestoreValidationsUnchecked', ctx.resourceType);
  }
  if (drillOf(ctx.link.original) !== undefined) {
    // A drill kept for 0 hours is due once its verdict is final (src/drills/cleanup.ts).
    await drillValidated(deps.ddb, deps.config.restoreJobsTable, id, recorded.verdict, recorded.validatedAt);
  }
  const completion = ctx.job.CompletionDate?.toISOString() ?? ctx.message.completedAt;
  // The link reads it from its trigger, or from the event or alarm it keeps (src/table/links.ts).
  const neededAt = ctx.link.neededAt;
  // Validation follows make-ready: the copy judged is the ready one, and recovery ends at the verdict.
  const readyAt = (await readReadyRecord(deps.ddb, deps.config.restoreJobsTable, id))?.readyAt;
  const recovered = recoveredAt(recorded.verdict, recorded.validatedAt, readyAt);
  const durations = recoveryDurations({
    ...(neededAt === undefined ? {} : { neededAt }),
    acceptedAt: ctx.link.startedAt,
    ...(completion === undefined ? {} : { completedAt: completion }),
    ...(readyAt === undefined ? {} : { readyAt }),
    ...(recovered === undefined ? {} : { validatedAt: recovered }),
  });
  emitDurations(deps.metricsSink, durations, ctx.resourceType, ctx.now);
  ctx.jobLog.info('Time to recovery', { ...durations });
  return recorded.verdict === 'pass' ? 'passed' : recorded.verdict === 'fail' ? 'failed' : 'unchecked';
}

async function sendValidationDeadLetter(
  deps: ValidateDeps,
  link: JobLink,
  restoreJobId: string,
  resourceType: string,
  createdResourceArn: string,
  reason: string,
): Promise<string> {
  const error = new RestoreValidationFailedError(
    `Restore job ${restoreJobId} COMPLETED, but its resource ${createdResourceArn || '(none named)'} failed validation: ${reason}. The resource is left as it is for inspection. Fix the cause, then redrive this message to the request queue: it restores again with a fresh idempotency token`,
  );
  const letter = buildDeadLetter({
    failure: 'restore-validation-failed',
    error,
    trigger: { type: 'restore-validation', id: restoreJobId, attempt: 1 },
    original: link.original,
    now: deps.now(),
    redriveCount: link.redriveCount,
    restoreJob: { restoreJobId, status: 'COMPLETED', statusMessage: reason, resourceType },
  });
  return sendDeadLetter(deps.sqs, deps.config.deadLetterQueueUrl, letter);
}

/** Dead-letters a validation that could not run (a retryable error on the queue's last receive). */
export async function deadLetterUnrunnable(
  deps: ValidateDeps,
  message: ValidationMessage,
  error: unknown,
  log: Logger,
): Promise<boolean> {
  const link = await findJobLink(deps.ddb, deps.config.restoreJobsTable, message.restoreJobId);
  if (link === undefined) return false;
  const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const id = await sendValidationDeadLetter(
    deps,
    link,
    message.restoreJobId,
    message.resourceType ?? link.resourceType ?? 'Unknown',
    message.createdResourceArn ?? '',
    `the validation could not run (${why}); check the resource by hand`,
  );
  log.error('Validation could not run; its request was dead-lettered', { deadLetterMessageId: id });
  return true;
}
