/**
 * The local SQS (AWS JSON 1.0 protocol): queues with visibility timeouts, receive counts, delays,
 * long polling, a maximum message size, and redrive to a dead-letter queue after maxReceiveCount;
 * message move tasks (StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask) out of a
 * dead-letter queue, as docs/aws-behaviour.md#sqs-move-task records them.
 */

import { createHash, randomUUID } from 'node:crypto';
import { LocalAwsError } from './backup-service.js';

/** A message as the local queue keeps it. */
export interface LocalMessage {
  MessageId: string;
  Body: string;
  MD5OfBody: string;
  MessageAttributes?: Record<string, MessageAttribute>;
  SentTimestamp: number;
  FirstReceiveTimestamp?: number;
  ReceiveCount: number;
  visibleAt: number;
  receiptHandle?: string;
  /** Set when the queue's redrive policy moved it here. */
  movedFrom?: string;
}

interface MessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

/** A local queue. */
export interface LocalQueue {
  name: string;
  url: string;
  arn: string;
  visibilityTimeoutS: number;
  maximumMessageSize: number;
  delaySeconds: number;
  redrive?: { deadLetterTargetArn: string; maxReceiveCount: number };
  messages: LocalMessage[];
  /** Messages deleted after being received (kept for counting). */
  deleted: number;
  attributes: Record<string, string>;
}

const md5 = (data: string | Buffer) => createHash('md5').update(data).digest('hex');

/** MD5 of message attributes as SQS computes it (the SDK checks it). */
export function md5OfMessageAttributes(attributes: Record<string, MessageAttribute>): string {
  const parts: Buffer[] = [];
  const lengthPrefixed = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    parts.push(len, b);
  };
  for (const name of Object.keys(attributes).sort()) {
    const attr = attributes[name] as MessageAttribute;
    lengthPrefixed(Buffer.from(name));
    lengthPrefixed(Buffer.from(attr.DataType));
    if (attr.StringValue !== undefined) {
      parts.push(Buffer.from([1]));
      lengthPrefixed(Buffer.from(attr.StringValue));
    } else {
      parts.push(Buffer.from([2]));
      lengthPrefixed(Buffer.from(attr.BinaryValue ?? '', 'base64'));
    }
  }
  return md5(Buffer.concat(parts));
}

const nonExistent = (what: string) =>
  new LocalAwsError(
    400,
    'com.amazonaws.sqs#QueueDoesNotExist',
    `The specified queue does not exist: ${what}`,
    'AWS.SimpleQueueService.NonExistentQueue;Sender',
  );
const invalid = (message: string) =>
  new LocalAwsError(
    400,
    'com.amazonaws.sqs#InvalidParameterValueException',
    message,
    'InvalidParameterValue;Sender',
  );

/** A message move task as the local SQS keeps it. */
export interface LocalMoveTask {
  TaskHandle: string;
  SourceArn: string;
  DestinationArn?: string;
  MaxNumberOfMessagesPerSecond?: number;
  Status: 'RUNNING' | 'COMPLETED' | 'CANCELLING' | 'CANCELLED' | 'FAILED';
  ApproximateNumberOfMessagesMoved: number;
  ApproximateNumberOfMessagesToMove: number;
  FailureReason?: string;
  StartedTimestamp: number;
  /** The messages the task was started with (SQS counts them at the start), oldest first. */
  pending: string[];
}

const notFound = (message: string) =>
  new LocalAwsError(
    400,
    'com.amazonaws.sqs#ResourceNotFoundException',
    message,
    'ResourceNotFoundException;Sender',
  );

/** SQS's own ceiling on a move task's rate (StartMessageMoveTask: "The maximum value ... is 500"). */
const MOVE_MAX_PER_SECOND = 500;
const MOVE_TICK_MS = 50;

/** The local SQS service state and operations. */
export class LocalSqs {
  readonly queues = new Map<string, LocalQueue>();
  /** Move tasks per source queue ARN, newest first. */
  readonly moveTasks = new Map<string, LocalMoveTask[]>();
  private waiters: (() => void)[] = [];

  constructor(
    private readonly baseUrl: () => string,
    private readonly region: string,
    private readonly accountId: string,
  ) {}

  private byUrl(url: unknown): LocalQueue {
    const name = typeof url === 'string' ? url.split('/').pop() : undefined;
    const queue = name === undefined ? undefined : this.queues.get(name);
    if (queue === undefined) throw nonExistent(String(url));
    return queue;
  }

  private byArn(arn: string): LocalQueue | undefined {
    return [...this.queues.values()].find((q) => q.arn === arn);
  }

  /** The queue name of a request (for per-queue faults). */
  queueName(body: Record<string, unknown>): string | undefined {
    const url = body.QueueUrl;
    return typeof url === 'string'
      ? url.split('/').pop()
      : typeof body.QueueName === 'string'
        ? body.QueueName
        : typeof body.SourceArn === 'string'
          ? body.SourceArn.split(':').pop()
          : undefined;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Set by stopLongPolling: a receive answers with what it finds, without waiting. */
  private longPollingStopped = false;

  /**
   * Ends every long poll in progress and makes later receives answer at once: for stopping the
   * local stack without waiting out its pollers' WaitTimeSeconds (a Lambda poller's receive waits
   * until its wait time ends; stopping one would otherwise take that long).
   */
  stopLongPolling(): void {
    this.longPollingStopped = true;
    this.wake();
  }

  CreateQueue(body: Record<string, unknown>) {
    const name = String(body.QueueName ?? '');
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw invalid(`Invalid queue name ${name}`);
    const attrs = (body.Attributes ?? {}) as Record<string, string>;
    const existing = this.queues.get(name);
    if (existing !== undefined) return { QueueUrl: existing.url };
    const redrive = attrs.RedrivePolicy === undefined ? undefined : JSON.parse(attrs.RedrivePolicy);
    const queue: LocalQueue = {
      name,
      url: `${this.baseUrl()}/${this.accountId}/${name}`,
      arn: `arn:aws:sqs:${this.region}:${this.accountId}:${name}`,
      visibilityTimeoutS: Number(attrs.VisibilityTimeout ?? 30),
      maximumMessageSize: Number(attrs.MaximumMessageSize ?? 262_144),
      delaySeconds: Number(attrs.DelaySeconds ?? 0),
      ...(redrive === undefined
        ? {}
        : {
            redrive: {
              deadLetterTargetArn: redrive.deadLetterTargetArn,
              maxReceiveCount: Number(redrive.maxReceiveCount),
            },
          }),
      messages: [],
      deleted: 0,
      attributes: { ...attrs },
    };
    this.queues.set(name, queue);
    return { QueueUrl: queue.url };
  }

  GetQueueUrl(body: Record<string, unknown>) {
    const queue = this.queues.get(String(body.QueueName));
    if (queue === undefined) throw nonExistent(String(body.QueueName));
    return { QueueUrl: queue.url };
  }

  /**
   * ListQueues: the URLs of the queues whose name begins with QueueNamePrefix (case-sensitive), at
   * most 1,000; with MaxResults (1 to 1000) a page of that size and a NextToken when more follow.
   */
  ListQueues(body: Record<string, unknown>) {
    const prefix = typeof body.QueueNamePrefix === 'string' ? body.QueueNamePrefix : '';
    const max = body.MaxResults === undefined ? undefined : Number(body.MaxResults);
    if (max !== undefined && !(Number.isInteger(max) && max >= 1 && max <= 1000))
      throw invalid(
        `Value ${String(body.MaxResults)} for parameter MaxResults is invalid. Reason: must be between 1 and 1000.`,
      );
    let start = 0;
    if (body.NextToken !== undefined) {
      start = Number(
        Buffer.from(String(body.NextToken), 'base64')
          .toString('utf8')
          .replace(/^start:/, ''),
      );
      if (!Number.isInteger(start) || start < 0) throw invalid('Invalid NextToken value.');
    }
    const urls = [...this.queues.values()]
      .filter((q) => q.name.startsWith(prefix))
      .map((q) => q.url)
      .sort();
    const end = start + (max ?? 1000);
    const page = urls.slice(start, end);
    return {
      ...(page.length === 0 ? {} : { QueueUrls: page }),
      ...(max !== undefined && end < urls.length
        ? { NextToken: Buffer.from(`start:${end}`).toString('base64') }
        : {}),
    };
  }

  private enqueue(queue: LocalQueue, entry: Record<string, unknown>) {
    const text = entry.MessageBody;
    if (typeof text !== 'string' || text === '')
      throw invalid('The request must contain the parameter MessageBody.');
    // SendMessage: "Any characters not included in this list will be rejected" (the API's own words).
    // biome-ignore lint/suspicious/noControlCharactersInRegex: tab, newline and carriage return are the allowed ones
    const bad = text.match(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u)?.[0];
    if (bad !== undefined) {
      throw new LocalAwsError(
        400,
        'com.amazonaws.sqs#InvalidMessageContents',
        `Invalid binary character '#x${(bad.codePointAt(0) ?? 0).toString(16).toUpperCase()}' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`,
        'InvalidMessageContents;Sender',
      );
    }
    const attributes = entry.MessageAttributes as Record<string, MessageAttribute> | undefined;
    const size = Buffer.byteLength(text) + Buffer.byteLength(JSON.stringify(attributes ?? {}));
    if (Buffer.byteLength(text) > queue.maximumMessageSize) {
      throw invalid(
        `One or more parameters are invalid. Reason: Message must be shorter than ${queue.maximumMessageSize} bytes (was ${size}).`,
      );
    }
    const now = Date.now();
    const delay = Number(entry.DelaySeconds ?? queue.delaySeconds) || 0;
    const message: LocalMessage = {
      MessageId: randomUUID(),
      Body: text,
      MD5OfBody: md5(text),
      ...(attributes === undefined || Object.keys(attributes).length === 0
        ? {}
        : { MessageAttributes: attributes }),
      SentTimestamp: now,
      ReceiveCount: 0,
      visibleAt: now + delay * 1000,
    };
    queue.messages.push(message);
    this.wake();
    return {
      MessageId: message.MessageId,
      MD5OfMessageBody: message.MD5OfBody,
      ...(message.MessageAttributes === undefined
        ? {}
        : { MD5OfMessageAttributes: md5OfMessageAttributes(message.MessageAttributes) }),
    };
  }

  SendMessage(body: Record<string, unknown>) {
    return this.enqueue(this.byUrl(body.QueueUrl), body);
  }

  SendMessageBatch(body: Record<string, unknown>) {
    const queue = this.byUrl(body.QueueUrl);
    const entries = (body.Entries ?? []) as Record<string, unknown>[];
    if (entries.length === 0 || entries.length > 10) {
      throw new LocalAwsError(
        400,
        'com.amazonaws.sqs#TooManyEntriesInBatchRequest',
        'A batch holds 1 to 10 entries',
      );
    }
    const Successful: unknown[] = [];
    const Failed: unknown[] = [];
    for (const entry of entries) {
      try {
        Successful.push({ Id: entry.Id, ...this.enqueue(queue, entry) });
      } catch (error) {
        Failed.push({
          Id: entry.Id,
          SenderFault: true,
          Code:
            error instanceof LocalAwsError && error.queryErrorCode !== undefined
              ? error.queryErrorCode.split(';')[0]
              : 'InvalidParameterValue',
          Message: (error as Error).message,
        });
      }
    }
    return { Successful, Failed };
  }

  /** Moves messages over their queue's maxReceiveCount to its dead-letter queue, as SQS does on receive. */
  private redrive(queue: LocalQueue, message: LocalMessage): boolean {
    if (queue.redrive === undefined || message.ReceiveCount < queue.redrive.maxReceiveCount) return false;
    const target = this.byArn(queue.redrive.deadLetterTargetArn);
    if (target === undefined) return false;
    queue.messages.splice(queue.messages.indexOf(message), 1);
    target.messages.push({
      ...message,
      visibleAt: Date.now(),
      movedFrom: queue.name,
      receiptHandle: undefined,
    });
    return true;
  }

  private take(queue: LocalQueue, max: number, visibilityS: number) {
    const now = Date.now();
    const out: LocalMessage[] = [];
    for (const message of [...queue.messages]) {
      if (out.length >= max) break;
      if (message.visibleAt > now) continue;
      if (this.redrive(queue, message)) continue;
      message.ReceiveCount += 1;
      message.FirstReceiveTimestamp ??= now;
      message.visibleAt = now + visibilityS * 1000;
      message.receiptHandle = `${message.MessageId}#${randomUUID()}`;
      out.push(message);
    }
    return out;
  }

  async ReceiveMessage(body: Record<string, unknown>) {
    const queue = this.byUrl(body.QueueUrl);
    const max = Math.min(Math.max(Number(body.MaxNumberOfMessages ?? 1), 1), 10);
    const visibility = Number(body.VisibilityTimeout ?? queue.visibilityTimeoutS);
    const deadline = Date.now() + Math.min(Number(body.WaitTimeSeconds ?? 0), 20) * 1000;
    let messages = this.take(queue, max, visibility);
    while (messages.length === 0 && Date.now() < deadline && !this.longPollingStopped) {
      // Wake on a new message, or re-check when an invisible one may have come back.
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(100, Math.max(1, deadline - Date.now())));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
      messages = this.take(queue, max, visibility);
    }
    return {
      Messages: messages.map((m) => ({
        MessageId: m.MessageId,
        ReceiptHandle: m.receiptHandle,
        MD5OfBody: m.MD5OfBody,
        Body: m.Body,
        Attributes: {
          ApproximateReceiveCount: String(m.ReceiveCount),
          SentTimestamp: String(m.SentTimestamp),
          ApproximateFirstReceiveTimestamp: String(m.FirstReceiveTimestamp),
          SenderId: 'AIDALOCALSENDER',
        },
        ...(m.MessageAttributes === undefined
          ? {}
          : {
              MessageAttributes: m.MessageAttributes,
              MD5OfMessageAttributes: md5OfMessageAttributes(m.MessageAttributes),
            }),
      })),
    };
  }

  private byHandle(queue: LocalQueue, handle: unknown): LocalMessage {
    const message = queue.messages.find((m) => m.receiptHandle === handle);
    if (message === undefined) {
      throw new LocalAwsError(
        400,
        'com.amazonaws.sqs#ReceiptHandleIsInvalid',
        `The receipt handle "${String(handle)}" is not valid.`,
        'ReceiptHandleIsInvalid;Sender',
      );
    }
    return message;
  }

  DeleteMessage(body: Record<string, unknown>) {
    const queue = this.byUrl(body.QueueUrl);
    // Deleting with an outdated handle of a message already gone succeeds, as on SQS.
    const index = queue.messages.findIndex((m) => m.receiptHandle === body.ReceiptHandle);
    if (index >= 0) {
      queue.messages.splice(index, 1);
      queue.deleted += 1;
    }
    return {};
  }

  ChangeMessageVisibility(body: Record<string, unknown>) {
    const queue = this.byUrl(body.QueueUrl);
    const message = this.byHandle(queue, body.ReceiptHandle);
    message.visibleAt = Date.now() + Number(body.VisibilityTimeout ?? 0) * 1000;
    if (Number(body.VisibilityTimeout ?? 0) === 0) this.wake();
    return {};
  }

  GetQueueAttributes(body: Record<string, unknown>) {
    const queue = this.byUrl(body.QueueUrl);
    const now = Date.now();
    const visible = queue.messages.filter((m) => m.visibleAt <= now).length;
    const all: Record<string, string> = {
      ...queue.attributes,
      QueueArn: queue.arn,
      VisibilityTimeout: String(queue.visibilityTimeoutS),
      MaximumMessageSize: String(queue.maximumMessageSize),
      ApproximateNumberOfMessages: String(visible),
      ApproximateNumberOfMessagesNotVisible: String(queue.messages.length - visible),
      ApproximateNumberOfMessagesDelayed: '0',
    };
    const names = (body.AttributeNames ?? ['All']) as string[];
    const Attributes = names.includes('All')
      ? all
      : Object.fromEntries(names.filter((n) => n in all).map((n) => [n, all[n] as string]));
    return { Attributes };
  }

  PurgeQueue(body: Record<string, unknown>) {
    this.byUrl(body.QueueUrl).messages = [];
    return {};
  }

  /**
   * Starts moving the messages of a dead-letter queue: to DestinationArn, or, without it, each back
   * to the queue whose redrive policy moved it there. A message sent to the dead-letter queue
   * directly has no such queue: the task fails with CouldNotDetermineMessageSource when it reaches
   * one (what was moved before stays moved). One active task per source queue.
   */
  StartMessageMoveTask(body: Record<string, unknown>) {
    const sourceArn = body.SourceArn;
    if (typeof sourceArn !== 'string' || sourceArn === '')
      throw invalid('The request must contain the parameter SourceArn.');
    const source = this.byArn(sourceArn);
    if (source === undefined)
      throw notFound(`The resource that you specified for the SourceArn parameter doesn't exist.`);
    const isDeadLetterQueue = [...this.queues.values()].some(
      (q) => q.redrive?.deadLetterTargetArn === sourceArn,
    );
    if (!isDeadLetterQueue) throw invalid('Source queue must be configured as a Dead Letter Queue.');
    let destination: LocalQueue | undefined;
    if (body.DestinationArn !== undefined && body.DestinationArn !== '') {
      destination = this.byArn(String(body.DestinationArn));
      if (destination === undefined)
        throw notFound(`The resource that you specified for the DestinationArn parameter doesn't exist.`);
      if (destination === source) throw invalid('The source queue and the destination queue must differ.');
    }
    let rate: number | undefined;
    if (body.MaxNumberOfMessagesPerSecond !== undefined && body.MaxNumberOfMessagesPerSecond !== '') {
      rate = Number(body.MaxNumberOfMessagesPerSecond);
      if (!Number.isInteger(rate) || rate < 1 || rate > MOVE_MAX_PER_SECOND) {
        throw invalid(
          `Value ${String(body.MaxNumberOfMessagesPerSecond)} for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: must be between 1 and ${MOVE_MAX_PER_SECOND}.`,
        );
      }
    }
    const tasks = this.moveTasks.get(sourceArn) ?? [];
    if (tasks.some((t) => t.Status === 'RUNNING' || t.Status === 'CANCELLING')) {
      throw invalid(
        'There is already a task running. Only one active task is allowed for a source queue arn at a given time.',
      );
    }
    const task: LocalMoveTask = {
      TaskHandle: Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn })).toString('base64'),
      SourceArn: sourceArn,
      ...(destination === undefined ? {} : { DestinationArn: destination.arn }),
      ...(rate === undefined ? {} : { MaxNumberOfMessagesPerSecond: rate }),
      Status: 'RUNNING',
      ApproximateNumberOfMessagesMoved: 0,
      ApproximateNumberOfMessagesToMove: source.messages.length,
      StartedTimestamp: Date.now(),
      pending: source.messages.map((m) => m.MessageId),
    };
    tasks.unshift(task);
    this.moveTasks.set(sourceArn, tasks);
    this.runMoveTask(task, source, destination);
    return { TaskHandle: task.TaskHandle };
  }

  private runMoveTask(task: LocalMoveTask, source: LocalQueue, destination: LocalQueue | undefined): void {
    const perSecond = task.MaxNumberOfMessagesPerSecond ?? MOVE_MAX_PER_SECOND;
    const timer = setInterval(() => {
      if (task.Status === 'CANCELLING') {
        task.Status = 'CANCELLED';
        clearInterval(timer);
        return;
      }
      const allowed = Math.floor((perSecond * (Date.now() - task.StartedTimestamp)) / 1000) + 1;
      const now = Date.now();
      while (task.pending.length > 0 && task.ApproximateNumberOfMessagesMoved < allowed) {
        const id = task.pending[0] as string;
        const message = source.messages.find((m) => m.MessageId === id);
        if (message === undefined) {
          // Deleted (or moved) since the task started: nothing to move.
          task.pending.shift();
          continue;
        }
        // The task receives the messages it moves: one held by a consumer waits for its visibility timeout.
        if (message.visibleAt > now) break;
        const target =
          destination ?? (message.movedFrom === undefined ? undefined : this.queues.get(message.movedFrom));
        if (target === undefined) {
          task.Status = 'FAILED';
          task.FailureReason = 'CouldNotDetermineMessageSource';
          clearInterval(timer);
          return;
        }
        try {
          // A moved message is a new message: new id, receive count and retention (developer guide).
          this.enqueue(target, {
            MessageBody: message.Body,
            ...(message.MessageAttributes === undefined
              ? {}
              : { MessageAttributes: message.MessageAttributes }),
            DelaySeconds: 0,
          });
        } catch (error) {
          task.Status = 'FAILED';
          task.FailureReason =
            error instanceof LocalAwsError ? (error.queryErrorCode ?? error.type) : String(error);
          clearInterval(timer);
          return;
        }
        source.messages.splice(source.messages.indexOf(message), 1);
        task.pending.shift();
        task.ApproximateNumberOfMessagesMoved += 1;
      }
      if (task.pending.length === 0) {
        task.Status = 'COMPLETED';
        clearInterval(timer);
      }
    }, MOVE_TICK_MS);
    timer.unref();
  }

  /** The most recent move tasks of a source queue (1 by default, at most 10), newest first. */
  ListMessageMoveTasks(body: Record<string, unknown>) {
    const sourceArn = String(body.SourceArn ?? '');
    if (this.byArn(sourceArn) === undefined)
      throw notFound(`The resource that you specified for the SourceArn parameter doesn't exist.`);
    const max = body.MaxResults === undefined ? 1 : Number(body.MaxResults);
    if (!Number.isInteger(max) || max < 1 || max > 10)
      throw invalid(
        `Value ${String(body.MaxResults)} for parameter MaxResults is invalid. Reason: must be between 1 and 10.`,
      );
    return {
      Results: (this.moveTasks.get(sourceArn) ?? []).slice(0, max).map((t) => ({
        TaskHandle: t.TaskHandle,
        Status: t.Status,
        SourceArn: t.SourceArn,
        ...(t.DestinationArn === undefined ? {} : { DestinationArn: t.DestinationArn }),
        ...(t.MaxNumberOfMessagesPerSecond === undefined
          ? {}
          : { MaxNumberOfMessagesPerSecond: t.MaxNumberOfMessagesPerSecond }),
        ApproximateNumberOfMessagesMoved: t.ApproximateNumberOfMessagesMoved,
        ApproximateNumberOfMessagesToMove: t.ApproximateNumberOfMessagesToMove,
        ...(t.Status === 'FAILED' && t.FailureReason !== undefined ? { FailureReason: t.FailureReason } : {}),
        StartedTimestamp: t.StartedTimestamp,
      })),
    };
  }

  /** Cancels a RUNNING task; what it moved stays moved. */
  CancelMessageMoveTask(body: Record<string, unknown>) {
    const handle = String(body.TaskHandle ?? '');
    const task = [...this.moveTasks.values()].flat().find((t) => t.TaskHandle === handle);
    if (task === undefined) throw notFound(`The task handle ${handle} does not exist.`);
    if (task.Status !== 'RUNNING') {
      throw new LocalAwsError(
        400,
        'com.amazonaws.sqs#UnsupportedOperation',
        `Only a RUNNING task can be cancelled; this one is ${task.Status}.`,
        'AWS.SimpleQueueService.UnsupportedOperation;Sender',
      );
    }
    task.Status = 'CANCELLING';
    return { ApproximateNumberOfMessagesMoved: task.ApproximateNumberOfMessagesMoved };
  }
}

/**
 * The actions the local SQS answers: in the JSON 1.0 protocol, and the same in the query (XML)
 * protocol, as older CLIs and SDKs send them.
 */
export const SQS_OPERATIONS: ReadonlySet<string> = new Set([
  'CreateQueue',
  'GetQueueUrl',
  'ListQueues',
  'SendMessage',
  'SendMessageBatch',
  'ReceiveMessage',
  'DeleteMessage',
  'ChangeMessageVisibility',
  'GetQueueAttributes',
  'PurgeQueue',
  'StartMessageMoveTask',
  'ListMessageMoveTasks',
  'CancelMessageMoveTask',
]);

/** The SQS query protocol's XML namespace (botocore's model: metadata.xmlNamespace). */
export const SQS_XML_NAMESPACE = 'http://queue.amazonaws.com/doc/2012-11-05/';

/** The fields of `Prefix.N` or `Prefix.N.Field` parameters, in index order (field '' for `Prefix.N`). */
function indexed(params: Iterable<[string, string]>, prefix: string): Map<string, string>[] {
  const byIndex = new Map<number, Map<string, string>>();
  const pattern = new RegExp(`^${prefix}\\.(\\d+)(?:\\.(.+))?$`);
  for (const [key, value] of params) {
    const m = key.match(pattern);
    if (m === null) continue;
    const index = Number(m[1]);
    const fields = byIndex.get(index) ?? new Map<string, string>();
    fields.set(m[2] ?? '', value);
    byIndex.set(index, fields);
  }
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, fields]) => fields);
}

/** `MessageAttribute.N.Name` / `.Value.StringValue|BinaryValue|DataType` as the JSON map. */
function messageAttributes(params: Iterable<[string, string]>) {
  const out: Record<string, Record<string, string>> = {};
  for (const a of indexed(params, 'MessageAttribute')) {
    const name = a.get('Name');
    if (name === undefined) continue;
    const value: Record<string, string> = {};
    for (const field of ['StringValue', 'BinaryValue', 'DataType']) {
      const v = a.get(`Value.${field}`);
      if (v !== undefined) value[field] = v;
    }
    out[name] = value;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/**
 * A query-protocol request (form fields) as the JSON input the operations take. Lists and maps
 * are flattened in the query protocol: `AttributeName.1`, `Attribute.1.Name`/`.Value`,
 * `MessageAttribute.1.Name`/`.Value.StringValue`/`.Value.DataType`, `SendMessageBatchRequestEntry.1.Id`.
 */
export function sqsQueryInput(form: URLSearchParams, path: string): Record<string, unknown> {
  const params = [...form];
  const input: Record<string, unknown> = {};
  for (const [key, value] of params) {
    if (key === 'Action' || key === 'Version' || key.includes('.')) continue;
    input[key] = value;
  }
  const lists: Record<string, string> = {
    AttributeName: 'AttributeNames',
    MessageAttributeName: 'MessageAttributeNames',
    MessageSystemAttributeName: 'MessageSystemAttributeNames',
  };
  for (const [prefix, name] of Object.entries(lists)) {
    const values = indexed(params, prefix).map((f) => f.get('') ?? '');
    if (values.length > 0) input[name] = values;
  }
  const attributes = indexed(params, 'Attribute').filter((f) => f.has('Name'));
  if (attributes.length > 0)
    input.Attributes = Object.fromEntries(attributes.map((f) => [f.get('Name'), f.get('Value') ?? '']));
  const attrs = messageAttributes(params);
  if (attrs !== undefined) input.MessageAttributes = attrs;
  const entries = indexed(params, 'SendMessageBatchRequestEntry');
  if (entries.length > 0) {
    input.Entries = entries.map((fields) => {
      const entry: Record<string, unknown> = {};
      for (const [k, v] of fields) if (!k.includes('.')) entry[k] = v;
      const entryAttrs = messageAttributes(fields);
      if (entryAttrs !== undefined) entry.MessageAttributes = entryAttrs;
      return entry;
    });
  }
  // Older SDKs post to the queue's own URL and leave QueueUrl out.
  if (input.QueueUrl === undefined && /^\/\d{12}\/[^/]+$/.test(path)) input.QueueUrl = path;
  return input;
}

const xmlEscape = (text: string) =>
  text.replace(
    /[&<>"'\r]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#xD;' })[c] ?? c,
  );

/** Flattened members of the query protocol's answers: the element each list item or map entry gets. */
const FLATTENED: Record<string, string> = {
  Messages: 'Message',
  Successful: 'SendMessageBatchResultEntry',
  Failed: 'BatchResultErrorEntry',
  QueueUrls: 'QueueUrl',
  Results: 'ListMessageMoveTasksResultEntry',
};
const FLATTENED_MAPS: Record<string, string> = {
  Attributes: 'Attribute',
  MessageAttributes: 'MessageAttribute',
};

function toXml(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object') return xmlEscape(String(value));
  return Object.entries(value as Record<string, unknown>)
    .map(([key, v]) => {
      if (v === undefined) return '';
      const item = FLATTENED[key];
      if (item !== undefined && Array.isArray(v))
        return v.map((x) => `<${item}>${toXml(x)}</${item}>`).join('');
      const entry = FLATTENED_MAPS[key];
      if (entry !== undefined && typeof v === 'object' && v !== null && !Array.isArray(v)) {
        return Object.entries(v as Record<string, unknown>)
          .map(
            ([name, inner]) =>
              `<${entry}><Name>${xmlEscape(name)}</Name><Value>${toXml(inner)}</Value></${entry}>`,
          )
          .join('');
      }
      return `<${key}>${toXml(v)}</${key}>`;
    })
    .join('');
}

/** The XML answer of a query-protocol call: `<ActionResponse><ActionResult>...` and the request id. */
export function sqsQueryResponse(action: string, result: unknown): string {
  const body =
    result !== null && typeof result === 'object' && Object.keys(result).length > 0
      ? `<${action}Result>${toXml(result)}</${action}Result>`
      : '';
  return `<?xml version="1.0"?><${action}Response xmlns="${SQS_XML_NAMESPACE}">${body}<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;
}

/** The XML error of a query-protocol call, with the query error code (`AWS.SimpleQueueService.NonExistentQueue`). */
export function sqsQueryError(error: LocalAwsError): string {
  const [code, fault] = (
    error.queryErrorCode ??
    `${error.type.split('#').pop() ?? error.type};${error.status >= 500 ? 'Receiver' : 'Sender'}`
  ).split(';');
  return `<?xml version="1.0"?><ErrorResponse xmlns="${SQS_XML_NAMESPACE}"><Error><Type>${fault ?? 'Sender'}</Type><Code>${xmlEscape(code ?? 'InternalFailure')}</Code><Message>${xmlEscape(error.message)}</Message><Detail/></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
}
