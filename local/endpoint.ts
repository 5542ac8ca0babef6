/**
 * The local AWS endpoint on 127.0.0.1: AWS Backup (REST-JSON), SQS (AWS JSON 1.0, and the query
 * protocol with XML answers that older CLIs and SDKs speak), DynamoDB (AWS JSON 1.0), EventBridge
 * PutEvents (AWS JSON 1.1) and SNS Publish (query) on one port, with fault injection. The unchanged
 * SDK clients reach it through AWS_ENDPOINT_URL. DynamoDB calls go to dynalite (local/dynamodb.ts),
 * behind the same fault injection and latency as every other call.
 *
 * Control API (for tests, the benchmark and other processes):
 *   GET  /__local/state           jobs, queues and injected-fault counts
 *   PUT  /__local/faults          replace the fault plan (JSON FaultPlan)
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BackupSeed, LocalAwsError, LocalBackup } from './backup-service.js';
import { DYNAMODB_OPERATIONS, LocalDynamoDb } from './dynamodb.js';
import { LocalEventBus } from './eventbridge.js';
import { FaultInjector, type FaultPlan } from './faults.js';
import { LocalReply, LocalResources, type ResourceTiming } from './resources/index.js';
import { LocalSqs, SQS_OPERATIONS, sqsQueryError, sqsQueryInput, sqsQueryResponse } from './sqs-service.js';
import { sleep } from './time.js';

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
  /** Resources restores create (RDS, EC2/EBS, EFS, S3, DynamoDB tables) and local Lambda functions. */
  readonly resources: LocalResources;
  /** The default event bus (PutEvents); rules are added by whoever wires targets. */
  readonly events: LocalEventBus;
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
  /** When restored resources change state (creating -> available ...). */
  resourceTiming?: ResourceTiming;
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
      return {
        operation: 'DescribeRecoveryPoint',
        run: () => backup.describeRecoveryPoint(b, d, url.searchParams),
      };
    if (e === 'restore-metadata') {
      return {
        operation: 'GetRecoveryPointRestoreMetadata',
        run: () => backup.getRecoveryPointRestoreMetadata(b, d, url.searchParams),
      };
    }
  }
  return undefined;
}

export { DYNAMODB_OPERATIONS };

/** Every operation the endpoint answers: what a fault plan may name. */
export const LOCAL_OPERATIONS: ReadonlySet<string> = new Set([
  'StartRestoreJob',
  'ListRestoreJobs',
  'DescribeRestoreJob',
  'ListRecoveryPointsByResource',
  'ListRestoreJobsByProtectedResource',
  'DescribeRecoveryPoint',
  'GetRecoveryPointRestoreMetadata',
  ...SQS_OPERATIONS,
  ...DYNAMODB_OPERATIONS,
  'PutEvents',
  'Publish',
]);

type Protocol = 'rest-json' | 'json-1.0' | 'json-1.1' | 'query' | 'sqs-query';

function sendError(res: ServerResponse, error: LocalAwsError, protocol: Protocol): void {
  if (protocol === 'sqs-query') {
    res.writeHead(error.status, { 'content-type': 'text/xml' });
    res.end(sqsQueryError(error));
    return;
  }
  if (protocol === 'query') {
    res.writeHead(error.status, { 'content-type': 'text/xml' });
    res.end(
      `<ErrorResponse><Error><Type>Sender</Type><Code>${error.type}</Code><Message>${error.message}</Message></Error><RequestId>${crypto.randomUUID()}</RequestId></ErrorResponse>`,
    );
    return;
  }
  const sqs = protocol === 'json-1.0';
  const headers: Record<string, string> = {
    'content-type': sqs
      ? 'application/x-amz-json-1.0'
      : protocol === 'json-1.1'
        ? 'application/x-amz-json-1.1'
        : 'application/json',
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

/** The endpoint's port is taken by another process. */
export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(
      `Port ${port} on 127.0.0.1 is already in use (another \`npm run serve\`, or another local AWS endpoint?). Stop it, or pick another port: npm run serve -- --port 4567 (0 picks a free one).`,
    );
    this.name = 'PortInUseError';
  }
}

/** Starts the local endpoint. */
export async function startLocalAws(options: LocalAwsOptions): Promise<LocalAws> {
  const backup = new LocalBackup(options.seed);
  const faults = new FaultInjector(options.random);
  if (options.faults !== undefined) faults.set(options.faults);
  const served: Record<string, number> = {};
  let base = '';
  const sqs = new LocalSqs(() => base, options.seed.region, options.seed.accountId);
  const dynamodb = await LocalDynamoDb.start(options.seed.region, options.seed.accountId);
  const published: PublishedMessage[] = [];
  const resources = new LocalResources(
    options.seed.region,
    options.seed.accountId,
    options.resourceTiming,
    dynamodb.tables,
    (arn) => options.seed.recoveryPoints.find((p) => p.RecoveryPointArn === arn)?.RestoreMetadata,
    (arn) => options.seed.recoveryPoints.find((p) => p.RecoveryPointArn === arn)?.BackupSizeInBytes,
  );
  // A COMPLETED job's CreatedResourceArn comes into existence, as on AWS.
  backup.onJobStateChange((job) => {
    if (job.Status === 'COMPLETED') resources.restoreCompleted(job);
  });
  const events = new LocalEventBus(options.seed.region, options.seed.accountId);

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
          events: events.events.map(({ event, matched }) => ({
            id: event.id,
            source: event.source,
            detailType: event['detail-type'],
            matched,
          })),
        }),
      );
      return;
    }

    const target = req.headers['x-amz-target'];
    const isSqs = typeof target === 'string' && target.startsWith('AmazonSQS.');
    const isDynamoDb = typeof target === 'string' && target.startsWith('DynamoDB_20120810.');
    const isEvents = typeof target === 'string' && target.startsWith('AWSEvents.');
    const isQuery =
      method === 'POST' &&
      String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    const form = isQuery ? new URLSearchParams(body) : undefined;
    const isSqsQuery = form !== undefined && SQS_OPERATIONS.has(form.get('Action') ?? '');
    const protocol: Protocol =
      isSqs || isDynamoDb
        ? 'json-1.0'
        : isEvents
          ? 'json-1.1'
          : isSqsQuery
            ? 'sqs-query'
            : isQuery
              ? 'query'
              : 'rest-json';
    let operation: string;
    let run: () => unknown;
    let queue: string | undefined;
    try {
      // A DynamoDB call on a table dynalite holds is dynalite's, even one the restored tables answer.
      const own =
        isDynamoDb && dynamodb.holds(body) ? undefined : resources.route(req.headers, method, url, body);
      if (own !== undefined) {
        ({ operation, run } = own);
      } else if (isDynamoDb) {
        const op = target.slice('DynamoDB_20120810.'.length);
        operation = op;
        if (!DYNAMODB_OPERATIONS.has(op)) {
          throw new LocalAwsError(400, 'UnknownOperationException', `${op} is not supported locally`);
        }
        run = () => dynamodb.call(op, body, req.headers as Record<string, string>);
      } else if (isEvents) {
        operation = target.slice('AWSEvents.'.length);
        if (operation !== 'PutEvents')
          throw new LocalAwsError(400, 'UnknownOperationException', `${operation} is not supported locally`);
        const input = JSON.parse(body || '{}') as Record<string, unknown>;
        run = () => events.PutEvents(input);
      } else if (isSqsQuery && form !== undefined) {
        const action = form.get('Action') as 'SendMessage';
        operation = action;
        const input = sqsQueryInput(form, url.pathname);
        queue = sqs.queueName(input);
        run = async () => sqsQueryResponse(action, await sqs[action](input));
      } else if (form !== undefined) {
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
      sendError(res, faultError(decision.kind, isSqs || isSqsQuery), protocol);
      return;
    }
    try {
      const result = await run();
      served[operation] = (served[operation] ?? 0) + 1;
      if (result instanceof LocalReply) {
        res.writeHead(result.status, result.headers).end(result.body);
        return;
      }
      res.writeHead(200, {
        'content-type':
          protocol === 'query' || protocol === 'sqs-query'
            ? 'text/xml'
            : protocol === 'json-1.0'
              ? 'application/x-amz-json-1.0'
              : protocol === 'json-1.1'
                ? 'application/x-amz-json-1.1'
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

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      backup.close();
      void dynamodb.close();
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(options.port ?? 0) : error);
    });
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    port,
    backup,
    sqs,
    dynamodb,
    resources,
    events,
    published,
    faults,
    served,
    close: async () => {
      backup.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dynamodb.close();
    },
  };
}
