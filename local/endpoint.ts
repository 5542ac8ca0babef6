/**
 * The local AWS endpoint on 127.0.0.1: AWS Backup (REST-JSON), SQS and DynamoDB (AWS JSON 1.0) and
 * SNS Publish (query) on one port, with fault injection. The unchanged SDK clients reach it through AWS_ENDPOINT_URL.
 *
 * Control API (for tests, the benchmark and other processes):
 *   GET  /__local/state           jobs, queues and injected-fault counts
 *   PUT  /__local/faults          replace the fault plan (JSON FaultPlan)
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BackupSeed, LocalAwsError, LocalBackup } from './backup-service.js';
import { LocalDynamoDb } from './dynamodb-service.js';
import { FaultInjector, type FaultPlan } from './faults.js';
import { LocalSqs } from './sqs-service.js';

/** A message published to a local SNS topic. */
export interface PublishedMessage {
  TopicArn: string;
  Subject?: string;
  Message: string;
}

/** A running local endpoint. */
export interface LocalAws {
  readonly url: string;
  readonly port: number;
  readonly backup: LocalBackup;
  readonly sqs: LocalSqs;
  readonly dynamodb: LocalDynamoDb;
  /** Messages published to SNS (Publish only). */
  readonly published: PublishedMessage[];
  readonly faults: FaultInjector;
  /** Calls answered, per operation (after faults). */
  readonly served: Record<string, number>;
  close(): Promise<void>;
}

/** Options for startLocalAws. */
export interface LocalAwsOptions {
  seed: BackupSeed;
  /** 0 (the default) picks a free port. */
  port?: number;
  faults?: FaultPlan;
  random?: () => number;
}

type Route = { operation: string; run: () => unknown };

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function backupRoute(backup: LocalBackup, method: string, url: URL, body: string): Route | undefined {
  const parts = url.pathname
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  const json = () => (body === '' ? {} : JSON.parse(body));
  const [a, b, c, d, e] = parts;
  if (a === 'restore-jobs') {
    if (method === 'PUT' && b === undefined)
      return { operation: 'StartRestoreJob', run: () => backup.startRestoreJob(json()) };
    if (method === 'GET' && b === undefined) {
      return { operation: 'ListRestoreJobs', run: () => backup.listRestoreJobs(url.searchParams) };
    }
    if (method === 'GET' && b !== undefined && c === undefined) {
      return { operation: 'DescribeRestoreJob', run: () => backup.describeRestoreJob(b) };
    }
  }
  if (a === 'resources' && b !== undefined && method === 'GET') {
    if (c === 'recovery-points') {
      return {
        operation: 'ListRecoveryPointsByResource',
        run: () => backup.listRecoveryPointsByResource(b, url.searchParams),
      };
    }
    if (c === 'restore-jobs') {
      return {
        operation: 'ListRestoreJobsByProtectedResource',
        run: () => backup.listRestoreJobs(url.searchParams, b),
      };
    }
  }
  if (a === 'backup-vaults' && method === 'GET' && b === undefined) {
    return { operation: 'ListBackupVaults', run: () => backup.listBackupVaults(url.searchParams) };
  }
  if (
    a === 'backup-vaults' &&
    method === 'GET' &&
    b !== undefined &&
    c === 'recovery-points' &&
    d === undefined
  ) {
    return {
      operation: 'ListRecoveryPointsByBackupVault',
      run: () => backup.listRecoveryPointsByBackupVault(b, url.searchParams),
    };
  }
  if (
    a === 'backup-vaults' &&
    b !== undefined &&
    c === 'recovery-points' &&
    d !== undefined &&
    method === 'GET'
  ) {
    if (e === undefined)
      return { operation: 'DescribeRecoveryPoint', run: () => backup.describeRecoveryPoint(b, d) };
    if (e === 'restore-metadata') {
      return {
        operation: 'GetRecoveryPointRestoreMetadata',
        run: () => backup.getRecoveryPointRestoreMetadata(b, d),
      };
    }
  }
  return undefined;
}

const SQS_OPERATIONS = new Set([
  'CreateQueue',
  'GetQueueUrl',
  'SendMessage',
  'SendMessageBatch',
  'ReceiveMessage',
  'DeleteMessage',
  'ChangeMessageVisibility',
  'GetQueueAttributes',
  'PurgeQueue',
]);

const DYNAMODB_OPERATIONS = new Set([
  'CreateTable',
  'PutItem',
  'GetItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
]);

type Protocol = 'rest-json' | 'json-1.0' | 'query';

function sendError(res: ServerResponse, error: LocalAwsError, protocol: Protocol): void {
  if (protocol === 'query') {
    res.writeHead(error.status, { 'content-type': 'text/xml' });
    res.end(
      `<ErrorResponse><Error><Type>Sender</Type><Code>${error.type}</Code><Message>${error.message}</Message></Error><RequestId>${crypto.randomUUID()}</RequestId></ErrorResponse>`,
    );
    return;
  }
  const sqs = protocol === 'json-1.0';
  const headers: Record<string, string> = {
    'content-type': sqs ? 'application/x-amz-json-1.0' : 'application/json',
    'x-amzn-errortype': error.type.split('#').pop() ?? error.type,
    'x-amzn-requestid': crypto.randomUUID(),
  };
  if (error.queryErrorCode !== undefined) headers['x-amzn-query-error'] = error.queryErrorCode;
  res.writeHead(error.status, headers);
  res.end(
    JSON.stringify(
      sqs
        ? { __type: error.type, message: error.message }
        : { __type: error.type, Message: error.message, Code: error.type },
    ),
  );
}

function faultError(kind: 'ServiceUnavailable' | 'Throttling', sqs: boolean): LocalAwsError {
  if (kind === 'Throttling') {
    return sqs
      ? new LocalAwsError(
          400,
          'com.amazonaws.sqs#RequestThrottled',
          'Rate exceeded',
          'RequestThrottled;Sender',
        )
      : new LocalAwsError(400, 'ThrottlingException', 'Rate exceeded');
  }
  return sqs
    ? new LocalAwsError(
        500,
        'com.amazonaws.sqs#ServiceUnavailable',
        'Service is unavailable',
        'ServiceUnavailable;Receiver',
      )
    : new LocalAwsError(500, 'ServiceUnavailableException', 'Service is unavailable, try again later');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the local endpoint. */
export async function startLocalAws(options: LocalAwsOptions): Promise<LocalAws> {
  const backup = new LocalBackup(options.seed);
  const faults = new FaultInjector(options.random);
  if (options.faults !== undefined) faults.set(options.faults);
  const served: Record<string, number> = {};
  let base = '';
  const sqs = new LocalSqs(() => base, options.seed.region, options.seed.accountId);
  const dynamodb = new LocalDynamoDb();
  const published: PublishedMessage[] = [];

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    let body = '';
    try {
      body = await readBody(req);
    } catch {
      return;
    }

    if (url.pathname.startsWith('/__local/')) {
      if (url.pathname === '/__local/faults' && method === 'PUT') {
        faults.set(JSON.parse(body || '{}') as FaultPlan);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          jobs: backup.jobs,
          queues: [...sqs.queues.values()].map((q) => ({
            name: q.name,
            url: q.url,
            messages: q.messages.length,
            deleted: q.deleted,
          })),
          faults: faults.counts,
          served,
        }),
      );
      return;
    }

    const target = req.headers['x-amz-target'];
    const isSqs = typeof target === 'string' && target.startsWith('AmazonSQS.');
    const isDynamoDb = typeof target === 'string' && target.startsWith('DynamoDB_20120810.');
    const isQuery =
      method === 'POST' &&
      String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    const protocol: Protocol = isSqs || isDynamoDb ? 'json-1.0' : isQuery ? 'query' : 'rest-json';
    let operation: string;
    let run: () => unknown;
    let queue: string | undefined;
    try {
      if (isDynamoDb) {
        operation = target.slice('DynamoDB_20120810.'.length);
        if (!DYNAMODB_OPERATIONS.has(operation)) {
          throw new LocalAwsError(400, 'UnknownOperationException', `${operation} is not supported locally`);
        }
        const input = JSON.parse(body || '{}') as Record<string, unknown>;
        const op = operation as 'PutItem';
        run = () => dynamodb[op](input);
      } else if (isQuery) {
        const form = new URLSearchParams(body);
        operation = form.get('Action') ?? '';
        if (operation !== 'Publish')
          throw new LocalAwsError(400, 'InvalidAction', `${operation} is not supported locally`);
        run = () => {
          const subject = form.get('Subject');
          published.push({
            TopicArn: form.get('TopicArn') ?? '',
            Message: form.get('Message') ?? '',
            ...(subject === null ? {} : { Subject: subject }),
          });
          return `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${crypto.randomUUID()}</MessageId></PublishResult><ResponseMetadata><RequestId>${crypto.randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`;
        };
      } else if (isSqs) {
        operation = target.slice('AmazonSQS.'.length);
        if (!SQS_OPERATIONS.has(operation)) {
          throw new LocalAwsError(
            400,
            'com.amazonaws.sqs#UnsupportedOperation',
            `${operation} is not supported locally`,
          );
        }
        const input = JSON.parse(body || '{}') as Record<string, unknown>;
        queue = sqs.queueName(input);
        const op = operation as 'SendMessage';
        run = () => sqs[op](input);
      } else {
        const route = backupRoute(backup, method, url, body);
        if (route === undefined) {
          throw new LocalAwsError(
            404,
            'UnknownOperationException',
            `No local operation for ${method} ${url.pathname}`,
          );
        }
        ({ operation, run } = route);
      }
    } catch (error) {
      const e =
        error instanceof LocalAwsError
          ? error
          : new LocalAwsError(400, 'SerializationException', String(error));
      sendError(res, e, protocol);
      return;
    }

    const decision = faults.decide(operation, queue);
    if (decision.action === 'reset') {
      req.socket.destroy();
      return;
    }
    if (decision.action === 'hang') {
      await sleep(decision.ms);
      req.socket.destroy();
      return;
    }
    if (decision.action === 'lost-response') {
      try {
        await run();
        served[operation] = (served[operation] ?? 0) + 1;
      } catch {
        // The caller never learns either way.
      }
      req.socket.destroy();
      return;
    }
    if (decision.latencyMs > 0) await sleep(decision.latencyMs);
    if (decision.action === 'error') {
      sendError(res, faultError(decision.kind, isSqs), protocol);
      return;
    }
    try {
      const result = await run();
      served[operation] = (served[operation] ?? 0) + 1;
      res.writeHead(200, {
        'content-type':
          protocol === 'query'
            ? 'text/xml'
            : protocol === 'json-1.0'
              ? 'application/x-amz-json-1.0'
              : 'application/json',
        'x-amzn-requestid': crypto.randomUUID(),
      });
      res.end(typeof result === 'string' ? result : JSON.stringify(result));
    } catch (error) {
      const e =
        error instanceof LocalAwsError
          ? error
          : new LocalAwsError(500, 'InternalFailure', (error as Error).message ?? 'error');
      sendError(res, e, protocol);
    }
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    port,
    backup,
    sqs,
    dynamodb,
    published,
    faults,
    served,
    close: async () => {
      backup.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
