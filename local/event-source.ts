/**
 * A local stand-in for Lambda's triggers:
 * - SqsEventSource polls a queue as the SQS event source mapping does: batches, visibility
 *   timeout, partial batch responses; redrive after maxReceiveCount is the queue's own.
 * - invokeAsync delivers an EventBridge event as an asynchronous invocation: two retries, then
 *   the on-failure destination gets Lambda's destination record.
 * - Both end an invocation at the function's deployed timeout (serverless.yml), as Lambda does:
 *   an SQS batch whose invocation timed out is not deleted (its messages come back after the
 *   visibility timeout), and a timed-out asynchronous invocation is a failed attempt. Lambda
 *   freezes the timed-out code; here it runs on unobserved, so a test must not count on what it
 *   does after the timeout.
 */

import { randomUUID } from 'node:crypto';
import {
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { deployedTimeoutMs } from './function-timeouts.js';
import { sleep } from './time.js';

/** A Lambda handler as the local triggers call it. */
export type LocalHandler<E, R> = (event: E, context: Context) => Promise<R>;

/** A Lambda context with a deadline `timeoutMs` from now. */
export function lambdaContext(functionName: string, timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A received message as the SQS event source hands it to a function: one record of its event. */
export function sqsRecordOf(m: Message, queueArn: string, region: string): SQSRecord {
  return {
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? '',
    attributes: {
      ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
      SentTimestamp: m.Attributes?.SentTimestamp ?? '0',
      SenderId: m.Attributes?.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? '0',
    },
    messageAttributes: {},
    md5OfBody: m.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** Thrown (locally) when an invocation reaches its function timeout. */
export class FunctionTimeoutError extends Error {
  constructor(functionName: string, timeoutMs: number) {
    super(`${functionName} timed out after ${timeoutMs} ms`);
    this.name = 'FunctionTimeoutError';
  }
}

/**
 * Invokes `handler` as Lambda does: with a context whose remaining time counts down from
 * `timeoutMs`, and ended at the timeout (FunctionTimeoutError) whether the handler is done or not.
 */
export async function invokeWithTimeout<E, R>(
  handler: LocalHandler<E, R>,
  event: E,
  functionName: string,
  timeoutMs: number,
): Promise<R> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FunctionTimeoutError(functionName, timeoutMs)), timeoutMs);
    // The timeout alone never holds the process open: a run waiting on nothing can be left.
    timer.unref();
  });
  const run = handler(event, lambdaContext(functionName, timeoutMs));
  // The abandoned run may still fail later; nobody is listening any more.
  run.catch(() => undefined);
  try {
    return await Promise.race([run, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** What one SQS event source has done. */
export interface SqsSourceStats {
  batches: number;
  records: number;
  /** Records reported failed (or in a batch that failed whole): SQS delivers them again. */
  failedRecords: number;
  deleted: number;
  handlerErrors: number;
  /** Invocations ended at the function timeout (their whole batch comes back). */
  timeouts: number;
}

/** Options of an SQS event source. */
export interface SqsEventSourceOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  region: string;
  functionName: string;
  handler: LocalHandler<SQSEvent, SQSBatchResponse | undefined>;
  batchSize?: number;
  /** Concurrent pollers (Lambda's concurrency for this source). */
  pollers?: number;
  waitTimeSeconds?: number;
  /** The function timeout; default: the deployed one from serverless.yml. */
  timeoutMs?: number;
}

/** Polls a queue and invokes the handler with batches, as Lambda's SQS event source does. */
export class SqsEventSource {
  readonly stats: SqsSourceStats = {
    batches: 0,
    records: 0,
    failedRecords: 0,
    deleted: 0,
    handlerErrors: 0,
    timeouts: 0,
  };
  private running = false;
  private inFlight = 0;
  private loops: Promise<void>[] = [];

  constructor(private readonly options: SqsEventSourceOptions) {}

  /** True while a batch is being handled. */
  get busy(): boolean {
    return this.inFlight > 0;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loops = Array.from({ length: this.options.pollers ?? 2 }, () => this.loop());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    const { sqs, queueUrl } = this.options;
    while (this.running) {
      let messages: Message[] = [];
      try {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: this.options.batchSize ?? 10,
            WaitTimeSeconds: this.options.waitTimeSeconds ?? 1,
            MessageSystemAttributeNames: ['All'],
          }),
        );
        messages = out.Messages ?? [];
      } catch {
        await sleep(100);
        continue;
      }
      if (messages.length === 0) continue;
      this.inFlight += 1;
      try {
        await this.handleBatch(
          messages.map((m) => sqsRecordOf(m, this.options.queueArn, this.options.region)),
        );
      } finally {
        this.inFlight -= 1;
      }
    }
  }

  private async handleBatch(records: SQSRecord[]): Promise<void> {
    this.stats.batches += 1;
    this.stats.records += records.length;
    let failed: Set<string>;
    try {
      const response = await invokeWithTimeout(
        this.options.handler,
        { Records: records },
        this.options.functionName,
        this.options.timeoutMs ?? deployedTimeoutMs(this.options.functionName),
      );
      failed = new Set();
      const items = response?.batchItemFailures ?? [];
      const ids = new Set(records.map((r) => r.messageId));
      for (const item of items) {
        // An empty or unknown itemIdentifier fails the whole batch, as on Lambda.
        if (typeof item?.itemIdentifier !== 'string' || !ids.has(item.itemIdentifier)) {
          failed = ids;
          break;
        }
        failed.add(item.itemIdentifier);
      }
    } catch (error) {
      if (error instanceof FunctionTimeoutError) this.stats.timeouts += 1;
      else this.stats.handlerErrors += 1;
      failed = new Set(records.map((r) => r.messageId));
    }
    this.stats.failedRecords += failed.size;
    await Promise.all(
      records
        .filter((r) => !failed.has(r.messageId))
        .map(async (r) => {
          for (let i = 0; i < 5; i++) {
            try {
              await this.options.sqs.send(
                new DeleteMessageCommand({ QueueUrl: this.options.queueUrl, ReceiptHandle: r.receiptHandle }),
              );
              this.stats.deleted += 1;
              return;
            } catch {
              await sleep(50 * (i + 1));
            }
          }
        }),
    );
  }
}

/** What asynchronous invocations have done. */
export interface AsyncStats {
  invocations: number;
  retries: number;
  toDestination: number;
}

/** Options of an asynchronous invoker. */
export interface AsyncInvokerOptions {
  sqs: SQSClient;
  functionName: string;
  /** The on-failure destination (an SQS queue URL). */
  onFailureQueueUrl: string;
  /** Lambda waits about 1 and 2 minutes; local runs wait these milliseconds. */
  retryDelaysMs?: readonly number[];
  /** The function's reserved concurrency: invocations beyond it wait their turn. */
  concurrency?: number;
  /** The function timeout; default: the deployed one from serverless.yml. */
  timeoutMs?: number;
}

/** How an asynchronous invocation ended: 'closed' when the local pipeline closed before it did. */
export type InvokeResult = 'succeeded' | 'destination' | 'closed';

/** Delivers events as Lambda's asynchronous invocation does. */
export class AsyncInvoker {
  readonly stats: AsyncStats = { invocations: 0, retries: 0, toDestination: 0 };
  /** Attempts ended at the function timeout (each counts as a failed attempt). */
  timeouts = 0;
  private pendingCount = 0;
  private closed = false;
  /** Where the pending invocations are: an attempt running (since when), waiting for a turn, or sending to the destination. */
  private readonly where = { running: new Map<object, number>(), queued: 0, destination: 0 };
  /** How the attempts so far ended: succeeded, or the error's name (FunctionTimeoutError for a timeout). */
  private readonly ended: Record<string, number> = {};
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly options: AsyncInvokerOptions) {}

  /** Invocations not finished yet (including retries waiting). */
  get pending(): number {
    return this.pendingCount;
  }

  /** What the pending invocations are doing, for a run that waits on them (the oldest attempt's age). */
  describe(): string {
    const { running, queued, destination } = this.where;
    const oldest = running.size === 0 ? 0 : Date.now() - Math.min(...running.values());
    const ended = Object.entries(this.ended)
      .map(([how, n]) => `${n} ${how}`)
      .join(', ');
    return `${running.size} attempt(s) running (the oldest for ${oldest} ms), ${queued} waiting for a concurrency slot, ${destination} sending to the destination; attempts ended: ${ended || 'none'}`;
  }

  private async acquire(): Promise<void> {
    const limit = this.options.concurrency ?? Number.POSITIVE_INFINITY;
    if (this.running < limit) {
      this.running += 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.running -= 1;
  }

  /**
   * Stops for good (the local pipeline closes): no attempt, retry or destination send starts after
   * this; an attempt running goes on to its end or its timeout. Nothing of a closed pipeline keeps
   * calling an endpoint that is gone (or another pipeline's, on the same port later).
   */
  close(): void {
    this.closed = true;
  }

  /** Invokes `handler` with `event`, retrying twice, then sends the destination record. */
  async invoke<E>(handler: LocalHandler<E, unknown>, event: E): Promise<InvokeResult> {
    this.pendingCount += 1;
    try {
      const delays = this.options.retryDelaysMs ?? [100, 200];
      let lastError: unknown;
      for (let attempt = 0; attempt <= delays.length; attempt++) {
        if (attempt > 0) {
          this.stats.retries += 1;
          await sleep(delays[attempt - 1] ?? 0);
        }
        if (this.closed) return 'closed';
        this.stats.invocations += 1;
        this.where.queued += 1;
        await this.acquire();
        this.where.queued -= 1;
        if (this.closed) {
          this.release();
          return 'closed';
        }
        const running = {};
        this.where.running.set(running, Date.now());
        try {
          await invokeWithTimeout(
            handler,
            event,
            this.options.functionName,
            this.options.timeoutMs ?? deployedTimeoutMs(this.options.functionName),
          );
          this.ended.succeeded = (this.ended.succeeded ?? 0) + 1;
          return 'succeeded';
        } catch (error) {
          if (error instanceof FunctionTimeoutError) this.timeouts += 1;
          const how = error instanceof Error ? error.name : 'thrown';
          this.ended[how] = (this.ended[how] ?? 0) + 1;
          lastError = error;
        } finally {
          this.where.running.delete(running);
          this.release();
        }
      }
      const record = {
        version: '1.0',
        timestamp: new Date().toISOString(),
        requestContext: {
          requestId: randomUUID(),
          functionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${this.options.functionName}:$LATEST`,
          condition: 'RetriesExhausted',
          approximateInvokeCount: delays.length + 1,
        },
        requestPayload: event,
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        responsePayload: {
          errorType: lastError instanceof Error ? lastError.name : 'Error',
          errorMessage: lastError instanceof Error ? lastError.message : String(lastError),
          trace: [],
        },
      };
      // Lambda keeps trying its destination; so does the local stand-in, until it is closed.
      this.where.destination += 1;
      while (!this.closed) {
        try {
          await this.options.sqs.send(
            new SendMessageCommand({
              QueueUrl: this.options.onFailureQueueUrl,
              MessageBody: JSON.stringify(record),
            }),
          );
          this.stats.toDestination += 1;
          this.where.destination -= 1;
          return 'destination';
        } catch {
          await sleep(100);
        }
      }
      this.where.destination -= 1;
      return 'closed';
    } finally {
      this.pendingCount -= 1;
    }
  }
}
