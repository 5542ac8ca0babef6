/**
 * A "Restore Requested" event whose detail is nested deeper than JSON.stringify can walk (an
 * EventBridge event is at most 256 KB: 60,000 levels of [] fit) is refused by the checks, but its
 * dead letter cannot be serialised: the invocation throws, Lambda retries it for minutes and its
 * on-failure record ends in the queue with "Lambda's asynchronous retries ran out", not the reason.
 */
import { createHandler } from '../../handlers/restore-from-event';
import { context } from '../helpers/fixtures';
import { pipeline, stopTables } from '../helpers/queue-pipeline';

afterEach(stopTables);

test('a deeply nested event is dead-lettered at once, with its reason', async () => {
  const p = await pipeline();
  const depth = 60_000;
  const detail = JSON.parse(
    `{"RecoveryPointArn":"x","Metadata":{},"Junk":${'['.repeat(depth)}${']'.repeat(depth)}}`,
  );
  const event = {
    version: '0',
    id: 'evt-deep',
    'detail-type': 'Restore Requested',
    source: 'backup-restore.requests',
    account: '123456789012',
    time: '2026-11-26T12:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail,
  };
  const outcome = await createHandler(p.deps)(event as never, context).then(
    () => 'resolved',
    (e: unknown) => `threw ${(e as Error).name}: ${(e as Error).message}`.slice(0, 200),
  );
  expect(outcome).toBe('resolved');
  expect(p.letters.map((l) => l.failure)).toStrictEqual(['rejected']);
  // The event is kept as the beginning of its text, and the letter says it cannot be redriven.
  const letter = p.letters[0];
  expect(letter?.redrivable).toBe(false);
  expect(letter?.reason).toMatch(/nested too deeply to be written as JSON/);
  const kept = (letter?.original as { event?: unknown } | undefined)?.event;
  expect(typeof kept).toBe('string');
  expect(String(kept)).toMatch(/^\{"version":"0","id":"evt-deep",/);
  expect(String(kept).length).toBeLessThanOrEqual(4096);
});
