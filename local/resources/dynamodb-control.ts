/**
 * Local DynamoDB control plane (AWS JSON 1.0) for the tables a restore created: DescribeTable,
 * Scan (Limit and Select COUNT only), TagResource, ListTagsOfResource, UpdateTable (the table is
 * then UPDATING for `updatingMs`), DeleteTable (ResourceInUseException while CREATING or UPDATING). The data-plane
 * tables of local/dynamodb.ts (the job-link table) are described too, read only.
 */

import { json, LocalReply } from './reply.js';
import type { LocalResource, ResourceStore } from './store.js';

const CONTENT_TYPE = 'application/x-amz-json-1.0';

/** The operations this module answers; the others go to the data-plane service. */
export const DYNAMODB_CONTROL_OPERATIONS: ReadonlySet<string> = new Set([
  'DescribeTable',
  'Scan',
  'TagResource',
  'ListTagsOfResource',
  'DeleteTable',
  'UpdateTable',
]);

function error(type: string, message: string): LocalReply {
  return new LocalReply(
    400,
    {
      'content-type': CONTENT_TYPE,
      'x-amzn-errortype': type,
      'x-amzn-requestid': crypto.randomUUID(),
    },
    JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }),
  );
}

const notFound = (name: string) =>
  error('ResourceNotFoundException', `Requested resource not found: Table: ${name} not found`);
const ok = (body: unknown) => json(body, 200, CONTENT_TYPE);
const inUse = (name: string, status: string) =>
  error(
    'ResourceInUseException',
    `Attempt to change a resource which is still in use: Table is being updated: ${name} (${status})`,
  );

function tableStatus(store: ResourceStore, r: LocalResource): string {
  if (r.deletedAt !== undefined) return 'DELETING';
  const status = store.timed(r, 'CREATING', 'ACTIVE');
  // UpdateTable leaves the table UPDATING for a while (docs/aws-behaviour.md#ddb-update-table-updating).
  return status === 'ACTIVE' && r.updatingUntil !== undefined && store.now() < r.updatingUntil
    ? 'UPDATING'
    : status;
}

function describe(store: ResourceStore, r: LocalResource) {
  // ItemCount is refreshed about every six hours: a fresh restore reports 0 whatever it holds.
  const itemCount = store.age(r) >= store.timing.itemCountRefreshMs ? (r.items ?? 0) : 0;
  return {
    TableName: r.id,
    TableArn: r.arn,
    TableId: `00000000-0000-4000-8000-${String(r.createdAt).padStart(12, '0').slice(-12)}`,
    TableStatus: tableStatus(store, r),
    CreationDateTime: r.createdAt / 1000,
    ItemCount: itemCount,
    TableSizeBytes: itemCount * 100,
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
    DeletionProtectionEnabled: r.deletionProtection === true,
  };
}

/** Answers one control-plane operation for a restored table, or a data-plane table (describe only). */
export function dynamoDbControl(
  store: ResourceStore,
  operation: string,
  input: Record<string, unknown>,
  dataPlaneTables: ReadonlyMap<string, unknown>,
): LocalReply {
  const nameOrArn = String(input.TableName ?? input.ResourceArn ?? '');
  const name = nameOrArn.startsWith('arn:') ? (nameOrArn.split('/')[1] ?? '') : nameOrArn;
  const r = store.get('table', name);
  if (r === undefined) {
    if (operation === 'DescribeTable' && dataPlaneTables.has(name)) {
      return ok({ Table: { TableName: name, TableStatus: 'ACTIVE' } });
    }
    return notFound(name);
  }
  switch (operation) {
    case 'DescribeTable':
      return ok({ Table: describe(store, r) });
    case 'Scan': {
      if (tableStatus(store, r) !== 'ACTIVE') return notFound(name);
      const limit = typeof input.Limit === 'number' ? input.Limit : Number.POSITIVE_INFINITY;
      const count = Math.min(r.items ?? 0, limit);
      const more = (r.items ?? 0) > count;
      const items = Array.from({ length: count }, (_, i) => ({ pk: { S: `item-${i}` } }));
      return ok({
        Count: count,
        ScannedCount: count,
        ...(input.Select === 'COUNT' ? {} : { Items: items }),
        ...(more ? { LastEvaluatedKey: { pk: { S: `item-${count - 1}` } } } : {}),
      });
    }
    case 'TagResource':
      for (const t of (input.Tags as { Key: string; Value: string }[] | undefined) ?? [])
        r.tags[t.Key] = t.Value;
      return ok({});
    case 'ListTagsOfResource':
      return ok({ Tags: Object.entries(r.tags).map(([Key, Value]) => ({ Key, Value })) });
    case 'UpdateTable':
      if (tableStatus(store, r) !== 'ACTIVE') return inUse(name, tableStatus(store, r));
      if (typeof input.DeletionProtectionEnabled === 'boolean')
        r.deletionProtection = input.DeletionProtectionEnabled;
      r.updatingUntil = store.now() + store.timing.updatingMs;
      return ok({ TableDescription: describe(store, r) });
    case 'DeleteTable':
      if (tableStatus(store, r) === 'UPDATING' || tableStatus(store, r) === 'CREATING')
        return inUse(name, tableStatus(store, r));
      if (r.deletionProtection === true) {
        return error(
          'ValidationException',
          `Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.`,
        );
      }
      store.markDeleted(r);
      return ok({ TableDescription: describe(store, r) });
    default:
      return error('UnknownOperationException', `${operation} is not supported locally`);
  }
}
