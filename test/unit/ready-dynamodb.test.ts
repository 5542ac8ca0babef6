/**
 * DynamoDB make-ready steps against a stateful fake of the DynamoDB control plane: the restored
 * table starts with every setting off (as AWS restores it), the source has them on.
 */

import {
  DynamoDBClient,
  TagResourceCommand,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createLogger } from '../../src/logger';
import { makeReady, type RunDeps } from '../../src/ready/run';
import { dynamodbReady } from '../../src/resources/dynamodb';
import { clientError, type FakeTable, fakeTables, readyTarget } from '../helpers/ready-fakes';

const ARN = (name: string) => `arn:aws:dynamodb:eu-west-1:123456789012:table/${name}`;

const fakeDynamo = (tables: Record<string, FakeTable>) => fakeTables(mockClient(DynamoDBClient), tables);

const off = (): FakeTable => ({ pitr: false, stream: null, ttl: null, protection: false, tags: {} });
const source = (): FakeTable => ({
  pitr: true,
  stream: 'NEW_AND_OLD_IMAGES',
  ttl: 'expiresAt',
  protection: true,
  insights: true,
  tags: { team: 'orders', 'aws:cloudformation:stack-name': 'x', 'backup-restore:drill': 'j0' },
});

const target = (sourceArn: string | undefined = ARN('orders')) =>
  readyTarget({
    restoreJobId: 'job-1',
    resourceType: 'DynamoDB',
    restoredArn: ARN('orders-restored'),
    sourceArn,
  });

const run = (): RunDeps => ({
  log: createLogger({ sink: () => undefined }),
  sleep: async () => undefined,
  timeLeftMs: () => 60_000,
});

afterEach(() => jest.restoreAllMocks());

describe('DynamoDB make-ready', () => {
  it("brings PITR, stream view type, TTL, deletion protection and tags back from the source table, and tags the copy as the pipeline's", async () => {
    const tables = { orders: source(), 'orders-restored': off() };
    const mock = fakeDynamo(tables);
    const result = await makeReady(run(), dynamodbReady, target());
    expect(result.ready).toBe(true);
    expect(tables['orders-restored']).toStrictEqual({
      pitr: true,
      stream: 'NEW_AND_OLD_IMAGES',
      ttl: 'expiresAt',
      protection: true,
      insights: true,
      // aws: keys cannot be written; the pipeline's own keys are never copied.
      tags: { team: 'orders', 'backup-restore:ready': 'job-1' },
    });
    expect(result.steps.map((s) => [s.step, s.status])).toStrictEqual([
      ['dynamodb.ready-tag', 'changed'],
      ['dynamodb.point-in-time-recovery', 'changed'],
      ['dynamodb.time-to-live', 'changed'],
      ['dynamodb.tags', 'changed'],
      ['dynamodb.stream', 'changed'],
      ['dynamodb.deletion-protection', 'changed'],
      ['dynamodb.contributor-insights', 'changed'],
    ]);
    expect(result.diff.map((d) => d.setting)).toContain('name');
    mock.restore();
  });

  it('turns Contributor Insights on only where the source had it, and never off', async () => {
    const writes: string[] = [];
    const tables = {
      orders: { ...source(), insights: false },
      'orders-restored': { ...off(), insights: true },
    };
    const mock = mockClient(DynamoDBClient);
    fakeTables(mock, tables, writes);
    await makeReady(run(), dynamodbReady, target());
    expect(tables['orders-restored'].insights).toBe(true);
    expect(writes.filter((w) => w.startsWith('UpdateContributorInsights'))).toStrictEqual([]);
    tables.orders.insights = true;
    tables['orders-restored'].insights = false;
    await makeReady(run(), dynamodbReady, target());
    expect(writes.filter((w) => w.startsWith('UpdateContributorInsights'))).toStrictEqual([
      'UpdateContributorInsights orders-restored ENABLE',
    ]);
    mock.restore();
  });

  it('changes nothing the second time (each step reads first)', async () => {
    const tables = { orders: source(), 'orders-restored': off() };
    const mock = fakeDynamo(tables);
    await makeReady(run(), dynamodbReady, target());
    mock.resetHistory();
    const again = await makeReady(run(), dynamodbReady, target());
    expect(again.steps.every((s) => s.status === 'unchanged')).toBe(true);
    const writes = [
      UpdateTableCommand,
      UpdateTimeToLiveCommand,
      UpdateContinuousBackupsCommand,
      TagResourceCommand,
    ];
    expect(writes.map((c) => mock.commandCalls(c as never).length)).toStrictEqual([0, 0, 0, 0]);
    mock.restore();
  });

  it('with the source gone, records every setting as not restored and says why, and still tags the copy', async () => {
    const tables = { 'orders-restored': off() };
    const mock = fakeDynamo(tables);
    const result = await makeReady(run(), dynamodbReady, target());
    expect(result.sourceRead).toBe(false);
    expect(result.ready).toBe(true);
    expect(result.steps.filter((s) => s.status === 'not-known').map((s) => s.step)).toHaveLength(6);
    const why = result.diff.find((d) => d.setting === 'pointInTimeRecovery')?.why;
    expect(why).toMatch(/source is gone/);
    expect(tables['orders-restored']?.tags).toStrictEqual({ 'backup-restore:ready': 'job-1' });
    mock.restore();
  });

  it('does not read a source of another account (a shared vault): one of the same name here is another table', async () => {
    const tables = { orders: source(), 'orders-restored': off() };
    const mock = fakeDynamo(tables);
    const result = await makeReady(
      run(),
      dynamodbReady,
      target('arn:aws:dynamodb:eu-west-1:444455556666:table/orders'),
    );
    expect(result.sourceRead).toBe(false);
    expect(tables['orders-restored']?.pitr).toBe(false);
    mock.restore();
  });

  it('counts a write whose answer was lost as done when the copy shows it (the repeat is refused)', async () => {
    const tables = { orders: source(), 'orders-restored': off() };
    const mock = fakeDynamo(tables);
    const refused = clientError('ValidationException', 'TimeToLive is already enabled');
    mock.on(UpdateTimeToLiveCommand).callsFake((i) => {
      (tables['orders-restored'] as FakeTable).ttl = i.TimeToLiveSpecification.AttributeName;
      throw refused;
    });
    const result = await makeReady(run(), dynamodbReady, target());
    expect(result.steps.find((s) => s.step === 'dynamodb.time-to-live')?.status).toBe('changed');
    expect(result.ready).toBe(true);
    mock.restore();
  });

  it('retries a step that fails once with a retryable error, and fails a step that always fails, naming it', async () => {
    const tables = { orders: source(), 'orders-restored': off() };
    const mock = fakeDynamo(tables);
    const throttled = clientError('ThrottlingException', 'slow down');
    mock
      .on(UpdateContinuousBackupsCommand)
      .rejectsOnce(throttled)
      .callsFake((i) => {
        tables['orders-restored'].pitr = i.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled;
        return {};
      });
    const denied = clientError('AccessDeniedException', 'not authorized');
    mock.on(UpdateTimeToLiveCommand).rejects(denied);
    const result = await makeReady(run(), dynamodbReady, target());
    expect(tables['orders-restored']?.pitr).toBe(true);
    expect(mock.commandCalls(UpdateContinuousBackupsCommand)).toHaveLength(2);
    expect(mock.commandCalls(UpdateTimeToLiveCommand)).toHaveLength(1);
    expect(result.ready).toBe(false);
    const failed = result.steps.filter((s) => s.status === 'failed');
    expect(failed.map((s) => [s.step, s.error?.name])).toStrictEqual([
      ['dynamodb.time-to-live', 'AwsCallError'],
    ]);
    expect(failed[0]?.manual).toMatch(/UpdateTimeToLive/);
    // The steps after it still ran.
    expect(tables['orders-restored']?.protection).toBe(true);
    mock.restore();
  });
});
