/**
 * The local DynamoDB: dynalite behind the endpoint's faults, the job table made as serverless.yml
 * declares it, and the layer for what dynalite lacks (TimeToLive, the item of a failed condition),
 * checked against what DynamoDB documents (docs/aws-behaviour.md#ddb-local).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  ResourceNotFoundException,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { parseDocument } from 'yaml';
import { LocalDynamoDb, TTL_CHANGE_INTERVAL_MS } from '../../../local/dynamodb';
import { type LocalAws, startLocalAws } from '../../../local/endpoint';
import { tableDeclaration } from '../../../local/job-table';
import { defaultSeed } from '../../../local/pipeline';
import { createRestoreJobsTable, localClientConfig } from '../../../local/setup';

const TABLE = 'restore-jobs';
const SERVERLESS = readFileSync(join(__dirname, '..', '..', '..', 'serverless.yml'), 'utf8');

let aws: LocalAws;
let ddb: DynamoDBClient;

beforeEach(async () => {
  aws = await startLocalAws({ seed: defaultSeed() });
  ddb = new DynamoDBClient({ ...localClientConfig(aws.url, 'eu-west-1'), maxAttempts: 1 });
});
afterEach(async () => {
  ddb.destroy();
  await aws.close();
});

const key = (id: string) => ({ restoreJobId: { S: id } });
const put = (Item: Record<string, AttributeValue>, more: object = {}) =>
  ddb.send(new PutItemCommand({ TableName: TABLE, Item, ...more }));

describe('the job table, as serverless.yml declares it', () => {
  it('has the key schema, attributes, index, billing mode and TTL of the RestoreJobsTable resource', async () => {
    await createRestoreJobsTable(ddb, TABLE);
    // What the template says, read here without local/job-table.ts.
    const declared = parseDocument(SERVERLESS, { logLevel: 'silent' }).getIn(
      ['resources', 'Resources', 'RestoreJobsTable', 'Properties'],
      false,
    ) as { toJSON(): any };
    const properties = declared.toJSON();
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: TABLE }));
    expect({
      KeySchema: Table?.KeySchema,
      AttributeDefinitions: Table?.AttributeDefinitions,
      BillingMode: Table?.BillingModeSummary?.BillingMode,
      GlobalSecondaryIndexes: Table?.GlobalSecondaryIndexes?.map((i) => ({
        IndexName: i.IndexName,
        KeySchema: i.KeySchema,
        Projection: i.Projection,
      })),
      TableStatus: Table?.TableStatus,
    }).toStrictEqual({
      KeySchema: properties.KeySchema,
      AttributeDefinitions: properties.AttributeDefinitions,
      BillingMode: properties.BillingMode,
      GlobalSecondaryIndexes: properties.GlobalSecondaryIndexes,
      TableStatus: 'ACTIVE',
    });
    const ttl = await ddb.send(new DescribeTimeToLiveCommand({ TableName: TABLE }));
    expect(ttl.TimeToLiveDescription).toStrictEqual({
      TimeToLiveStatus: properties.TimeToLiveSpecification.Enabled ? 'ENABLED' : 'DISABLED',
      AttributeName: properties.TimeToLiveSpecification.AttributeName,
    });
    expect((await ddb.send(new ListTablesCommand({}))).TableNames).toStrictEqual([TABLE]);
  });

  it('is read from the template: CloudFormation tags elsewhere are ignored, a property it cannot make is refused', () => {
    const template = (properties: string) => `
resources:
  Resources:
    Topic:
      Type: AWS::SNS::Topic
      Properties:
        TopicName: !Sub '\${AWS::StackName}-alerts'
    RestoreJobsTable:
      Type: AWS::DynamoDB::Table
      Properties:
        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{ AttributeName: id, AttributeType: S }]
        KeySchema: [{ AttributeName: id, KeyType: HASH }]
        TimeToLiveSpecification: { AttributeName: gone, Enabled: true }
        SSESpecification: { SSEEnabled: true }
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }
${properties}`;
    expect(tableDeclaration(template(''))).toStrictEqual({
      create: {
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        SSESpecification: { Enabled: true },
      },
      ttl: { AttributeName: 'gone', Enabled: true },
    });
    expect(() =>
      tableDeclaration(template('        StreamSpecification: { StreamViewType: NEW_IMAGE }')),
    ).toThrow(
      /RestoreJobsTable has StreamSpecification, which local\/job-table.ts does not make locally yet/,
    );
    expect(() => tableDeclaration('resources: {}')).toThrow(
      /declares no AWS::DynamoDB::Table RestoreJobsTable/,
    );
  });
});

describe('dynalite refuses what DynamoDB refuses', () => {
  beforeEach(async () => {
    await createRestoreJobsTable(ddb, TABLE);
  });

  it.each([
    [
      'a reserved word as a name',
      () =>
        ddb.send(
          new UpdateItemCommand({
            TableName: TABLE,
            Key: key('a'),
            UpdateExpression: 'SET status = :s',
            ExpressionAttributeValues: { ':s': { S: 'x' } },
          }),
        ),
      /reserved keyword/,
    ],
    [
      'an unused placeholder',
      () => put(key('a'), { ExpressionAttributeValues: { ':unused': { S: 'x' } } }),
      /ExpressionAttributeValues can only be specified when using expressions/,
    ],
    [
      'an undefined placeholder',
      () => put(key('a'), { ConditionExpression: 'attribute_not_exists(#missing)' }),
      /attribute name used in the document path is not defined/,
    ],
    [
      'an update of the key',
      () =>
        ddb.send(
          new UpdateItemCommand({
            TableName: TABLE,
            Key: key('a'),
            UpdateExpression: 'SET restoreJobId = :k',
            ExpressionAttributeValues: { ':k': { S: 'b' } },
          }),
        ),
      /part of the key/,
    ],
    ['a key of the wrong type', () => put({ restoreJobId: { N: '1' } }), /Type mismatch/],
    ['an empty key', () => put({ restoreJobId: { S: '' } }), /empty string value/],
    ['a key over 2048 bytes', () => put({ restoreJobId: { S: 'k'.repeat(2049) } }), /2048/],
    ['N: "NaN"', () => put({ ...key('a'), n: { N: 'NaN' } }), /numeric value/],
  ])('refuses %s', async (_name, call, message) => {
    await expect(call()).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(message),
    });
    expect(await aws.dynamodb.items(TABLE)).toStrictEqual([]);
  });

  it('answers Attributes for every ReturnValues that asks for them', async () => {
    await put({ ...key('a'), n: { N: '1' } });
    const updated = await ddb.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: key('a'),
        UpdateExpression: 'SET n = :two',
        ExpressionAttributeValues: { ':two': { N: '2' } },
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    expect(updated.Attributes).toStrictEqual({ n: { N: '1' } });
    const replaced = await put({ ...key('a'), n: { N: '3' } }, { ReturnValues: 'ALL_OLD' });
    expect(replaced.Attributes).toStrictEqual({ ...key('a'), n: { N: '2' } });
  });

  it('keeps a table CREATING before ACTIVE, and refuses a table without a billing mode', async () => {
    const created = await ddb.send(
      new CreateTableCommand({
        TableName: 'other',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    expect(created.TableDescription?.TableStatus).toBe('CREATING');
    await expect(
      ddb.send(
        new CreateTableCommand({
          TableName: 'no-billing',
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('sits behind the fault injection: a throttled write writes nothing', async () => {
    aws.faults.set({ PutItem: { errorRates: { Throttling: 1 } } });
    await expect(put(key('a'))).rejects.toMatchObject({ name: 'ThrottlingException' });
    aws.faults.set({});
    expect(await aws.dynamodb.items(TABLE)).toStrictEqual([]);
  });
});

describe('the layer in front of dynalite: what DynamoDB documents and dynalite lacks', () => {
  beforeEach(async () => {
    await createRestoreJobsTable(ddb, TABLE, { ...tableDeclaration(SERVERLESS), ttl: undefined });
  });
  const ttl = (Enabled: boolean, TableName = TABLE) =>
    ddb.send(
      new UpdateTimeToLiveCommand({
        TableName,
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled },
      }),
    );
  const describeTtl = async () =>
    (await ddb.send(new DescribeTimeToLiveCommand({ TableName: TABLE }))).TimeToLiveDescription;

  it('UpdateTimeToLive returns the specification, and DescribeTimeToLive reports it', async () => {
    expect(await describeTtl()).toStrictEqual({ TimeToLiveStatus: 'DISABLED' });
    const out = await ttl(true);
    expect(out.TimeToLiveSpecification).toStrictEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(await describeTtl()).toStrictEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
  });

  it('UpdateTimeToLive of a table that does not exist is ResourceNotFoundException', async () => {
    await expect(ttl(true, 'nope')).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(ddb.send(new DescribeTimeToLiveCommand({ TableName: 'nope' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('a second UpdateTimeToLive within the hour is a ValidationException; a deleted table forgets its TTL', async () => {
    await ttl(true);
    await expect(ttl(false)).rejects.toMatchObject({ name: 'ValidationException' });
    expect(await describeTtl()).toStrictEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    await ddb.send(new DeleteTableCommand({ TableName: TABLE }));
    await createRestoreJobsTable(ddb, TABLE, { ...tableDeclaration(SERVERLESS), ttl: undefined });
    expect(await describeTtl()).toStrictEqual({ TimeToLiveStatus: 'DISABLED' });
  });

  it('returns the item with a failed condition when ReturnValuesOnConditionCheckFailure is ALL_OLD', async () => {
    const item = { ...key('a'), state: { S: 'sent' } };
    await put(item);
    const failure = (call: Promise<unknown>) =>
      call.then(
        () => undefined,
        (error: unknown) => error,
      );
    const condition = {
      ConditionExpression: 'attribute_not_exists(restoreJobId)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
    const onPut = await failure(put({ ...key('a'), state: { S: 'new' } }, condition));
    expect(onPut).toBeInstanceOf(ConditionalCheckFailedException);
    expect((onPut as ConditionalCheckFailedException).Item).toStrictEqual(item);
    const onUpdate = await failure(
      ddb.send(
        new UpdateItemCommand({
          TableName: TABLE,
          Key: key('a'),
          UpdateExpression: 'SET #s = :s',
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: { ':s': { S: 'x' } },
          ...condition,
        }),
      ),
    );
    expect((onUpdate as ConditionalCheckFailedException).Item).toStrictEqual(item);
    const onDelete = await failure(
      ddb.send(new DeleteItemCommand({ TableName: TABLE, Key: key('a'), ...condition })),
    );
    expect((onDelete as ConditionalCheckFailedException).Item).toStrictEqual(item);
    // Without the flag, or with no item to return, the error carries none.
    const bare = await failure(put(item, { ConditionExpression: condition.ConditionExpression }));
    expect((bare as ConditionalCheckFailedException).Item).toBeUndefined();
    const absent = await failure(
      put(key('b'), { ...condition, ConditionExpression: 'attribute_exists(restoreJobId)' }),
    );
    expect(absent).toBeInstanceOf(ConditionalCheckFailedException);
    expect((absent as ConditionalCheckFailedException).Item).toBeUndefined();
    expect((await ddb.send(new GetItemCommand({ TableName: TABLE, Key: key('a') }))).Item).toStrictEqual(
      item,
    );
  });
});

describe('UpdateTimeToLive after the hour', () => {
  it('is taken again once an hour has passed since the last change', async () => {
    let now = 0;
    const local = await LocalDynamoDb.start('eu-west-1', '123456789012', () => now);
    const headers = {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-date': '20261201T000000Z',
      authorization:
        'AWS4-HMAC-SHA256 Credential=local/20261201/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x',
    };
    const call = (operation: string, input: object) => local.call(operation, JSON.stringify(input), headers);
    try {
      const { create } = tableDeclaration(SERVERLESS);
      expect((await call('CreateTable', { ...create, TableName: TABLE })).status).toBe(200);
      const status = async () =>
        JSON.parse((await call('DescribeTable', { TableName: TABLE })).body).Table.TableStatus;
      while ((await status()) !== 'ACTIVE');
      const change = (Enabled: boolean) =>
        call('UpdateTimeToLive', {
          TableName: TABLE,
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled },
        });
      expect((await change(true)).status).toBe(200);
      now = TTL_CHANGE_INTERVAL_MS - 1;
      expect((await change(false)).status).toBe(400);
      now = TTL_CHANGE_INTERVAL_MS;
      expect((await change(false)).status).toBe(200);
      expect(JSON.parse((await call('DescribeTimeToLive', { TableName: TABLE })).body)).toStrictEqual({
        TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' },
      });
    } finally {
      await local.close();
    }
  });
});
