/** A bounded wait for the local runs: what never settles fails, saying what it waited for. */

/**
 * Waits for `work`, at most `timeoutMs`: past it, fails naming what the pipeline was still
 * waiting for, so a campaign that cannot finish says why instead of hanging.
 */
export async function settledWithin<T>(
  work: Promise<T>,
  timeoutMs: number,
  what: string,
  waitingFor: () => string[],
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `${what} had not settled after ${timeoutMs} ms; the pipeline was waiting for: ${waitingFor().join('; ') || 'nothing'}`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
