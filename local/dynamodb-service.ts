/**
 * The local DynamoDB (AWS JSON 1.0): the few operations the pipeline uses to link restore jobs to
 * their requests. Items keep DynamoDB's attribute-value form ({"S": ...}, {"N": ...}, {"B": ...}).
 * Condition expressions support attribute_exists / attribute_not_exists and comparisons joined by
 * AND, OR and NOT; update expressions support SET with values and REMOVE. Items are held to 400 KB,
 * a BatchWriteItem with two writes of one key is refused whole, and a share of batch writes can be
 * left unprocessed.
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

/** A value of a condition: an attribute of the item (or absent), or an expression value. */
type Operand = AttributeValue | undefined;

function compare(a: Operand, b: Operand, op: string): boolean {
  if (a === undefined || b === undefined) return op === '<>' ? a !== b : false;
  const [ta, va] = Object.entries(a)[0] ?? [];
  const [tb, vb] = Object.entries(b)[0] ?? [];
  if (op === '=') return ta === tb && JSON.stringify(va) === JSON.stringify(vb);
  if (op === '<>') return !(ta === tb && JSON.stringify(va) === JSON.stringify(vb));
  // Ordering applies to strings, numbers and binary of the same type; anything else is false.
  if (ta !== tb || (ta !== 'S' && ta !== 'N')) return false;
  const order =
    ta === 'N' ? Number(va) - Number(vb) : Buffer.compare(Buffer.from(String(va)), Buffer.from(String(vb)));
  switch (op) {
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
    default:
      throw validation(`Invalid comparator ${op}`);
  }
}

/**
 * Evaluates a ConditionExpression the way DynamoDB does for the forms the pipeline uses:
 * attribute_exists / attribute_not_exists, comparisons (= <> < <= > >=) of names and values,
 * AND, OR, NOT and parentheses, with NOT above AND above OR.
 */
function checkCondition(
  expression: string | undefined,
  item: Item | undefined,
  names: Record<string, string> | undefined,
  values?: Record<string, AttributeValue>,
): boolean {
  if (expression === undefined || expression.trim() === '') return true;
  const tokens = expression.match(/\(|\)|<>|<=|>=|=|<|>|,|[#:]?[A-Za-z_][\w.]*|\S/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const take = (expected?: string) => {
    const token = tokens[i++];
    if (token === undefined || (expected !== undefined && token.toUpperCase() !== expected))
      throw validation(`Invalid ConditionExpression: Syntax error; token: "${token ?? '<EOF>'}"`);
    return token;
  };
  const operand = (): Operand => {
    const token = take();
    if (token.startsWith(':')) {
      const value = values?.[token];
      if (value === undefined)
        throw validation(`Value provided in ExpressionAttributeValues unused in expressions: ${token}`);
      return value;
    }
    return item?.[resolveName(token, names)];
  };
  const factor = (): boolean => {
    const token = peek();
    if (token?.toUpperCase() === 'NOT') {
      take();
      return !factor();
    }
    if (token === '(') {
      take('(');
      const inner = disjunction();
      take(')');
      return inner;
    }
    if (token === 'attribute_exists' || token === 'attribute_not_exists') {
      take();
      take('(');
      const name = resolveName(take(), names);
      take(')');
      const present = item !== undefined && name in item;
      return token === 'attribute_exists' ? present : !present;
    }
    const left = operand();
    const op = take();
    if (!['=', '<>', '<', '<=', '>', '>='].includes(op))
      throw validation(`Unsupported condition expression locally: ${expression}`);
    return compare(left, operand(), op);
  };
  const conjunction = (): boolean => {
    let result = factor();
    while (peek()?.toUpperCase() === 'AND') {
      take();
      result = factor() && result;
    }
    return result;
  };
  const disjunction = (): boolean => {
    let result = conjunction();
    while (peek()?.toUpperCase() === 'OR') {
      take();
      result = conjunction() || result;
    }
    return result;
  };
  const result = disjunction();
  if (i !== tokens.length) throw validation(`Invalid ConditionExpression: Syntax error; token: "${peek()}"`);
  return result;
}

/** DynamoDB's item limit: 400 KB, names and values in UTF-8 (docs/aws-behaviour.md#ddb-item-size). */
const ITEM_MAX_BYTES = 400 * 1024;

function checkItemSize(item: Item): void {
  if (itemSize(item) > ITEM_MAX_BYTES) throw validation('Item size has exceeded the maximum allowed size');
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

/** The attribute names a ProjectionExpression asks for (`#name`s resolved); undefined without one. */
function projectionOf(body: Record<string, unknown>, names: Record<string, string> | undefined) {
  return (body.ProjectionExpression as string | undefined)
    ?.split(',')
    .map((p) => resolveName(p.trim(), names))
    .filter(Boolean);
}

/** Copies of `items` as a read returns them: only the projected attributes, or all without a projection. */
function projectItems(items: Item[], projection: string[] | undefined) {
  return items.map((item) =>
    projection === undefined
      ? structuredClone(item)
      : Object.fromEntries(
          projection.filter((p) => item[p] !== undefined).map((p) => [p, structuredClone(item[p])]),
        ),
  );
}

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
    if (
      !checkCondition(
        condition,
        existing,
        body.ExpressionAttributeNames as never,
        body.ExpressionAttributeValues as never,
      )
    )
      throw conditionFailed();
    return existing;
  }

  PutItem(body: Record<string, unknown>) {
    const table = this.table(body.TableName);
    const item = body.Item as Item;
    const key = this.keyOf(table, item);
    checkItemSize(item);
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
    const item: Item = structuredClone(existing ?? (body.Key as Item));
    applyUpdate(
      item,
      String(body.UpdateExpression ?? ''),
      body.ExpressionAttributeNames as never,
      body.ExpressionAttributeValues as never,
    );
    checkItemSize(item);
    table.items.set(key, item);
    return body.ReturnValues === 'ALL_NEW' ? { Attributes: structuredClone(item) } : {};
  }

  /**
   * Share (0..1) of a BatchWriteItem's writes left unprocessed, as DynamoDB does under load
   * (docs/aws-behaviour.md#ddb-batch-unprocessed); `random` decides which.
   */
  unprocessedShare = 0;
  random: () => number = Math.random;

  BatchWriteItem(body: Record<string, unknown>) {
    const requests = body.RequestItems as Record<
      string,
      { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]
    >;
    const count = Object.values(requests ?? {}).reduce((n, r) => n + r.length, 0);
    if (count === 0 || count > 25) throw validation('Member must have length less than or equal to 25');
    // The whole batch is checked before anything is written: one bad write refuses them all.
    for (const [tableName, writes] of Object.entries(requests)) {
      const table = this.table(tableName);
      const keys = new Set<string>();
      for (const write of writes) {
        const key = this.keyOf(table, write.PutRequest?.Item ?? write.DeleteRequest?.Key);
        if (keys.has(key)) throw validation('Provided list of item keys contains duplicates');
        keys.add(key);
        if (write.PutRequest !== undefined) checkItemSize(write.PutRequest.Item);
      }
    }
    const unprocessed: Record<string, unknown[]> = {};
    for (const [tableName, writes] of Object.entries(requests)) {
      const table = this.table(tableName);
      for (const write of writes) {
        if (this.unprocessedShare > 0 && this.random() < this.unprocessedShare) {
          unprocessed[tableName] = [...(unprocessed[tableName] ?? []), write];
          continue;
        }
        if (write.PutRequest !== undefined)
          table.items.set(this.keyOf(table, write.PutRequest.Item), structuredClone(write.PutRequest.Item));
        else if (write.DeleteRequest !== undefined)
          table.items.delete(this.keyOf(table, write.DeleteRequest.Key));
      }
    }
    return { UnprocessedItems: unprocessed };
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
    const projection = projectionOf(body, names);
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
    const items = projectItems(page, projection);
    return {
      ...(select === 'COUNT' ? {} : { Items: items }),
      Count: page.length,
      ScannedCount: page.length,
      ...(stopped && last !== undefined ? { LastEvaluatedKey: structuredClone(keysOf(last)) } : {}),
    };
  }

  /**
   * Scan, as DynamoDB documents it: items are read in key order from ExclusiveStartKey, at most
   * Limit items or 1 MB of them (what was read, before any filter) per page; FilterExpression is
   * applied after the read, so a page may hold fewer items than it read, or none, and still carry
   * LastEvaluatedKey. Count is what matched, ScannedCount what was read. ProjectionExpression and
   * Select COUNT are served; parallel scans (Segment) are not.
   */
  Scan(body: Record<string, unknown>) {
    const table = this.table(body.TableName);
    const names = body.ExpressionAttributeNames as Record<string, string> | undefined;
    const values = body.ExpressionAttributeValues as Record<string, AttributeValue> | undefined;
    if (body.IndexName !== undefined) throw validation('Scan of an index is not supported locally');
    if (body.Segment !== undefined || body.TotalSegments !== undefined)
      throw validation('Parallel Scan (Segment, TotalSegments) is not supported locally');
    if (body.ScanFilter !== undefined)
      throw validation('Legacy ScanFilter is not supported locally; use FilterExpression');
    const limit = body.Limit === undefined ? undefined : Number(body.Limit);
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) {
      throw validation(
        "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
      );
    }
    const filter = body.FilterExpression as string | undefined;
    const keys = [...table.items.keys()].sort();
    const start = body.ExclusiveStartKey as Item | undefined;
    let from = 0;
    if (start !== undefined) {
      const startKey = this.keyOf(table, start);
      from = keys.findIndex((k) => k > startKey);
      if (from < 0) from = keys.length;
    }
    const matched: Item[] = [];
    let scanned = 0;
    let bytes = 0;
    let lastKey: string | undefined;
    let stopped = false;
    for (let i = from; i < keys.length; i++) {
      const key = keys[i] as string;
      const item = table.items.get(key) as Item;
      scanned++;
      bytes += itemSize(item);
      lastKey = key;
      if (checkCondition(filter, item, names, values)) matched.push(item);
      if ((limit !== undefined && scanned >= limit) || bytes >= PAGE_BYTES) {
        // DynamoDB stops at Limit or 1 MB and says where, even when nothing is left to read.
        stopped = true;
        break;
      }
    }
    const projection = projectionOf(body, names);
    const items = projectItems(matched, projection);
    return {
      ...(body.Select === 'COUNT' ? {} : { Items: items }),
      Count: matched.length,
      ScannedCount: scanned,
      ...(stopped && lastKey !== undefined ? { LastEvaluatedKey: { [table.key]: JSON.parse(lastKey) } } : {}),
    };
  }
}
