/**
 * Every SDK attempt works to the invocation's deadline (see invocation.ts): an attempt that cannot
 * finish before it is not started, and one under way is cut off when it comes, so Lambda never
 * kills an invocation in the middle of a call and the last receive can still write its dead letter.
 *
 * Why the attempt needs a limit of its own: the pinned @smithy/node-http-handler only logs a
 * warning when `requestTimeout` passes ("If exceeded, a warning will be emitted unless
 * throwOnRequestTimeout=true", @smithy/types httpHandlerInitialization.d.ts), so a hung
 * connection held one attempt until the server dropped it (45 s) although requestTimeout was 10 s.
 */

import { DeadlineExceededError } from '../errors.js';
import { type DeadlineKind, deadlineFor, MIN_ATTEMPT_MS } from '../invocation.js';

/** Socket limits of every SDK attempt, before the deadline shortens them. */
export const HTTP_LIMITS = {
  /** TCP (and TLS) connection set-up. */
  connectionTimeoutMs: 3_000,
  /** One attempt from request to the end of the answer. */
  requestTimeoutMs: 10_000,
} as const;

// The error lives with the others (src/errors.ts), below every folder that throws or sorts it.
export { DeadlineExceededError } from '../errors.js';

/** The request fields read here (an SDK HttpRequest). */
interface AttemptRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
}

/** The options the SDK passes to its HTTP handler for one attempt. */
interface AttemptOptions {
  abortSignal?: unknown;
  requestTimeout?: number;
}

/** The SDK's HTTP handler, as far as it is used here. */
export interface SdkHttpHandler {
  handle(request: AttemptRequest, options?: AttemptOptions): Promise<unknown>;
  destroy?(): void;
}

function describeCall(request: AttemptRequest): string {
  const target = request.headers['x-amz-target'];
  return typeof target === 'string' ? target : `${request.method} ${request.path}`;
}

/** The SDK client options that make its own HTTP handler throw on a passed requestTimeout. */
export const REQUEST_HANDLER_OPTIONS = {
  connectionTimeout: HTTP_LIMITS.connectionTimeoutMs,
  requestTimeout: HTTP_LIMITS.requestTimeoutMs,
  throwOnRequestTimeout: true,
} as const;

/**
 * Wraps a client's HTTP handler so each attempt gets at most the time left before the deadline
 * of `kind`; an attempt with too little time left is not started.
 */
export class DeadlineHttpHandler {
  constructor(
    private readonly inner: SdkHttpHandler,
    private readonly kind: DeadlineKind,
    private readonly now: () => number = Date.now,
  ) {}

  async handle(request: AttemptRequest, options: AttemptOptions = {}): Promise<unknown> {
    const at = deadlineFor(this.kind);
    if (at === undefined) return this.inner.handle(request, options);
    const left = at - this.now();
    const what = this.kind === 'work' ? 'the time kept for the dead letter' : 'the function timeout';
    if (left < MIN_ATTEMPT_MS) {
      throw new DeadlineExceededError(
        `${describeCall(request)} was not started: ${Math.max(0, Math.round(left))} ms were left before ${what}`,
      );
    }
    const limit = Math.min(options.requestTimeout ?? HTTP_LIMITS.requestTimeoutMs, Math.floor(left));
    try {
      return await this.inner.handle(request, { ...options, requestTimeout: limit });
    } catch (error) {
      const timedOut = (error as { name?: unknown } | null)?.name === 'TimeoutError';
      if (timedOut && this.now() >= at - MIN_ATTEMPT_MS) {
        throw new DeadlineExceededError(
          `${describeCall(request)} had no answer within ${limit} ms and was cut off before ${what}`,
        );
      }
      throw error;
    }
  }

  destroy(): void {
    this.inner.destroy?.();
  }
}

/** Client config with a request handler (any SDK v3 client). */
interface HasRequestHandler {
  config: { requestHandler: unknown };
}

/** An SDK HTTP handler whose settings can be changed after it was built (@smithy/node-http-handler). */
interface ConfigurableHandler {
  updateHttpClientConfig?(key: 'throwOnRequestTimeout', value: boolean): void;
}

/**
 * Puts every attempt of `client` under the invocation's deadline of `kind`. Its handler is made to
 * throw on requestTimeout (as REQUEST_HANDLER_OPTIONS does), however the client was built: without
 * that an attempt cut to the deadline would only warn and wait on. The handler is read on every
 * send, so replacing it after construction is enough.
 */
export function underDeadline<C extends HasRequestHandler>(client: C, kind: DeadlineKind): C {
  const inner = client.config.requestHandler as SdkHttpHandler & ConfigurableHandler;
  if (!(inner instanceof DeadlineHttpHandler)) {
    inner.updateHttpClientConfig?.('throwOnRequestTimeout', true);
    client.config.requestHandler = new DeadlineHttpHandler(inner, kind);
  }
  return client;
}
