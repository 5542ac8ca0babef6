/** A chaos campaign that cannot finish fails at its deadline, saying what it waited for, instead of hanging. */

import { settledWithin } from '../../local/settled-within';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

it('fails past its deadline naming what the pipeline was waiting for', async () => {
  const never = new Promise<never>(() => undefined);
  const waited = settledWithin(never, 150_000, 'the requests sent', () => [
    '2 asynchronous invocation(s) of restoreFromEvent',
  ]);
  const outcome = expect(waited).rejects.toThrow(
    'the requests sent had not settled after 150000 ms; the pipeline was waiting for: 2 asynchronous invocation(s) of restoreFromEvent',
  );
  await jest.advanceTimersByTimeAsync(150_001);
  await outcome;
});

it('answers with the work when it settles in time, and leaves no timer behind', async () => {
  await expect(settledWithin(Promise.resolve(7), 1_000, 'work', () => [])).resolves.toBe(7);
  expect(jest.getTimerCount()).toBe(0);
});
