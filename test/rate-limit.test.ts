import { createRateLimiter } from '../src/rate-limit';

describe('createRateLimiter', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('spaces calls evenly at the given rate', async () => {
    const limiter = createRateLimiter(5, () => Date.now());
    const released: number[] = [];
    for (let i = 0; i < 4; i++) void limiter.take().then(() => released.push(Date.now()));
    await jest.advanceTimersByTimeAsync(1000);
    expect(released).toStrictEqual([0, 200, 400, 600]);
  });

  it('lets a call through at once after a quiet spell', async () => {
    const limiter = createRateLimiter(10, () => Date.now());
    await limiter.take();
    await jest.advanceTimersByTimeAsync(5000);
    const before = Date.now();
    await limiter.take();
    expect(Date.now()).toBe(before);
  });
});
