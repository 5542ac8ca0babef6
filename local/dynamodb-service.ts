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

function itemSize(item: Item): number {
  let total = 0;
  for (const [name, value] of Object.entries(item)) {
    total += Buffer.byteLength(name);
    const [type, v] = Object.entries(value)[0] ?? [];
    if (type === 'B') total += Buffer.from(String(v), 'base64').length;
    else if (type === 'S' || type === 'N') total += Buffer.byteLength(String(v));
    else total += Buffer.byteLength(JSON.stringify(v));
  }
  return total;
}

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

/** The local DynamoDB service state and operations. */
export class LocalDynamoDb {
  readonly tables = new Map<string, Table>();

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
    if (!this.tables.has(name)) this.tables.set(name, { name, key: hash, items: new Map() });
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
}
