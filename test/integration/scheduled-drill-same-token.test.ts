/**
 * Every run of a scheduled drill sends the same detail ({ResourceArn, Drill, ...}): the event's id
 * and time are not part of the request's identity, so every run derives the SAME IdempotencyToken
 * and the SAME new name (`<name>-d<7 hex of the token>`). While AWS still answers the token, the
 * next run starts nothing and is reported started (a repeated delivery), with no letter; once the
 * point changed it is dead-lettered "send it again with a new IdempotencyToken" (not actionable
 * for a schedule); and each run restores into the name the previous drill used (it fails while
 * that one exists).
 */
import { createHandler } from '../../handlers/restore-from-event';
import { context } from '../helpers/fixtures';
import { pipeline, stopTables } from '../helpers/queue-pipeline';

afterEach(stopTables);

const DB = 'arn:aws:rds:eu-west-1:123456789012:db:orders-db';
const run = (id: string, time: string) => ({
  version: '0',
  id,
  'detail-type': 'Restore Requested',
  source: 'backup-restore.requests',
  account: '123456789012',
  time,
  region: 'eu-west-1',
  resources: [],
  detail: { ResourceArn: DB, Drill: { DeleteAfterHours: 1 } },
});

test('two runs of a scheduled drill are two drills, with two tokens and two names', async () => {
  const p = await pipeline({}, 'RDS', { DBInstanceIdentifier: 'orders-db', DBInstanceClass: 'db.t3.micro' });
  const inputs: Record<string, unknown>[] = [];
  const send = p.backup.send.bind(p.backup);
  (p.backup as unknown as { send: unknown }).send = async (command: {
    constructor: { name: string };
    input: Record<string, unknown>;
  }) => {
    if (command.constructor.name === 'StartRestoreJobCommand') inputs.push(command.input);
    return send(command as never);
  };
  const handler = createHandler(p.deps);
  await handler(run('sched-run-week-1', '2026-11-19T12:00:00Z') as never, context);
  await handler(run('sched-run-week-2', '2026-11-26T12:00:00Z') as never, context);
  const tokens = inputs.map((i) => i.IdempotencyToken);
  const names = inputs.map((i) => (i.Metadata as Record<string, string>).DBInstanceIdentifier);
  expect({ jobs: p.backup.jobs.length, letters: p.letters.length }).toStrictEqual({ jobs: 2, letters: 0 });
  expect(new Set(tokens).size).toBe(2);
  expect(new Set(names).size).toBe(2);
});

test('a repeat of the same event (a Lambda retry) is the same drill: the same token, no second job', async () => {
  const p = await pipeline({}, 'RDS', { DBInstanceIdentifier: 'orders-db', DBInstanceClass: 'db.t3.micro' });
  const tokens: unknown[] = [];
  const send = p.backup.send.bind(p.backup);
  (p.backup as unknown as { send: unknown }).send = async (command: {
    constructor: { name: string };
    input: Record<string, unknown>;
  }) => {
    if (command.constructor.name === 'StartRestoreJobCommand') tokens.push(command.input.IdempotencyToken);
    return send(command as never);
  };
  const handler = createHandler(p.deps);
  await handler(run('sched-run-week-1', '2026-11-19T12:00:00Z') as never, context);
  await handler(run('sched-run-week-1', '2026-11-19T12:00:00Z') as never, context);
  expect(tokens).toHaveLength(2);
  expect(tokens[1]).toBe(tokens[0]);
  expect({ jobs: p.backup.jobs.length, letters: p.letters.length }).toStrictEqual({ jobs: 1, letters: 0 });
});
