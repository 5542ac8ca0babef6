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
}
