/**
 * The local asynchronous invoker stops for good when its pipeline closes: an invocation whose
 * destination cannot be reached (the endpoint is gone) kept trying forever, which held Jest open
 * after the run (and would have sent to another pipeline's endpoint on the same port later).
 */

import type { SQSClient } from '@aws-sdk/client-sqs';
import { AsyncInvoker } from '../../../local/event-source';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

const failing = async () => {
  throw new Error('the handler failed');
};

function invoker(sends: { n: number }) {
  const sqs = {
    send: async () => {
      sends.n += 1;
      throw new Error('connect ECONNREFUSED (the endpoint is gone)');
    },
  } as unknown as SQSClient;
  return new AsyncInvoker({
    sqs,
    functionName: 'restoreFromEvent',
    onFailureQueueUrl: 'http://127.0.0.1:1/123456789012/restore-dead-letters',
    retryDelaysMs: [10, 10],
    timeoutMs: 1_000,
  });
}

it('gives up the destination it cannot reach once closed, and says so', async () => {
  const sends = { n: 0 };
  const inv = invoker(sends);
  const run = inv.invoke(failing, {});
  await jest.advanceTimersByTimeAsync(1_000);
  // Lambda keeps trying its destination: so does the invoker while open.
  expect(sends.n).toBeGreaterThan(5);
  expect(inv.pending).toBe(1);
  expect(inv.describe()).toBe(
    // Its three attempts failed (the handler throws an Error): how each ended is told too.
    '0 attempt(s) running (the oldest for 0 ms), 0 waiting for a concurrency slot, 1 sending to the destination; attempts ended: 3 Error',
  );
  inv.close();
  await jest.advanceTimersByTimeAsync(200);
  await expect(run).resolves.toBe('closed');
  expect(inv.pending).toBe(0);
  const after = sends.n;
  await jest.advanceTimersByTimeAsync(1_000);
  expect(sends.n).toBe(after);
});

it('starts no attempt and no retry after it is closed', async () => {
  const calls: string[] = [];
  const inv = invoker({ n: 0 });
  const handler = async (event: { id: string }) => {
    calls.push(event.id);
    throw new Error('the handler failed');
  };
  const first = inv.invoke(handler, { id: 'a' });
  await jest.advanceTimersByTimeAsync(0);
  expect(inv.describe()).toMatch(/^0 attempt\(s\) running .*, 0 waiting for a concurrency slot, 0 sending/);
  inv.close();
  const second = inv.invoke(handler, { id: 'b' });
  await jest.advanceTimersByTimeAsync(100);
  await expect(first).resolves.toBe('closed');
  await expect(second).resolves.toBe('closed');
  // 'a' had its first attempt before the close and no retry after it; 'b' never ran.
  expect(calls).toStrictEqual(['a']);
  expect(inv.stats.retries).toBe(1);
});

it('says what its pending invocations are doing: attempts running and how long, and those waiting for a slot', async () => {
  const inv = new AsyncInvoker({
    sqs: {} as SQSClient,
    functionName: 'restoreFromEvent',
    onFailureQueueUrl: 'http://127.0.0.1:1/123456789012/restore-dead-letters',
    concurrency: 1,
    timeoutMs: 10_000,
  });
  const never = () => new Promise<never>(() => undefined);
  void inv.invoke(never, {});
  void inv.invoke(never, {});
  await jest.advanceTimersByTimeAsync(2_500);
  expect(inv.pending).toBe(2);
  expect(inv.describe()).toBe(
    '1 attempt(s) running (the oldest for 2500 ms), 1 waiting for a concurrency slot, 0 sending to the destination; attempts ended: none',
  );
  inv.close();
});
