/**
 * The validation queue: the tracker asks for a validation when a job COMPLETES; a check that must
 * wait is put back with a delay (SQS DelaySeconds), never waited for in a function. This module
 * loads SQS only: the tracker imports it without the validator's clients.
 */

import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { classifyAwsError } from '../errors.js';

/** One validation to run (the body of a validation queue message). */
export interface ValidationMessage {
  readonly kind: 'restore-validation';
  readonly version: 1;
  readonly restoreJobId: string;
  readonly resourceType?: string;
  readonly createdResourceArn?: string;
  /** When the job completed (the event's completionDate), ISO. */
  readonly completedAt?: string;
  /** When the first validation was asked for, ISO: the deadline counts from here. */
  readonly requestedAt: string;
  /** 1 for the first check. */
  readonly attempt: number;
}

/** The completed job the tracker hands over. */
export interface CompletedJob {
  readonly restoreJobId: string;
  readonly resourceType?: string;
  readonly createdResourceArn?: string;
  readonly completedAt?: string;
}

/** What requestValidation needs. */
export interface ValidationQueueDeps {
  readonly sqs: () => Promise<SQSClient>;
  readonly validationQueueUrl: string;
  readonly now: () => Date;
}

/** SQS's largest DelaySeconds. */
export const MAX_DELAY_SECONDS = 900;

/** The delay before check `attempt` (2, 3, ...): 30 s doubling, at most 15 minutes (pure). */
export function delayBeforeAttempt(attempt: number): number {
  return Math.min(MAX_DELAY_SECONDS, 30 * 2 ** Math.max(0, attempt - 2));
}

/** Reads a validation message (pure); undefined for anything else. */
export function parseValidationMessage(body: string): ValidationMessage | undefined {
  let m: Partial<ValidationMessage> | null;
  try {
    m = JSON.parse(body) as Partial<ValidationMessage> | null;
  } catch {
    return undefined;
  }
  if (
    typeof m !== 'object' ||
    m === null ||
    m.kind !== 'restore-validation' ||
    typeof m.restoreJobId !== 'string' ||
    m.restoreJobId === '' ||
    typeof m.requestedAt !== 'string' ||
    !Number.isFinite(Date.parse(m.requestedAt)) ||
    typeof m.attempt !== 'number' ||
    !Number.isInteger(m.attempt) ||
    m.attempt < 1
  ) {
    return undefined;
  }
  return m as ValidationMessage;
}

async function send(
  deps: ValidationQueueDeps,
  message: ValidationMessage,
  delaySeconds: number,
): Promise<string> {
  try {
    const sqs = await deps.sqs();
    const out = await sqs.send(
      new SendMessageCommand({
        QueueUrl: deps.validationQueueUrl,
        MessageBody: JSON.stringify(message),
        ...(delaySeconds > 0 ? { DelaySeconds: delaySeconds } : {}),
      }),
    );
    return out.MessageId ?? '';
  } catch (error) {
    throw classifyAwsError('SendMessage to the validation queue', error);
  }
}

/**
 * Asks for the validation of a COMPLETED job (called by the tracker). Returns the message id;
 * throws a sorted error (retryable when SQS is) so the tracker's event is retried.
 */
export async function requestValidation(deps: ValidationQueueDeps, job: CompletedJob): Promise<string> {
  const message: ValidationMessage = {
    kind: 'restore-validation',
    version: 1,
    restoreJobId: job.restoreJobId,
    ...(job.resourceType === undefined ? {} : { resourceType: job.resourceType }),
    ...(job.createdResourceArn === undefined ? {} : { createdResourceArn: job.createdResourceArn }),
    ...(job.completedAt === undefined ? {} : { completedAt: job.completedAt }),
    requestedAt: deps.now().toISOString(),
    attempt: 1,
  };
  return send(deps, message, 0);
}

/** Puts a not-yet validation back with the next delay; returns the delay in seconds. */
export async function requeueValidation(
  deps: ValidationQueueDeps,
  message: ValidationMessage,
): Promise<number> {
  const next = { ...message, attempt: message.attempt + 1 };
  const delay = delayBeforeAttempt(next.attempt);
  await send(deps, next, delay);
  return delay;
}
