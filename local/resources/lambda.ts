/**
 * Local AWS Lambda Invoke (REST-JSON, `POST /2015-03-31/functions/{name}/invocations`) over a
 * registry of local functions: synchronously (RequestResponse, as custom restore validators are
 * invoked), the answer in the payload, a function error flagged by X-Amz-Function-Error; or
 * asynchronously (Event, as the reconciler asks makeReady): 202 with no body once the event is
 * handed over, the function run afterwards (docs/aws-behaviour.md#l-invoke-event). A function
 * registered for asynchronous invocation brings its own retries and destination (AsyncInvoker).
 */

import { jsonError, LocalReply } from './reply.js';

/** A local function: takes the parsed payload, returns what the function returns. */
export type LocalFunction = (event: unknown) => unknown | Promise<unknown>;

/** The local functions, by name. */
export class LocalLambda {
  readonly functions = new Map<string, LocalFunction>();
  readonly invocations: { functionName: string; payload: unknown }[] = [];

  constructor(
    private readonly region: string,
    private readonly accountId: string,
  ) {}

  /** Adds (or replaces) a function. */
  register(name: string, fn: LocalFunction): void {
    this.functions.set(name, fn);
  }

  /** The function name inside a name, a partial ARN or an ARN (with or without a qualifier). */
  static nameOf(functionName: string): string {
    const parts = functionName.split(':');
    if (functionName.startsWith('arn:')) return parts[6] ?? '';
    // "123456789012:function:name" or "name"
    return parts.length >= 3 ? (parts[2] ?? '') : (parts[0] ?? '');
  }

  /** Invoke; undefined for a path that is not an invocation. */
  route(
    method: string,
    url: URL,
    body: string,
    invocationType = 'RequestResponse',
  ): { operation: string; run: () => Promise<LocalReply> } | undefined {
    const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
    if (method !== 'POST' || m === null) return undefined;
    const requested = decodeURIComponent(m[1] ?? '');
    return {
      operation: 'Invoke',
      run: async () => {
        const name = LocalLambda.nameOf(requested);
        const fn = this.functions.get(name);
        if (fn === undefined) {
          return jsonError(
            404,
            'ResourceNotFoundException',
            `Function not found: arn:aws:lambda:${this.region}:${this.accountId}:function:${name}`,
            { Type: 'User' },
          );
        }
        let payload: unknown;
        try {
          payload = body === '' ? {} : JSON.parse(body);
        } catch {
          return jsonError(400, 'InvalidRequestContentException', 'Could not parse request body into json');
        }
        this.invocations.push({ functionName: name, payload });
        const headers = { 'content-type': 'application/json', 'x-amzn-requestid': crypto.randomUUID() };
        if (invocationType === 'Event') {
          // Queued: what the function does later is not the caller's answer.
          setImmediate(
            () =>
              void Promise.resolve(payload)
                .then(fn)
                .catch(() => undefined),
          );
          return new LocalReply(202, headers, '');
        }
        if (invocationType !== 'RequestResponse')
          return jsonError(
            400,
            'InvalidParameterValueException',
            `Unsupported invocation type ${invocationType}`,
          );
        try {
          const result = await fn(payload);
          return new LocalReply(200, headers, result === undefined ? 'null' : JSON.stringify(result));
        } catch (error) {
          const e = error instanceof Error ? error : new Error(String(error));
          return new LocalReply(
            200,
            { ...headers, 'x-amz-function-error': 'Unhandled' },
            JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: [] }),
          );
        }
      },
    };
  }
}
