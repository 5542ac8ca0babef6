/**
 * A COMPLETED job whose make-ready never ran (its event lost): asked for once, after the grace,
 * only when no make-ready record is there; a failed ask is asked again by the next run, and an
 * ask whose mark could not be written is asked again rather than never.
 */

import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { askIfReadyLost, READY_GRACE_MS, type ReadyAskEvent } from '../../src/ready/lost';
import { lambdaReadyAsker } from '../../src/wiring/reconcile';

const NOW = new Date('2026-12-07T12:00:00.000Z');
const JOB = {
  restoreJobId: 'job-7',
  completionDate: new Date(NOW.getTime() - READY_GRACE_MS - 1).toISOString(),
  resourceType: 'DynamoDB',
};

function setup(items: Record<string, Record<string, unknown>> = {}) {
  const table = new Map<string, Record<string, any>>(Object.entries(items));
  const ddb = mockClient(DynamoDBClient);
  ddb.on(GetItemCommand).callsFake((i) => ({ Item: table.get(i.Key.restoreJobId.S) }));
  ddb.on(PutItemCommand).callsFake((i) => {
    if (i.ConditionExpression === 'attribute_not_exists(restoreJobId)' && table.has(i.Item.restoreJobId.S))
      throw Object.assign(new Error('exists'), { name: 'ConditionalCheckFailedException' });
    table.set(i.Item.restoreJobId.S, i.Item);
    return {};
  });
  const asked: ReadyAskEvent[] = [];
  let askFails = false;
  const deps = {
    ddb: new DynamoDBClient({ region: 'eu-west-1' }),
    table: 'jobs',
    now: () => NOW,
    ask: async (event: ReadyAskEvent) => {
      if (askFails) throw new Error('Lambda refused');
      asked.push(event);
    },
  };
  return { ddb, table, asked, deps, failAsks: (v: boolean) => (askFails = v) };
}

afterEach(() => mockClient(DynamoDBClient).restore());

describe('askIfReadyLost', () => {
  it('asks makeReady once for a job with no record past the grace, with the event its rule delivers', async () => {
    const s = setup();
    expect(await askIfReadyLost(s.deps, JOB)).toBe('ready-asked');
    expect(s.asked).toStrictEqual([
      {
        version: '0',
        id: 'reconciler-ready-job-7',
        'detail-type': 'Restore Job State Change',
        source: 'restore-pipeline.reconciler',
        time: NOW.toISOString(),
        resources: [],
        detail: { ...JOB, status: 'COMPLETED' },
      },
    ]);
    expect(s.table.get('job-7#ready-asked')?.askedAt).toStrictEqual({ S: NOW.toISOString() });
    // The next run finds the mark: not asked again (a run that ended in the destination has its letter).
    expect(await askIfReadyLost(s.deps, JOB)).toBe('ready-asked-before');
    expect(s.asked).toHaveLength(1);
  });

  it('leaves a job with a make-ready record, whatever its state', async () => {
    const s = setup({ 'job-7#ready': { restoreJobId: { S: 'job-7#ready' }, state: { S: 'not-ready' } } });
    expect(await askIfReadyLost(s.deps, JOB)).toBe('ready-recorded');
    expect(s.asked).toStrictEqual([]);
  });

  it('leaves a job within the grace (its own event may still be at work), or with no completion time', async () => {
    const s = setup();
    const recent = { ...JOB, completionDate: new Date(NOW.getTime() - READY_GRACE_MS + 1000).toISOString() };
    expect(await askIfReadyLost(s.deps, recent)).toBe('ready-too-recent');
    expect(await askIfReadyLost(s.deps, { restoreJobId: 'job-7' })).toBe('ready-too-recent');
    expect(s.asked).toStrictEqual([]);
    expect(s.ddb.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  it('throws a failed ask without a mark, so the next run asks again', async () => {
    const s = setup();
    s.failAsks(true);
    await expect(askIfReadyLost(s.deps, JOB)).rejects.toThrow('Lambda refused');
    expect(s.table.has('job-7#ready-asked')).toBe(false);
    s.failAsks(false);
    expect(await askIfReadyLost(s.deps, JOB)).toBe('ready-asked');
    expect(s.asked).toHaveLength(1);
  });

  it('asks again, rather than never, when the mark of an ask could not be written', async () => {
    const s = setup();
    s.ddb.on(PutItemCommand).rejectsOnce(Object.assign(new Error('down'), { name: 'InternalServerError' }));
    await expect(askIfReadyLost(s.deps, JOB)).rejects.toThrow();
    expect(s.asked).toHaveLength(1);
    s.ddb.on(PutItemCommand).resolves({});
    expect(await askIfReadyLost(s.deps, JOB)).toBe('ready-asked');
    expect(s.asked).toHaveLength(2);
  });
});

describe('lambdaReadyAsker', () => {
  const event = { detail: { restoreJobId: 'job-7', status: 'COMPLETED' } } as unknown as ReadyAskEvent;

  it('invokes the function asynchronously (InvocationType Event) with the event as payload', async () => {
    const lambda = mockClient(LambdaClient);
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    const client = new LambdaClient({ region: 'eu-west-1' });
    await lambdaReadyAsker(() => client, 'stack-makeReady')(event);
    const input = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect({
      ...input,
      Payload: JSON.parse(Buffer.from(input?.Payload as Uint8Array).toString('utf8')),
    }).toStrictEqual({
      FunctionName: 'stack-makeReady',
      InvocationType: 'Event',
      Payload: event,
    });
    lambda.restore();
  });

  it('throws when Lambda does not answer 202 (queued), or refuses', async () => {
    const lambda = mockClient(LambdaClient);
    const client = new LambdaClient({ region: 'eu-west-1' });
    lambda.on(InvokeCommand).resolves({ StatusCode: 200 });
    await expect(lambdaReadyAsker(() => client, 'f')(event)).rejects.toThrow('answered 200, not 202');
    lambda
      .on(InvokeCommand)
      .rejects(Object.assign(new Error('Function not found'), { name: 'ResourceNotFoundException' }));
    await expect(lambdaReadyAsker(() => client, 'f')(event)).rejects.toThrow('Function not found');
    lambda.restore();
  });
});
