/**
 * The local DynamoDB (AWS JSON 1.0): the few operations the pipeline uses to link restore jobs to
 * their requests. Items keep DynamoDB's attribute-value form ({"S": ...}, {"N": ...}, {"B": ...}).
 * Condition expressions support attribute_exists / attribute_not_exists joined by AND; update
 * expressions support SET with values and REMOVE.
 */

import { LocalAwsError } from './backup-service.js';

type AttributeValue = Record<string, unknown>;
type Item = Record<string, AttributeValue>;

interface Table {
  name: string;
  key: string;
  items: Map<string, Item>;
}

const validation = (message: string) =>
  new LocalAwsError(400, 'com.amazonaws.dynamodb.v20120810#ValidationException', message);
const conditionFailed = () =>
  new LocalAwsError(
    400,
    'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
    'The conditional request failed',
  );

function resolveName(token: string, names: Record<string, string> | undefined): string {
  return token.startsWith('#') ? (names?.[token] ?? token) : token;
}

function checkCondition(
  expression: string | undefined,
  item: Item | undefined,
  names: Record<string, string> | undefined,
): boolean {
  if (expression === undefined || expression.trim() === '') return true;
  return expression.split(/\s+AND\s+/i).every((part) => {
    const m = /^\s*(attribute_exists|attribute_not_exists)\(\s*([#\w]+)\s*\)\s*$/.exec(part);
    if (m === null) throw validation(`Unsupported condition expression locally: ${part}`);
    const present = item !== undefined && resolveName(m[2] ?? '', names) in item;
    return m[1] === 'attribute_exists' ? present : !present;
  });
}

function applyUpdate(
  item: Item,
  expression: string,
  names: Record<string, string> | undefined,
  values: Record<string, AttributeValue> | undefined,
): void {
  const clauses = expression
    .split(/\b(SET|REMOVE)\b/i)
    .map((s) => s.trim())
    .filter(Boolean);
  for (let i = 0; i < clauses.length; i += 2) {
    const verb = clauses[i]?.toUpperCase();
    const body = clauses[i + 1] ?? '';
    for (const assignment of body
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      if (verb === 'SET') {
        const [name = '', value = ''] = assignment.split('=').map((s) => s.trim());
        const v = values?.[value];
        if (v === undefined) throw validation(`Missing value ${value}`);
        item[resolveName(name, names)] = v;
      } else if (verb === 'REMOVE') {
        delete item[resolveName(assignment, names)];
      } else throw validation(`Unsupported update expression locally: ${expression}`);
    }
  }
}

/** A global secondary index as CreateTable declared it. */
export interface IndexDeclaration {
  name: string;
  hash: string;
  range?: string;
  projection: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  include: string[];
}

function indexDeclarations(body: Record<string, unknown>): IndexDeclaration[] {
  const declared = (body.GlobalSecondaryIndexes ?? []) as {
    IndexName: string;
    KeySchema: { AttributeName: string; KeyType: string }[];
    Projection?: { ProjectionType?: string; NonKeyAttributes?: string[] };
  }[];
  return declared.map((index) => {
    const range = index.KeySchema.find((k) => k.KeyType === 'RANGE')?.AttributeName;
    return {
      name: index.IndexName,
      hash: index.KeySchema.find((k) => k.KeyType === 'HASH')?.AttributeName ?? '',
      ...(range === undefined ? {} : { range }),
      projection: (index.Projection?.ProjectionType ?? 'ALL') as IndexDeclaration['projection'],
      include: index.Projection?.NonKeyAttributes ?? [],
    };
  });
}

/** DynamoDB's item size: attribute names plus values, in bytes (close enough for 1 MB pages). */
function itemSize(item: Item): number {
  const valueSize = (value: AttributeValue): number => {
    const [type, v] = Object.entries(value)[0] ?? ['NULL', true];
    if (type === 'S' || type === 'N') return Buffer.byteLength(String(v));
    if (type === 'B') return Buffer.from(String(v), 'base64').length;
    if (type === 'L') return 3 + (v as AttributeValue[]).reduce((n, e) => n + 1 + valueSize(e), 0);
    if (type === 'M') return 3 + itemSize(v as Item);
    if (type === 'SS' || type === 'NS') return (v as string[]).reduce((n, e) => n + Buffer.byteLength(e), 0);
    return 1;
  };
  return Object.entries(item).reduce((n, [name, value]) => n + Buffer.byteLength(name) + valueSize(value), 0);
}

/** A Query or Scan answers at most 1 MB of items per page. */
const PAGE_BYTES = 1024 * 1024;

/** The local DynamoDB service state and operations. */
export class LocalDynamoDb {
  readonly tables = new Map<string, Table>();
  /** Global secondary indexes declared by CreateTable, by table name. */
  readonly indexes = new Map<string, IndexDeclaration[]>();

  private table(name: unknown): Table {
    const table = this.tables.get(String(name));
    if (table === undefined) {
      throw new LocalAwsError(
        400,
        'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException',
        'Requested resource not found',
      );
    }
    return table;
  }

  private keyOf(table: Table, key: unknown): string {
    const value = (key as Item | undefined)?.[table.key];
    if (value === undefined) throw validation('The provided key element does not match the schema');
    return JSON.stringify(value);
  }

  CreateTable(body: Record<string, unknown>) {
    const name = String(body.TableName);
    const schema = body.KeySchema as { AttributeName: string; KeyType: string }[];
    const hash = schema?.find((k) => k.KeyType === 'HASH')?.AttributeName;
    if (hash === undefined) throw validation('KeySchema needs a HASH key');
    if (!this.tables.has(name)) {
      this.tables.set(name, { name, key: hash, items: new Map() });
      this.indexes.set(name, indexDeclarations(body));
    }
    return { TableDescription: { TableName: name, TableStatus: 'ACTIVE' } };
  }

  /** The item at `key`, once the request's condition holds for it (else ConditionalCheckFailed). */
  private checked(table: Table, key: string, body: Record<string, unknown>): Item | undefined {
    const existing = table.items.get(key);
    const condition = body.ConditionExpression as string | undefined;
    if (!checkCondition(condition, existing, body.ExpressionAttributeNames as never)) throw conditionFailed();
    return existing;
  }

  PutItem(body: Record<string, unknown>) {
    const table = this.table(body.TableName);
    const item = body.Item as Item;
    const key = this.keyOf(table, item);
    this.checked(table, key, body);
    table.items.set(key, structuredClone(item));
    return {};
  }

  GetItem(body: Record<string, unknown>) {
    const table = this.table(body.TableName);
    const item = table.items.get(this.keyOf(table, body.Key));
    return item === undefined ? {} : { Item: structuredClone(item) };
  }

  UpdateItem(body: Record<string, unknown>) {
    const table = this.table(body.TableName);
    const key = this.keyOf(table, body.Key);
    const existing = this.checked(table, key, body);
    const item: Item = existing ?? structuredClone(body.Key as Item);
    applyUpdate(
      item,
      String(body.UpdateExpression ?? ''),
      body.ExpressionAttributeNames as never,
      body.ExpressionAttributeValues as never,
    );
    table.items.set(key, item);
    return body.ReturnValues === 'ALL_NEW' ? { Attributes: structuredClone(item) } : {};
  }

  BatchWriteItem(body: Record<string, unknown>) {
    const requests = body.RequestItems as Record<
      string,
      { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]
    >;
    const count = Object.values(requests ?? {}).reduce((n, r) => n + r.length, 0);
    if (count === 0 || count > 25) throw validation('Member must have length less than or equal to 25');
    for (const [tableName, writes] of Object.entries(requests)) {
      const table = this.table(tableName);
      for (const write of writes) {
        if (write.PutRequest !== undefined)
          table.items.set(this.keyOf(table, write.PutRequest.Item), structuredClone(write.PutRequest.Item));
        else if (write.DeleteRequest !== undefined)
          table.items.delete(this.keyOf(table, write.DeleteRequest.Key));
      }
    }
    return { UnprocessedItems: {} };
  }

  DeleteItem(body: Record<string, unknown>) {
    const table = this.table(body.TableName);
    table.items.delete(this.keyOf(table, body.Key));
    return {};
  }

  /**
   * Query on the table or a global secondary index: KeyConditionExpression `name = :value` on the
   * partition key (DynamoDB's required form; sort-key conditions and FilterExpression are not
   * served locally and are refused), ProjectionExpression and Select, the index's projection,
   * Limit (items evaluated), ExclusiveStartKey, and pages of at most 1 MB with LastEvaluatedKey.
   * Global secondary indexes are eventually consistent only: ConsistentRead on one is refused.
   */
  Query(body: Record<string, unknown>) {
    const table = this.table(body.TableName);
    const names = body.ExpressionAttributeNames as Record<string, string> | undefined;
    const values = body.ExpressionAttributeValues as Record<string, AttributeValue> | undefined;
    const indexName = body.IndexName as string | undefined;
    const index =
      indexName === undefined ? undefined : this.indexes.get(table.name)?.find((i) => i.name === indexName);
    if (indexName !== undefined && index === undefined) {
      throw validation(`The table does not have the specified index: ${indexName}`);
    }
    if (index !== undefined && body.ConsistentRead === true) {
      throw validation('Consistent reads are not supported on global secondary indexes');
    }
    if (
      body.FilterExpression !== undefined ||
      body.KeyConditions !== undefined ||
      body.QueryFilter !== undefined
    ) {
      throw validation(
        'Only KeyConditionExpression is supported locally (no FilterExpression or legacy conditions)',
      );
    }
    const expression = body.KeyConditionExpression;
    if (typeof expression !== 'string' || expression.trim() === '') {
      throw validation(
        'Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.',
      );
    }
    const m = /^\s*([#\w.]+)\s*=\s*(:\w+)\s*$/.exec(expression);
    if (m === null) throw validation(`Unsupported key condition expression locally: ${expression}`);
    const keyName = resolveName(m[1] ?? '', names);
    const hash = index?.hash ?? table.key;
    if (keyName !== hash) throw validation(`Query condition missed key schema element: ${hash}`);
    const wanted = values?.[m[2] ?? ''];
    if (wanted === undefined) {
      throw validation(
        `An expression attribute value used in expression is not defined; attribute value: ${m[2] ?? ''}`,
      );
    }
    const limit = body.Limit === undefined ? undefined : Number(body.Limit);
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) {
      throw validation(
        "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
      );
    }

    // The index holds only items that carry its key (a sparse index), with its projected attributes.
    const keysOf = (item: Item): Item => {
      const keys: Item = {};
      for (const name of [table.key, index?.hash, index?.range]) {
        if (name !== undefined && item[name] !== undefined) keys[name] = item[name];
      }
      return keys;
    };
    const projected = (item: Item): Item => {
      if (index === undefined || index.projection === 'ALL') return item;
      const kept = keysOf(item);
      if (index.projection === 'INCLUDE') {
        for (const name of index.include) if (item[name] !== undefined) kept[name] = item[name];
      }
      return kept;
    };
    const select = body.Select as string | undefined;
    if (index !== undefined && index.projection !== 'ALL' && select === 'ALL_ATTRIBUTES') {
      throw validation(
        'One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index ' +
          index.name +
          ' because its projection type is not ALL',
      );
    }
    const projection = (body.ProjectionExpression as string | undefined)
      ?.split(',')
      .map((p) => resolveName(p.trim(), names))
      .filter(Boolean);
    if (projection !== undefined && index !== undefined && index.projection !== 'ALL') {
      const available = new Set([
        table.key,
        index.hash,
        ...(index.range === undefined ? [] : [index.range]),
        ...index.include,
      ]);
      const missing = projection.filter((p) => !available.has(p));
      if (missing.length > 0) {
        throw validation(
          `One or more parameter values were invalid: Global secondary index ${index.name} does not project [${missing.join(', ')}]`,
        );
      }
    }

    const matching = [...table.items.values()].filter(
      (item) => item[hash] !== undefined && JSON.stringify(item[hash]) === JSON.stringify(wanted),
    );
    if (body.ScanIndexForward === false) matching.reverse();
    const start = body.ExclusiveStartKey as Item | undefined;
    let from = 0;
    if (start !== undefined) {
      const at = matching.findIndex(
        (item) => JSON.stringify(item[table.key]) === JSON.stringify(start[table.key]),
      );
      from = at + 1;
    }
    const page: Item[] = [];
    let bytes = 0;
    let stopped = false;
    for (let i = from; i < matching.length; i++) {
      const item = projected(matching[i] as Item);
      bytes += itemSize(item);
      page.push(item);
      if ((limit !== undefined && page.length >= limit) || bytes >= PAGE_BYTES) {
        // DynamoDB stops at Limit or 1 MB and says where, even when nothing is left to read.
        stopped = true;
        break;
      }
    }
    const last = page.at(-1);
    const items = page.map((item) =>
      projection === undefined
        ? structuredClone(item)
        : Object.fromEntries(
            projection.filter((p) => item[p] !== undefined).map((p) => [p, structuredClone(item[p])]),
          ),
    );
    return {
      ...(select === 'COUNT' ? {} : { Items: items }),
      Count: page.length,
      ScannedCount: page.length,
      ...(stopped && last !== undefined ? { LastEvaluatedKey: structuredClone(keysOf(last)) } : {}),
    };
  }
}
