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
  /** Calls refused because they were signed with an access key this endpoint does not know. */
  readonly refused: { unknownKey: number };
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
  /**
   * The access key ids this endpoint knows (default: `local`). A call signed with another is
   * refused as AWS refuses an unknown key (InvalidClientTokenId, 403): the clients of a closed
   * local pipeline, still at work, never reach another pipeline that got the same port.
   */
  accessKeyIds?: readonly string[];
}

/** An operation and how to run it; `queue` names the SQS queue a call is about (faults may target one). */
type Route = { operation: string; run: () => unknown; queue?: string };

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

/** The content type of an answer in `protocol`. */
function contentType(protocol: Protocol): string {
  if (protocol === 'query' || protocol === 'sqs-query') return 'text/xml';
  if (protocol === 'json-1.0') return 'application/x-amz-json-1.0';
  if (protocol === 'json-1.1') return 'application/x-amz-json-1.1';
  return 'application/json';
}

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
    'content-type': contentType(protocol),
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

/** What the endpoint holds: the emulated services and the counts the control API shows. */
interface Services {
  readonly backup: LocalBackup;
  readonly faults: FaultInjector;
  readonly served: Record<string, number>;
  readonly sqs: LocalSqs;
  readonly dynamodb: LocalDynamoDb;
  readonly published: PublishedMessage[];
  readonly resources: LocalResources;
  readonly events: LocalEventBus;
  readonly accessKeyIds: ReadonlySet<string>;
  readonly refused: { unknownKey: number };
}

async function createServices(options: LocalAwsOptions, baseUrl: () => string): Promise<Services> {
  const backup = new LocalBackup(options.seed);
  const faults = new FaultInjector(options.random);
  if (options.faults !== undefined) faults.set(options.faults);
  const served: Record<string, number> = {};
  const sqs = new LocalSqs(baseUrl, options.seed.region, options.seed.accountId);
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
  const accessKeyIds = new Set(options.accessKeyIds ?? [LOCAL_ACCESS_KEY_ID]);
  return {
    backup,
    faults,
    served,
    sqs,
    dynamodb,
    published,
    resources,
    events,
    accessKeyIds,
    refused: { unknownKey: 0 },
  };
}

/** The access key id every local client uses unless its pipeline gave it its own. */
export const LOCAL_ACCESS_KEY_ID = 'local';

/** The access key id a request is signed with (SigV4 header or presigned URL); undefined when unsigned. */
export function accessKeyOf(req: IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization;
  const fromHeader = typeof auth === 'string' ? /Credential=([^/,\s]+)\//.exec(auth)?.[1] : undefined;
  return fromHeader ?? url.searchParams.get('X-Amz-Credential')?.split('/')[0];
}

/** AWS's answer to a call signed with a key it does not know (Common Errors). */
const unknownKey = () =>
  new LocalAwsError(
    403,
    'InvalidClientTokenId',
    'The X.509 certificate or AWS access key ID provided does not exist in our records.',
  );

/** A request as read from its headers and body, before a service takes it. */
interface Incoming {
  readonly req: IncomingMessage;
  readonly method: string;
  readonly url: URL;
  readonly body: string;
  /** The x-amz-target header of the JSON protocols. */
  readonly target: string | undefined;
  /** The form of a query-protocol request (SQS's or SNS's). */
  readonly form: URLSearchParams | undefined;
  readonly protocol: Protocol;
  /** An SQS call, in either protocol: injected faults answer as SQS does. */
  readonly sqs: boolean;
}

const DYNAMODB_PREFIX = 'DynamoDB_20120810.';
const SQS_PREFIX = 'AmazonSQS.';
const EVENTS_PREFIX = 'AWSEvents.';

function incomingOf(req: IncomingMessage, method: string, url: URL, body: string): Incoming {
  const header = req.headers['x-amz-target'];
  const target = typeof header === 'string' ? header : undefined;
  const isSqs = target?.startsWith(SQS_PREFIX) === true;
  const isDynamoDb = target?.startsWith(DYNAMODB_PREFIX) === true;
  const isEvents = target?.startsWith(EVENTS_PREFIX) === true;
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
  return { req, method, url, body, target, form, protocol, sqs: isSqs || isSqsQuery };
}

/** One service's router: the route of a request that is the service's, else undefined. */
type Router = (i: Incoming, s: Services) => Route | undefined;

const unsupported = (operation: string) =>
  new LocalAwsError(400, 'UnknownOperationException', `${operation} is not supported locally`);

/** The services in the order they are asked; the first that takes a request answers it. */
const ROUTERS: readonly Router[] = [
  // Restored resources; a DynamoDB call on a table dynalite holds is dynalite's, even one they answer.
  (i, s) =>
    i.target?.startsWith(DYNAMODB_PREFIX) && s.dynamodb.holds(i.body)
      ? undefined
      : s.resources.route(i.req.headers, i.method, i.url, i.body),
  function dynamoDb(i, s) {
    if (i.target === undefined || !i.target.startsWith(DYNAMODB_PREFIX)) return undefined;
    const operation = i.target.slice(DYNAMODB_PREFIX.length);
    if (!DYNAMODB_OPERATIONS.has(operation)) throw unsupported(operation);
    return {
      operation,
      run: () => s.dynamodb.call(operation, i.body, i.req.headers as Record<string, string>),
    };
  },
  function eventBridge(i, s) {
    if (i.target === undefined || !i.target.startsWith(EVENTS_PREFIX)) return undefined;
    const operation = i.target.slice(EVENTS_PREFIX.length);
    if (operation !== 'PutEvents') throw unsupported(operation);
    const input = JSON.parse(i.body || '{}') as Record<string, unknown>;
    return { operation, run: () => s.events.PutEvents(input) };
  },
  function sqsQuery(i, s) {
    if (i.form === undefined || !SQS_OPERATIONS.has(i.form.get('Action') ?? '')) return undefined;
    const action = i.form.get('Action') as 'SendMessage';
    const input = sqsQueryInput(i.form, i.url.pathname);
    const queue = s.sqs.queueName(input);
    return {
      operation: action,
      run: async () => sqsQueryResponse(action, await s.sqs[action](input)),
      ...(queue === undefined ? {} : { queue }),
    };
  },
  function sns(i, s) {
    const form = i.form;
    if (form === undefined) return undefined;
    const operation = form.get('Action') ?? '';
    if (operation !== 'Publish')
      throw new LocalAwsError(400, 'InvalidAction', `${operation} is not supported locally`);
    return {
      operation,
      run: () => {
        const subject = form.get('Subject');
        s.published.push({
          TopicArn: form.get('TopicArn') ?? '',
          Message: form.get('Message') ?? '',
          ...(subject === null ? {} : { Subject: subject }),
        });
        return `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${crypto.randomUUID()}</MessageId></PublishResult><ResponseMetadata><RequestId>${crypto.randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`;
      },
    };
  },
  function sqsJson(i, s) {
    if (i.target === undefined || !i.target.startsWith(SQS_PREFIX)) return undefined;
    const operation = i.target.slice(SQS_PREFIX.length);
    if (!SQS_OPERATIONS.has(operation)) {
      throw new LocalAwsError(
        400,
        'com.amazonaws.sqs#UnsupportedOperation',
        `${operation} is not supported locally`,
      );
    }
    const input = JSON.parse(i.body || '{}') as Record<string, unknown>;
    const queue = s.sqs.queueName(input);
    const op = operation as 'SendMessage';
    return { operation, run: () => s.sqs[op](input), ...(queue === undefined ? {} : { queue }) };
  },
  (i, s) => {
    const route = backupRoute(s.backup, i.method, i.url, i.body);
    if (route === undefined) {
      throw new LocalAwsError(
        404,
        'UnknownOperationException',
        `No local operation for ${i.method} ${i.url.pathname}`,
      );
    }
    return route;
  },
];

function routeOf(i: Incoming, s: Services): Route {
  for (const router of ROUTERS) {
    const route = router(i, s);
    if (route !== undefined) return route;
  }
  // The last router (AWS Backup's REST paths) takes every request or throws.
  throw new Error('no router took the request');
}

/** The control API: PUT /__local/faults replaces the plan; any other path answers the state. */
function control(s: Services, url: URL, method: string, body: string, res: ServerResponse): void {
  if (url.pathname === '/__local/faults' && method === 'PUT') {
    s.faults.set(JSON.parse(body || '{}') as FaultPlan);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      jobs: s.backup.jobs,
      queues: [...s.sqs.queues.values()].map((q) => ({
        name: q.name,
        url: q.url,
        messages: q.messages.length,
        deleted: q.deleted,
      })),
      faults: s.faults.counts,
      served: s.served,
      events: s.events.events.map(({ event, matched }) => ({
        id: event.id,
        source: event.source,
        detailType: event['detail-type'],
        matched,
      })),
    }),
  );
}

function countServed(s: Services, operation: string): void {
  s.served[operation] = (s.served[operation] ?? 0) + 1;
}

async function handle(s: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = req.method ?? 'GET';
  let body = '';
  try {
    body = await readBody(req);
  } catch {
    return;
  }
  if (url.pathname.startsWith('/__local/')) {
    control(s, url, method, body, res);
    return;
  }
  const incoming = incomingOf(req, method, url, body);
  const key = accessKeyOf(req, url);
  if (key !== undefined && !s.accessKeyIds.has(key)) {
    s.refused.unknownKey += 1;
    sendError(res, unknownKey(), incoming.protocol);
    return;
  }
  let route: Route;
  try {
    route = routeOf(incoming, s);
  } catch (error) {
    const e =
      error instanceof LocalAwsError
        ? error
        : new LocalAwsError(400, 'SerializationException', String(error));
    sendError(res, e, incoming.protocol);
    return;
  }
  await answer(s, incoming, route, res);
}

/** Answers a routed call, unless the fault plan resets, hangs, loses the answer or fails it. */
async function answer(s: Services, i: Incoming, route: Route, res: ServerResponse): Promise<void> {
  const { operation, run } = route;
  const decision = s.faults.decide(operation, route.queue);
  if (decision.action === 'reset') {
    i.req.socket.destroy();
    return;
  }
  if (decision.action === 'hang') {
    await sleep(decision.ms);
    i.req.socket.destroy();
    return;
  }
  if (decision.action === 'lost-response') {
    try {
      await run();
      countServed(s, operation);
    } catch {
      // The caller never learns either way.
    }
    i.req.socket.destroy();
    return;
  }
  if (decision.latencyMs > 0) await sleep(decision.latencyMs);
  if (decision.action === 'error') {
    sendError(res, faultError(decision.kind, i.sqs), i.protocol);
    return;
  }
  try {
    const result = await run();
    countServed(s, operation);
    if (result instanceof LocalReply) {
      res.writeHead(result.status, result.headers).end(result.body);
      return;
    }
    res.writeHead(200, { 'content-type': contentType(i.protocol), 'x-amzn-requestid': crypto.randomUUID() });
    res.end(typeof result === 'string' ? result : JSON.stringify(result));
  } catch (error) {
    const e =
      error instanceof LocalAwsError
        ? error
        : new LocalAwsError(500, 'InternalFailure', (error as Error).message ?? 'error');
    sendError(res, e, i.protocol);
  }
}

/** Starts the local endpoint. */
export async function startLocalAws(options: LocalAwsOptions): Promise<LocalAws> {
  let base = '';
  const services = await createServices(options, () => base);
  const { backup, dynamodb } = services;
  const server: Server = createServer((req, res) => handle(services, req, res));
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
    ...services,
    close: async () => {
      backup.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dynamodb.close();
    },
  };
}
