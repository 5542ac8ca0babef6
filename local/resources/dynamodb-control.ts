/**
 * Local DynamoDB control plane (AWS JSON 1.0) for the tables a restore created: DescribeTable,
 * Scan (Limit and Select COUNT only), TagResource, ListTagsOfResource, UpdateTable (deletion
 * protection and stream; the table is then UPDATING for `updatingMs`), DeleteTable
 * (ResourceInUseException while CREATING or UPDATING), and the settings a restore does not keep:
 * Describe/UpdateContinuousBackups, Describe/UpdateTimeToLive, Describe/UpdateContributorInsights
 * (table level). A restored table has point-in-time recovery, stream, TTL and Contributor Insights
 * off until they are set (docs/aws-behaviour.md#ddb-restore-settings-lost).
 * The data-plane tables of local/dynamodb.ts (the job-link table) are described too, read only.
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
  'DescribeContinuousBackups',
  'UpdateContinuousBackups',
  'DescribeTimeToLive',
  'UpdateTimeToLive',
  'DescribeContributorInsights',
  'UpdateContributorInsights',
]);

/** The settings a restore does not keep, per table (all off for a restored table). */
export interface TableSettings {
  pitr: boolean;
  streamViewType: string | null;
  ttlAttribute: string | null;
  contributorInsights?: boolean;
  /** When TTL was last changed (epoch ms): another change within an hour is refused. */
  ttlChangedAt?: number;
}

const SETTINGS = new WeakMap<LocalResource, TableSettings>();

/** A table's settings, off until set (a test or the demo sets a source table's). */
export function tableSettings(r: LocalResource): TableSettings {
  let s = SETTINGS.get(r);
  if (s === undefined) {
    s = { pitr: false, streamViewType: null, ttlAttribute: null };
    SETTINGS.set(r, s);
  }
  return s;
}

const TTL_CHANGE_INTERVAL_MS = 60 * 60 * 1000;
const VIEW_TYPES = new Set(['KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES']);

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
    ...streamFields(r),
  };
}

function streamFields(r: LocalResource) {
  const view = tableSettings(r).streamViewType;
  if (view === null) return {};
  return {
    StreamSpecification: { StreamEnabled: true, StreamViewType: view },
    LatestStreamArn: `${r.arn}/stream/${new Date(r.createdAt).toISOString().replace(/Z$/, '')}`,
  };
}

/** UpdateTable's StreamSpecification, refused as DynamoDB refuses it; undefined when accepted. */
function updateStream(r: LocalResource, spec: unknown): LocalReply | undefined {
  if (typeof spec !== 'object' || spec === null) return undefined;
  const { StreamEnabled, StreamViewType } = spec as { StreamEnabled?: unknown; StreamViewType?: unknown };
  const settings = tableSettings(r);
  if (StreamEnabled === true) {
    if (settings.streamViewType !== null)
      return error('ValidationException', 'Table already has an enabled stream');
    if (typeof StreamViewType !== 'string' || !VIEW_TYPES.has(StreamViewType))
      return error('ValidationException', 'StreamViewType is required when the stream is enabled');
    settings.streamViewType = StreamViewType;
    return undefined;
  }
  if (settings.streamViewType === null)
    return error('ValidationException', 'Table does not have a stream to disable');
  settings.streamViewType = null;
  return undefined;
}

/** Describe/UpdateContinuousBackups, Describe/UpdateTimeToLive (TableNotFoundException for the first two). */
function settingsOperation(
  store: ResourceStore,
  r: LocalResource,
  operation: string,
  input: Record<string, unknown>,
) {
  const s = tableSettings(r);
  const backups = () => ({
    ContinuousBackupsDescription: {
      ContinuousBackupsStatus: 'ENABLED',
      PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: s.pitr ? 'ENABLED' : 'DISABLED' },
    },
  });
  switch (operation) {
    case 'DescribeContinuousBackups':
      return ok(backups());
    case 'UpdateContinuousBackups': {
      const spec = input.PointInTimeRecoverySpecification as
        | { PointInTimeRecoveryEnabled?: unknown }
        | undefined;
      if (typeof spec?.PointInTimeRecoveryEnabled !== 'boolean')
        return error('ValidationException', 'PointInTimeRecoveryEnabled is required');
      s.pitr = spec.PointInTimeRecoveryEnabled;
      return ok(backups());
    }
    case 'DescribeTimeToLive':
      return ok({
        TimeToLiveDescription:
          s.ttlAttribute === null
            ? { TimeToLiveStatus: 'DISABLED' }
            : { TimeToLiveStatus: 'ENABLED', AttributeName: s.ttlAttribute },
      });
    default: {
      const spec = (input.TimeToLiveSpecification ?? {}) as { AttributeName?: unknown; Enabled?: unknown };
      if (typeof spec.AttributeName !== 'string' || typeof spec.Enabled !== 'boolean')
        return error('ValidationException', 'TimeToLiveSpecification needs AttributeName and Enabled');
      if (spec.Enabled === (s.ttlAttribute !== null))
        return error('ValidationException', `TimeToLive is already ${spec.Enabled ? 'enabled' : 'disabled'}`);
      if (s.ttlChangedAt !== undefined && store.now() - s.ttlChangedAt < TTL_CHANGE_INTERVAL_MS)
        return error(
          'ValidationException',
          'Time to live has been modified multiple times within a fixed interval',
        );
      s.ttlAttribute = spec.Enabled ? spec.AttributeName : null;
      s.ttlChangedAt = store.now();
      return ok({ TimeToLiveSpecification: { AttributeName: spec.AttributeName, Enabled: spec.Enabled } });
    }
  }
}

/** Describe/UpdateContributorInsights of a table (ENABLING at once, ENABLED when next described). */
function insightsOperation(r: LocalResource, operation: string, input: Record<string, unknown>): LocalReply {
  const s = tableSettings(r);
  const status = (on: boolean | undefined) => (on === true ? 'ENABLED' : 'DISABLED');
  if (input.IndexName !== undefined) return error('ValidationException', 'Indexes are not modelled locally');
  if (operation === 'DescribeContributorInsights')
    return ok({ TableName: r.id, ContributorInsightsStatus: status(s.contributorInsights) });
  const action = input.ContributorInsightsAction;
  if (action !== 'ENABLE' && action !== 'DISABLE')
    return error('ValidationException', 'ContributorInsightsAction must be ENABLE or DISABLE');
  s.contributorInsights = action === 'ENABLE';
  return ok({ TableName: r.id, ContributorInsightsStatus: action === 'ENABLE' ? 'ENABLING' : 'DISABLING' });
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
    // The continuous backups operations name a missing table otherwise.
    return operation.endsWith('ContinuousBackups')
      ? error('TableNotFoundException', `Table not found: ${name}`)
      : notFound(name);
  }
  if (/ContinuousBackups|TimeToLive/.test(operation)) return settingsOperation(store, r, operation, input);
  if (operation.endsWith('ContributorInsights')) return insightsOperation(r, operation, input);
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
      {
        const refused = updateStream(r, input.StreamSpecification);
        if (refused !== undefined) return refused;
      }
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
