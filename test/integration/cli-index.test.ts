/**
 * `status <message id>` through the job-link table's byTriggerId index, the local DynamoDB's Query
 * (with the real SDK client), the move task of `redrive --all` (one function, SDK mock), and the
 * command as a child process (bin.js).
 */

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CloudFormationClient, DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';
import {
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { moveAll } from '../../cli/dead-letters';
import { readDeploymentSettings } from '../../cli/target';
import { checkRequest, policySource } from '../../cli/validate';
import { type LocalAws, startLocalAws } from '../../local/endpoint';
import { restoreJobsTable } from '../../local/job-table';
import { defaultSeed } from '../../local/pipeline';
import { createRestoreJobsTable, localClientConfig } from '../../local/setup';
import { runCli } from '../helpers/cli';

let aws: LocalAws;
let ddb: DynamoDBClient;

beforeEach(async () => {
  aws = await startLocalAws({ seed: defaultSeed() });
  ddb = new DynamoDBClient(localClientConfig(aws.url, 'eu-west-1'));
});
afterEach(async () => {
  ddb.destroy();
  await aws.close();
});

/** The job-link table as serverless.yml declares it, with the index on triggerId projecting `projection`. */
async function createTable(projection: 'ALL' | 'KEYS_ONLY' = 'ALL') {
  const declared = restoreJobsTable();
  const indexes = declared.create.GlobalSecondaryIndexes?.map((index) => ({
    ...index,
    Projection: { ProjectionType: projection },
  }));
  await createRestoreJobsTable(ddb, 'restore-jobs', {
    ...declared,
    create: { ...declared.create, GlobalSecondaryIndexes: indexes },
  });
}

const link = (jobId: string, triggerId: string | undefined, extra: Record<string, any> = {}) =>
  ddb.send(
    new PutItemCommand({
      TableName: 'restore-jobs',
      Item: {
        restoreJobId: { S: jobId },
        ...(triggerId === undefined ? {} : { triggerId: { S: triggerId } }),
        trigger: { S: JSON.stringify({ type: 'sqs', id: triggerId, attempt: 1 }) },
        recoveryPointArn: { S: 'arn:aws:backup:eu-west-1:123456789012:recovery-point:p1' },
        startedAt: { S: '2026-11-28T04:00:00.000Z' },
        redriveCount: { N: '0' },
        ...extra,
      },
    }),
  );

const query = (input: Partial<QueryCommandInput>) =>
  ddb.send(
    new QueryCommand({
      TableName: 'restore-jobs',
      IndexName: 'byTriggerId',
      KeyConditionExpression: '#t = :id',
      ExpressionAttributeNames: { '#t': 'triggerId' },
      ExpressionAttributeValues: { ':id': { S: 'msg-1' } },
      ...input,
    }),
  );

describe('the local DynamoDB Query', () => {
  it('finds items by the index key; items without it are not in the index', async () => {
    await createTable();
    await link('job-1', 'msg-1');
    await link('job-2', 'msg-2');
    await link('job-3', undefined);
    const out = await query({});
    expect(out.Items?.map((i) => i.restoreJobId?.S)).toStrictEqual(['job-1']);
    expect(out.Count).toBe(1);
    expect(out.LastEvaluatedKey).toBeUndefined();
  });

  // DynamoDB documents no order among items of one index key without a sort key: pages are checked
  // for what they hold together, never for an order.
  it('pages with Limit and ExclusiveStartKey, and says where it stopped even at the end', async () => {
    await createTable();
    for (const id of ['a', 'b', 'c']) await link(`job-${id}`, 'msg-1');
    const first = await query({ Limit: 2 });
    const firstIds = first.Items?.map((i) => i.restoreJobId?.S) ?? [];
    expect(firstIds).toHaveLength(2);
    expect(first.LastEvaluatedKey).toStrictEqual({
      restoreJobId: { S: firstIds[1] },
      triggerId: { S: 'msg-1' },
    });
    const second = await query({ Limit: 2, ExclusiveStartKey: first.LastEvaluatedKey });
    const secondIds = second.Items?.map((i) => i.restoreJobId?.S) ?? [];
    expect([...firstIds, ...secondIds].sort()).toStrictEqual(['job-a', 'job-b', 'job-c']);
    expect(second.LastEvaluatedKey).toBeUndefined();
    const exact = await query({ Limit: 3 });
    expect(exact.LastEvaluatedKey).toBeDefined();
    const after = await query({ Limit: 3, ExclusiveStartKey: exact.LastEvaluatedKey });
    expect(after).toMatchObject({ Items: [], Count: 0 });
    expect(after.LastEvaluatedKey).toBeUndefined();
  });

  it('stops a page at 1 MB', async () => {
    await createTable();
    const big = { S: 'x'.repeat(300 * 1024) };
    for (const id of ['a', 'b', 'c', 'd', 'e']) await link(`job-${id}`, 'msg-1', { original: big });
    const first = await query({});
    expect(first.Items).toHaveLength(4);
    expect(first.LastEvaluatedKey?.restoreJobId).toStrictEqual(first.Items?.[3]?.restoreJobId);
    const rest = await query({ ExclusiveStartKey: first.LastEvaluatedKey });
    const ids = [...(first.Items ?? []), ...(rest.Items ?? [])].map((i) => i.restoreJobId?.S);
    expect(ids.sort()).toStrictEqual(['job-a', 'job-b', 'job-c', 'job-d', 'job-e']);
  });

  it("returns the index's projection, and a ProjectionExpression of it", async () => {
    await createTable('KEYS_ONLY');
    await link('job-1', 'msg-1');
    expect((await query({})).Items).toStrictEqual([
      { restoreJobId: { S: 'job-1' }, triggerId: { S: 'msg-1' } },
    ]);
    expect((await query({ ProjectionExpression: 'restoreJobId' })).Items).toStrictEqual([
      { restoreJobId: { S: 'job-1' } },
    ]);
    expect(await query({ Select: 'COUNT' })).toMatchObject({ Count: 1 });
    expect((await query({ Select: 'COUNT' })).Items).toBeUndefined();
  });

  it('refuses what DynamoDB refuses', async () => {
    await createTable();
    await expect(query({ IndexName: 'byNothing' })).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'The table does not have the specified index: byNothing',
    });
    await expect(query({ ConsistentRead: true })).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Consistent reads are not supported on global secondary indexes',
    });
    await expect(query({ ExpressionAttributeNames: { '#t': 'startedAt' } })).rejects.toMatchObject({
      message: 'Query condition missed key schema element: triggerId',
    });
    await expect(query({ ExpressionAttributeValues: { ':other': { S: 'x' } } })).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(query({ Limit: 0 })).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(query({ TableName: 'nope' })).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('queries the table itself by its key', async () => {
    await createTable();
    await link('job-1', 'msg-1');
    const out = await query({
      IndexName: undefined,
      ExpressionAttributeNames: { '#t': 'restoreJobId' },
      ExpressionAttributeValues: { ':id': { S: 'job-1' } },
      ConsistentRead: true,
    });
    expect(out.Items?.[0]?.triggerId).toStrictEqual({ S: 'msg-1' });
  });
});

describe('status by message id', () => {
  it('finds the jobs a message started, through the index', async () => {
    await createTable('KEYS_ONLY');
    await link('job-1', 'msg-1');
    await ddb.send(
      new PutItemCommand({
        TableName: 'restore-jobs',
        Item: { restoreJobId: { S: 'job-1#outcome' }, outcome: { S: 'dead-lettered' } },
      }),
    );
    const r = await runCli(['--endpoint-url', aws.url, '--json', 'status', 'msg-1']);
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({
      id: 'msg-1',
      foundBy: 'trigger-id',
      jobs: [
        {
          restoreJobId: 'job-1',
          link: { triggerId: 'msg-1', trigger: { type: 'sqs', id: 'msg-1' } },
          jobError: 'AWS Backup does not know this job',
          outcome: 'dead-lettered',
        },
      ],
      notes: [],
    });
  });

  it('says when the table has no byTriggerId index (a deployment older than it), and exits 3', async () => {
    const declared = restoreJobsTable();
    const { GlobalSecondaryIndexes: _index, ...create } = declared.create;
    await createRestoreJobsTable(ddb, 'restore-jobs', {
      ...declared,
      create: {
        ...create,
        AttributeDefinitions: create.AttributeDefinitions?.filter((a) => a.AttributeName !== 'triggerId'),
      },
    });
    const r = await runCli(['--endpoint-url', aws.url, '--json', 'status', '--no-dead-letters', 'msg-1']);
    expect(r.code).toBe(3);
    expect(r.json().notes[0]).toMatch(/no byTriggerId index/);
  });

  it('exits 4 with a hint when the table is missing', async () => {
    const r = await runCli(['--endpoint-url', aws.url, 'status', 'msg-1']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/the job-link table does not exist .*--table/);
  });
});

describe('redrive --all (StartMessageMoveTask)', () => {
  const sqsMock = mockClient(SQSClient);
  afterEach(() => sqsMock.reset());
  const DLQ = 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq';
  const REQ = 'https://sqs.eu-west-1.amazonaws.com/123456789012/requests';

  it('moves to the request queue as DestinationArn and follows the task to its end', async () => {
    sqsMock
      .on(GetQueueAttributesCommand, { QueueUrl: DLQ })
      .resolves({ Attributes: { QueueArn: 'arn:aws:sqs:eu-west-1:123456789012:dlq' } })
      .on(GetQueueAttributesCommand, { QueueUrl: REQ })
      .resolves({ Attributes: { QueueArn: 'arn:aws:sqs:eu-west-1:123456789012:requests' } })
      .on(StartMessageMoveTaskCommand)
      .resolves({ TaskHandle: 'handle-1' })
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({
        Results: [
          { Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 3 },
        ],
      })
      .resolves({
        Results: [
          { Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 3 },
        ],
      });
    const seen: number[] = [];
    const task = await moveAll(new SQSClient({ region: 'eu-west-1' }), DLQ, REQ, {
      wait: true,
      pollMs: 1,
      ratePerSecond: 5,
      onProgress: (t) => seen.push(t.moved),
    });
    expect(sqsMock.commandCalls(StartMessageMoveTaskCommand).map((c) => c.args[0].input)).toStrictEqual([
      {
        SourceArn: 'arn:aws:sqs:eu-west-1:123456789012:dlq',
        DestinationArn: 'arn:aws:sqs:eu-west-1:123456789012:requests',
        MaxNumberOfMessagesPerSecond: 5,
      },
    ]);
    expect(sqsMock.commandCalls(ListMessageMoveTasksCommand)[0]?.args[0].input).toStrictEqual({
      SourceArn: 'arn:aws:sqs:eu-west-1:123456789012:dlq',
      MaxResults: 1,
    });
    expect(seen).toStrictEqual([1, 3]);
    expect(task).toStrictEqual({ taskHandle: 'handle-1', status: 'COMPLETED', moved: 3, toMove: 3 });
  });
});

describe("the deployed functions' settings", () => {
  const cfn = mockClient(CloudFormationClient);
  const lambda = mockClient(LambdaClient);
  afterEach(() => {
    cfn.reset();
    lambda.reset();
  });
  const ROLE = 'arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole';

  it("are read from the stack's queue function, and the checks use them", async () => {
    cfn.on(DescribeStackResourceCommand).resolves({
      StackResourceDetail: {
        PhysicalResourceId: 'backup-restore-pipeline-prod-restoreFromQueue',
      } as never,
    });
    lambda.on(GetFunctionConfigurationCommand).resolves({
      Environment: { Variables: { RESTORE_ROLE_ARN: ROLE, ALLOWED_BACKUP_VAULTS: 'prod-vault' } },
    });
    const settings = await readDeploymentSettings(
      new CloudFormationClient({ region: 'eu-west-1' }),
      new LambdaClient({ region: 'eu-west-1' }),
      'backup-restore-pipeline-prod',
    );
    expect(cfn.commandCalls(DescribeStackResourceCommand)[0]?.args[0].input).toStrictEqual({
      StackName: 'backup-restore-pipeline-prod',
      LogicalResourceId: 'RestoreFromQueueLambdaFunction',
    });
    expect(lambda.commandCalls(GetFunctionConfigurationCommand)[0]?.args[0].input).toStrictEqual({
      FunctionName: 'backup-restore-pipeline-prod-restoreFromQueue',
    });
    expect(settings).toStrictEqual({ RESTORE_ROLE_ARN: ROLE, ALLOWED_BACKUP_VAULTS: 'prod-vault' });

    const source = policySource({}, false, 'eu-west-1', settings);
    expect(source.source).toBe('deployment');
    const request = JSON.stringify({
      RecoveryPointArn: 'arn:aws:backup:eu-west-1:123456789012:recovery-point:p-1',
      Metadata: {},
    });
    expect(checkRequest('r.json', request, source)).toMatchObject({
      valid: false,
      problems: ['BackupVaultName is required: this deployment restores only from the vaults prod-vault'],
    });
    // Variables set here win over the deployed ones.
    expect(
      policySource({ RESTORE_ROLE_ARN: ROLE, AWS_REGION: 'eu-west-1' }, false, undefined, settings).source,
    ).toBe('environment');
  });
});

describe('the command', () => {
  const exec = promisify(execFile);
  const bin = join(__dirname, '..', '..', 'cli', 'bin.js');

  it('runs as bin.js: JSON on stdout, exit code 1 for a refused request, no colours in a pipe', async () => {
    const bad = join(__dirname, '..', '..', 'events', 'restore-fails-after-start.json');
    const failed = await exec(process.execPath, [bin, '--json', 'validate', bad]).catch((e) => e);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({
      valid: false,
      problems: [expect.stringMatching(/got an array/)],
    });
    const ok = await exec(
      process.execPath,
      [bin, 'validate', join(__dirname, '..', '..', 'events', 'restore-requested.json')],
      {
        env: { ...process.env, FORCE_COLOR: '1' },
      },
    );
    expect(ok.stdout).toMatch(/^valid /);
    expect(ok.stdout + ok.stderr).not.toContain('\u001b[');
  });
});
