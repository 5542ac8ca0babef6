/**
 * The local DynamoDB: dynalite (a maintained third-party DynamoDB, in process and in memory) on its
 * own 127.0.0.1 port, reached through the local endpoint, which keeps fault injection and latency in
 * front of it. dynalite answers every call, refusing what DynamoDB refuses. In front of it is only
 * what it lacks and the pipeline uses (docs/aws-behaviour.md#ddb-local):
 * - UpdateTimeToLive, and DescribeTimeToLive of the setting it made (dynalite says DISABLED always);
 * - the item in a ConditionalCheckFailedException asked for with ReturnValuesOnConditionCheckFailure.
 */

import { Agent, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LocalReply } from './resources/reply.js';

// dynalite ships no types: a function that returns an http.Server.
const dynalite = require('dynalite') as (options: Record<string, number>) => Server;

/** An item (or key) in DynamoDB's attribute-value form. */
export type Item = Record<string, Record<string, unknown>>;

/** What the layer knows of a table dynalite holds: its TimeToLive setting, once one was made. */
export interface TableSettings {
  ttl?: { AttributeName: string; Enabled: boolean; changedAt: number };
}

/** The operations dynalite answers, and those the layer adds: what a fault plan may name. */
export const DYNAMODB_OPERATIONS: ReadonlySet<string> = new Set([
  'BatchGetItem',
  'BatchWriteItem',
  'CreateTable',
  'DeleteItem',
  'DeleteTable',
  'DescribeTable',
  'DescribeTimeToLive',
  'GetItem',
  'ListTables',
  'ListTagsOfResource',
  'PutItem',
  'Query',
  'Scan',
  'TagResource',
  'UntagResource',
  'UpdateItem',
  'UpdateTable',
  'UpdateTimeToLive',
]);

/** UpdateTimeToLive twice within this long is refused (docs/aws-behaviour.md#ddb-ttl-update). */
export const TTL_CHANGE_INTERVAL_MS = 60 * 60 * 1000;

const JSON_10 = 'application/x-amz-json-1.0';

function errorReply(type: string, message: string): LocalReply {
  return new LocalReply(
    400,
    { 'content-type': JSON_10, 'x-amzn-errortype': type, 'x-amzn-requestid': crypto.randomUUID() },
    JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }),
  );
}

/** The table a request names, by name or by ARN (`arn:...:table/<name>`). */
export function tableNameOf(input: Record<string, unknown>): string {
  const named = String(input.TableName ?? input.ResourceArn ?? '');
  return named.startsWith('arn:') ? (/:table\/([^/]+)/.exec(named)?.[1] ?? '') : named;
}

function parse(body: string): Record<string, unknown> {
  try {
    const value = JSON.parse(body || '{}') as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** dynalite behind the layer. */
export class LocalDynamoDb {
  /** The tables dynalite holds (created through this layer), with what the layer adds to them. */
  readonly tables = new Map<string, TableSettings>();
  private readonly agent = new Agent({ keepAlive: true });

  private constructor(
    private readonly server: Server,
    private readonly port: number,
    private readonly region: string,
    private readonly now: () => number,
  ) {}

  /** Starts dynalite in memory on 127.0.0.1 (a free port); its ARNs carry `region` and `accountId`. */
  static async start(
    region: string,
    accountId: string,
    now: () => number = Date.now,
  ): Promise<LocalDynamoDb> {
    // dynalite reads the ARN's Region and account from the environment, once, as it starts.
    const saved = { AWS_REGION: process.env.AWS_REGION, AWS_ACCOUNT_ID: process.env.AWS_ACCOUNT_ID };
    process.env.AWS_REGION = region;
    process.env.AWS_ACCOUNT_ID = accountId;
    let server: Server;
    try {
      // Tables change state at once, but through CREATING and DELETING as on DynamoDB.
      server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new LocalDynamoDb(server, (server.address() as AddressInfo).port, region, now);
  }

  /** Whether the request names a table dynalite holds (control-plane calls on others are not its own). */
  holds(body: string): boolean {
    return this.tables.has(tableNameOf(parse(body)));
  }

  /** Answers one DynamoDB call (the SDK's headers and body), as dynalite and the layer do. */
  async call(operation: string, body: string, headers: Record<string, string>): Promise<LocalReply> {
    const input = parse(body);
    if (operation === 'UpdateTimeToLive') return this.updateTimeToLive(input);
    const reply = await this.forward(operation, body, headers);
    if (reply.status === 200) this.observe(operation, input);
    if (operation === 'DescribeTimeToLive' && reply.status === 200) return this.describeTimeToLive(input);
    if (input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && isConditionFailure(reply)) {
      return this.withFailedItem(operation, input, reply);
    }
    return reply;
  }

  /** The item at `key` in `table` (a consistent read), or undefined. */
  async item(table: string, key: Item): Promise<Item | undefined> {
    const out = await this.send('GetItem', { TableName: table, Key: key, ConsistentRead: true });
    return out.Item as Item | undefined;
  }

  /** Every item of `table` (all pages of a Scan). */
  async items(table: string): Promise<Item[]> {
    const all: Item[] = [];
    let start: unknown;
    do {
      const page = await this.send('Scan', {
        TableName: table,
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      });
      all.push(...((page.Items as Item[] | undefined) ?? []));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return all;
  }

  /** Stops dynalite. */
  async close(): Promise<void> {
    this.agent.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Keeps the list of dynalite's tables as calls create and delete them. */
  private observe(operation: string, input: Record<string, unknown>): void {
    const name = tableNameOf(input);
    if (operation === 'CreateTable') this.tables.set(name, {});
    if (operation === 'DeleteTable') this.tables.delete(name);
  }

  /** UpdateTimeToLive as DynamoDB documents it: an ACTIVE table, one change an hour. */
  private async updateTimeToLive(input: Record<string, unknown>): Promise<LocalReply> {
    const spec = input.TimeToLiveSpecification as { AttributeName?: unknown; Enabled?: unknown } | undefined;
    const attribute = spec?.AttributeName;
    if (typeof attribute !== 'string' || attribute.length < 1 || attribute.length > 255) {
      return errorReply(
        'ValidationException',
        'TimeToLiveSpecification.AttributeName must be a string of 1 to 255 characters',
      );
    }
    if (typeof spec?.Enabled !== 'boolean') {
      return errorReply('ValidationException', 'TimeToLiveSpecification.Enabled must be a boolean');
    }
    const name = tableNameOf(input);
    const described = await this.send('DescribeTable', { TableName: name }).catch(
      (error: unknown) => error as LocalReply,
    );
    if (described instanceof LocalReply) return described;
    const status = (described.Table as { TableStatus?: string } | undefined)?.TableStatus;
    const settings = this.tables.get(name);
    if (status !== 'ACTIVE' || settings === undefined) {
      return errorReply(
        'ResourceNotFoundException',
        `Requested resource not found: Table: ${name} not found`,
      );
    }
    const at = this.now();
    if (settings.ttl !== undefined && at - settings.ttl.changedAt < TTL_CHANGE_INTERVAL_MS) {
      return errorReply(
        'ValidationException',
        'Time to live has been modified multiple times within a fixed interval',
      );
    }
    settings.ttl = { AttributeName: attribute, Enabled: spec.Enabled, changedAt: at };
    return this.ok({ TimeToLiveSpecification: { AttributeName: attribute, Enabled: spec.Enabled } });
  }

  /** DescribeTimeToLive of a table dynalite found: the setting UpdateTimeToLive made, else DISABLED. */
  private describeTimeToLive(input: Record<string, unknown>): LocalReply {
    const ttl = this.tables.get(tableNameOf(input))?.ttl;
    return this.ok({
      TimeToLiveDescription:
        ttl?.Enabled === true
          ? { TimeToLiveStatus: 'ENABLED', AttributeName: ttl.AttributeName }
          : { TimeToLiveStatus: 'DISABLED' },
    });
  }

  /** A failed condition's answer with the item as it is (DynamoDB's `Item`), when there is one. */
  private async withFailedItem(
    operation: string,
    input: Record<string, unknown>,
    reply: LocalReply,
  ): Promise<LocalReply> {
    let key = input.Key as Item | undefined;
    if (operation === 'PutItem') {
      const described = await this.send('DescribeTable', { TableName: tableNameOf(input) });
      const schema = ((described.Table as { KeySchema?: { AttributeName: string }[] }).KeySchema ?? []).map(
        (k) => k.AttributeName,
      );
      const item = (input.Item ?? {}) as Item;
      key = Object.fromEntries(schema.map((name) => [name, item[name] ?? {}]));
    }
    const item = key === undefined ? undefined : await this.item(tableNameOf(input), key);
    if (item === undefined) return reply;
    const body = { ...(JSON.parse(reply.body) as Record<string, unknown>), Item: item };
    const { 'x-amz-crc32': _checksum, ...headers } = reply.headers;
    return new LocalReply(reply.status, headers, JSON.stringify(body));
  }

  private ok(body: unknown): LocalReply {
    return new LocalReply(
      200,
      { 'content-type': JSON_10, 'x-amzn-requestid': crypto.randomUUID() },
      JSON.stringify(body),
    );
  }

  /** One call of the layer's own to dynalite: the answer's body, or the error reply thrown. */
  private async send(operation: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
    const reply = await this.forward(operation, JSON.stringify(input), this.clientHeaders());
    if (reply.status !== 200) throw reply;
    return JSON.parse(reply.body) as Record<string, unknown>;
  }

  /** One call as a client makes it, answered by dynalite and the layer (for in-process callers). */
  invoke(operation: string, input: Record<string, unknown>): Promise<LocalReply> {
    return this.call(operation, JSON.stringify(input), this.clientHeaders());
  }

  /** The headers dynalite wants present on a call (a made-up signature: it checks none). */
  private clientHeaders(): Record<string, string> {
    const date = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
    return {
      'content-type': JSON_10,
      'x-amz-date': date,
      authorization: `AWS4-HMAC-SHA256 Credential=local/${date.slice(0, 8)}/${this.region}/dynamodb/aws4_request, SignedHeaders=host, Signature=local`,
    };
  }

  /** Sends one call to dynalite with the caller's signature headers (dynalite needs them present). */
  private forward(operation: string, body: string, headers: Record<string, string>): Promise<LocalReply> {
    const sent: Record<string, string> = { 'x-amz-target': `DynamoDB_20120810.${operation}` };
    for (const name of ['content-type', 'x-amz-date', 'date', 'authorization', 'x-amz-security-token']) {
      const value = headers[name];
      if (value !== undefined) sent[name] = value;
    }
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: this.port, method: 'POST', path: '/', headers: sent, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const kept: Record<string, string> = {};
            for (const [name, value] of Object.entries(res.headers)) {
              if (
                typeof value === 'string' &&
                !['content-length', 'connection', 'date', 'keep-alive'].includes(name)
              )
                kept[name] = value;
            }
            resolve(new LocalReply(res.statusCode ?? 500, kept, Buffer.concat(chunks).toString('utf8')));
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}

function isConditionFailure(reply: LocalReply): boolean {
  return reply.status === 400 && reply.body.includes('#ConditionalCheckFailedException');
}
