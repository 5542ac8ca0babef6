/**
 * The dead-letter queue seen from outside: read its messages without consuming them, describe
 * each (reason, failure kind, age, ids), and move chosen ones back to the request queue.
 *
 * SQS has no peek. A message is read by receiving it, which hides it for the visibility timeout;
 * the CLI receives with a short timeout, then sets each message's visibility back to 0
 * (ChangeMessageVisibility), so the queue is as it was, apart from the receive count.
 */

import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { isPlainObject } from '../src/json.js';

/** One message of the dead-letter queue, described. */
export interface LetterInfo {
  readonly messageId: string;
  /** `restore-dead-letter` (the pipeline's own), `lambda-on-failure` or `raw-request` (moved by the redrive policy). */
  readonly kind: 'restore-dead-letter' | 'lambda-on-failure' | 'raw-request';
  /** rejected, retries-exhausted, restore-job-failed, restore-validation-failed, drill-cleanup-failed, make-ready-failed, or what a newer pipeline wrote. */
  readonly failure: string;
  readonly reason: string;
  /** When it failed (the letter's failedAt, else when the message was sent). */
  readonly failedAt: string | undefined;
  readonly ageSeconds: number | undefined;
  readonly triggerId: string | undefined;
  readonly triggerType: string | undefined;
  readonly redriveCount: number | undefined;
  readonly deadLetterId: string | undefined;
  readonly restoreJobId: string | undefined;
  readonly receiveCount: number | undefined;
}

/** A received message, still hidden, with its receipt handle. */
export interface HeldLetter {
  readonly info: LetterInfo;
  readonly body: string;
  readonly receiptHandle: string;
}

const str = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** Describes a dead-letter message body (pure). Unknown fields are ignored, missing ones left out. */
export function describeLetter(
  messageId: string,
  body: string,
  attributes: Record<string, string | undefined>,
  now: Date,
): LetterInfo {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const sent = Number(attributes.SentTimestamp);
  const sentAt = Number.isFinite(sent) && sent > 0 ? new Date(sent).toISOString() : undefined;
  const receiveCount = Number(attributes.ApproximateReceiveCount);
  const common = {
    messageId,
    receiveCount: Number.isFinite(receiveCount) ? receiveCount : undefined,
  };
  const ageOf = (iso: string | undefined) => {
    const t = iso === undefined ? Number.NaN : Date.parse(iso);
    return Number.isNaN(t) ? undefined : Math.max(0, Math.round((now.getTime() - t) / 1000));
  };
  if (isPlainObject(parsed) && parsed.kind === 'restore-dead-letter') {
    const trigger = isPlainObject(parsed.trigger) ? parsed.trigger : {};
    const job = isPlainObject(parsed.restoreJob) ? parsed.restoreJob : {};
    const failedAt = str(parsed.failedAt) ?? sentAt;
    return {
      ...common,
      kind: 'restore-dead-letter',
      failure: str(parsed.failure) ?? 'unknown',
      reason: str(parsed.reason) ?? str(isPlainObject(parsed.error) ? parsed.error.message : undefined) ?? '',
      failedAt,
      ageSeconds: ageOf(failedAt),
      triggerId: str(trigger.id),
      triggerType: str(trigger.type),
      redriveCount: typeof parsed.redriveCount === 'number' ? parsed.redriveCount : undefined,
      deadLetterId: str(parsed.deadLetterId),
      restoreJobId: str(job.restoreJobId),
    };
  }
  if (isPlainObject(parsed) && isPlainObject(parsed.requestContext) && 'requestPayload' in parsed) {
    const response = isPlainObject(parsed.responsePayload) ? parsed.responsePayload : {};
    const context = parsed.requestContext;
    const payload = isPlainObject(parsed.requestPayload) ? parsed.requestPayload : {};
    const failedAt = str(parsed.timestamp) ?? sentAt;
    return {
      ...common,
      kind: 'lambda-on-failure',
      // Lambda gave up after its asynchronous retries.
      failure: 'retries-exhausted',
      reason: `Lambda's asynchronous retries ran out (${str(context.condition) ?? 'no condition'}): ${str(response.errorMessage) ?? 'no error message'}`,
      failedAt,
      ageSeconds: ageOf(failedAt),
      triggerId: str(payload.id),
      triggerType: 'eventbridge',
      redriveCount: undefined,
      deadLetterId: undefined,
      restoreJobId: undefined,
    };
  }
  return {
    ...common,
    kind: 'raw-request',
    // The queue's redrive policy moved it after maxReceiveCount receives, without a reason.
    failure: 'retries-exhausted',
    reason:
      "Moved here by the request queue's redrive policy after its last receive; no reason was attached (the dead letter could not be written). Check the functions' logs for this message id.",
    failedAt: sentAt,
    ageSeconds: ageOf(sentAt),
    triggerId: messageId,
    triggerType: 'sqs',
    redriveCount: undefined,
    deadLetterId: undefined,
    restoreJobId: undefined,
  };
}

/** How long received messages stay hidden while the CLI reads them. */
export const DEFAULT_HOLD_SECONDS = 30;

/** Options for receiving the whole queue. */
export interface ReceiveOptions {
  /** Stop after this many messages. */
  readonly limit: number;
  /** Visibility timeout of each receive, in seconds. */
  readonly holdSeconds: number;
  /** Long-poll wait of each receive, in seconds. */
  readonly waitSeconds: number;
  readonly onProgress?: (received: number, approximate: number) => void;
  readonly now?: () => Date;
}

/** ApproximateNumberOfMessages of a queue. */
export async function approximateCount(sqs: SQSClient, queueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
}

/**
 * Receives the queue's messages and keeps them hidden (for `holdSeconds`). Stops at `limit`, when
 * a receive comes back empty after the approximate count was reached, after three empty receives
 * in a row, or before the first messages could come back.
 */
export async function receiveAll(
  sqs: SQSClient,
  queueUrl: string,
  options: ReceiveOptions,
): Promise<HeldLetter[]> {
  const now = options.now ?? (() => new Date());
  const approximate = await approximateCount(sqs, queueUrl);
  const held = new Map<string, HeldLetter>();
  const started = Date.now();
  let empty = 0;
  while (held.size < options.limit && empty < 3) {
    // Messages received first come back after holdSeconds: stop well before.
    if (Date.now() - started > options.holdSeconds * 500) break;
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, options.limit - held.size),
        VisibilityTimeout: options.holdSeconds,
        WaitTimeSeconds: options.waitSeconds,
        MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
      }),
    );
    const messages: Message[] = out.Messages ?? [];
    if (messages.length === 0) {
      empty += 1;
      if (held.size >= approximate) break;
      continue;
    }
    empty = 0;
    for (const m of messages) {
      const id = m.MessageId ?? '';
      held.set(id, {
        info: describeLetter(id, m.Body ?? '', (m.Attributes ?? {}) as Record<string, string>, now()),
        body: m.Body ?? '',
        receiptHandle: m.ReceiptHandle ?? '',
      });
    }
    options.onProgress?.(held.size, approximate);
  }
  return [...held.values()];
}

/** Runs `work` on every item, at most `limit` at a time. */
export async function inPool<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Makes held messages visible again at once (ten at a time); returns the ids it could not release. */
export async function release(
  sqs: SQSClient,
  queueUrl: string,
  letters: readonly HeldLetter[],
): Promise<string[]> {
  const failed: string[] = [];
  await inPool(letters, 10, async (letter) => {
    try {
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: letter.receiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    } catch {
      // It comes back by itself when the hold ends.
      failed.push(letter.info.messageId);
    }
  });
  return failed;
}

/** Does a letter match the operator's choice? */
export function matches(info: LetterInfo, ids: readonly string[], failure: string | undefined): boolean {
  const byId =
    ids.length === 0 ||
    ids.some((id) => id === info.messageId || id === info.deadLetterId || id === info.triggerId);
  return byId && (failure === undefined || info.failure === failure);
}

/** What happened to one letter chosen for a redrive. */
export interface MoveResult {
  readonly messageId: string;
  readonly failure: string;
  /** moved; sent-not-deleted (it will be redriven twice: the pipeline starts nothing twice within the hour); not-moved. */
  readonly result: 'moved' | 'sent-not-deleted' | 'not-moved';
  readonly newMessageId?: string;
  readonly error?: string;
}

/**
 * Why a letter is not moved back, if it is not: a `make-ready-failed` letter reports a restore that
 * succeeded and a copy not made ready; the request queue would restore nothing (its original is the
 * job's COMPLETED event), so it stays, with what to do instead.
 */
export function notRedrivable(info: LetterInfo): string | undefined {
  if (info.failure !== 'make-ready-failed') return undefined;
  return `a make-ready-failed letter is not redriven: restore job ${info.restoreJobId ?? '(named in the letter)'} succeeded and only making its copy ready failed. Do the steps its reason names by hand, or fix the cause and run make-ready again: delete the job's "#ready" item, invoke the makeReady function asynchronously with the letter's original.event (docs/dead-letters.md), then delete the letter`;
}

/**
 * Moves one held letter: send its body unchanged to the request queue (the pipeline recognises a
 * dead letter and restores its original), then delete it from the dead-letter queue. A crash in
 * between leaves a copy in both queues: duplicated, never lost. A letter `notRedrivable` refuses
 * is left where it is.
 */
export async function moveOne(
  sqs: SQSClient,
  from: string,
  to: string,
  letter: HeldLetter,
): Promise<MoveResult> {
  const base = { messageId: letter.info.messageId, failure: letter.info.failure };
  const refused = notRedrivable(letter.info);
  if (refused !== undefined) return { ...base, result: 'not-moved', error: refused };
  let newMessageId: string;
  try {
    const out = await sqs.send(new SendMessageCommand({ QueueUrl: to, MessageBody: letter.body }));
    newMessageId = out.MessageId ?? '';
  } catch (error) {
    return { ...base, result: 'not-moved', error: `${(error as Error).name}: ${(error as Error).message}` };
  }
  try {
    await sqs.send(new DeleteMessageCommand({ QueueUrl: from, ReceiptHandle: letter.receiptHandle }));
    return { ...base, result: 'moved', newMessageId };
  } catch (error) {
    return {
      ...base,
      result: 'sent-not-deleted',
      newMessageId,
      error: `${(error as Error).name}: ${(error as Error).message}`,
    };
  }
}

/** A message move task's state. */
export interface MoveTask {
  readonly taskHandle?: string;
  readonly status: string;
  readonly moved: number;
  readonly toMove?: number;
  readonly failureReason?: string;
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  return out.Attributes?.QueueArn ?? '';
}

/**
 * Moves every message with SQS's own move task, to the request queue (DestinationArn: letters the
 * pipeline sent itself have no source queue to go back to). Waits for the task unless told not to.
 */
export async function moveAll(
  sqs: SQSClient,
  from: string,
  to: string,
  options: {
    ratePerSecond?: number;
    wait: boolean;
    pollMs?: number;
    onProgress?: (task: MoveTask) => void;
  },
): Promise<MoveTask> {
  const [sourceArn, destinationArn] = await Promise.all([queueArn(sqs, from), queueArn(sqs, to)]);
  const started = await sqs.send(
    new StartMessageMoveTaskCommand({
      SourceArn: sourceArn,
      DestinationArn: destinationArn,
      ...(options.ratePerSecond === undefined ? {} : { MaxNumberOfMessagesPerSecond: options.ratePerSecond }),
    }),
  );
  const taskHandle = started.TaskHandle;
  let task: MoveTask = { ...(taskHandle === undefined ? {} : { taskHandle }), status: 'RUNNING', moved: 0 };
  while (options.wait) {
    const out = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }));
    const latest = out.Results?.[0];
    if (latest !== undefined) {
      task = {
        ...(taskHandle === undefined ? {} : { taskHandle }),
        status: latest.Status ?? 'UNKNOWN',
        moved: latest.ApproximateNumberOfMessagesMoved ?? 0,
        ...(latest.ApproximateNumberOfMessagesToMove === undefined
          ? {}
          : { toMove: latest.ApproximateNumberOfMessagesToMove }),
        ...(latest.FailureReason === undefined ? {} : { failureReason: latest.FailureReason }),
      };
      options.onProgress?.(task);
      if (task.status !== 'RUNNING' && task.status !== 'CANCELLING') break;
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 2_000));
  }
  return task;
}
