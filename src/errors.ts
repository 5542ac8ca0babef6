/**
 * The pipeline's errors. Handlers branch on `retryable` only: a permanent error goes to the
 * dead-letter queue at once, a retryable one is retried by the trigger (SQS or Lambda's async
 * retries) and dead-lettered on the last attempt.
 */

import { scrubText } from './invocation.js';

/** Base of every error the pipeline raises on purpose. */
export class RestorePipelineError extends Error {
  readonly retryable: boolean;

  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RestorePipelineError';
    this.retryable = options.retryable;
  }
}

/** The request itself is wrong; retrying the same request cannot succeed. */
export class InvalidRequestError extends RestorePipelineError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retryable: false, ...options });
    this.name = 'InvalidRequestError';
  }
}

/** The request is well formed but not allowed by this deployment (role, account, vault). */
export class ForbiddenRequestError extends RestorePipelineError {
  constructor(message: string) {
    super(message, { retryable: false });
    this.name = 'ForbiddenRequestError';
  }
}

/** AWS refused the call; `retryable` follows the table in aws-facts.md. */
export class AwsCallError extends RestorePipelineError {
  /** The AWS error name, e.g. `ThrottlingException`. */
  readonly awsErrorName: string;

  constructor(operation: string, awsErrorName: string, message: string, retryable: boolean, cause: unknown) {
    super(`${operation} failed with ${awsErrorName}: ${message}`, { retryable, cause });
    this.name = 'AwsCallError';
    this.awsErrorName = awsErrorName;
  }
}

/** A restore job AWS accepted ended FAILED or ABORTED, or finished only in part. */
export class RestoreJobFailedError extends RestorePipelineError {
  constructor(message: string) {
    super(message, { retryable: false });
    this.name = 'RestoreJobFailedError';
  }
}

/**
 * Refused or cut off because the invocation's time is running out. Retryable: the trigger
 * delivers the request again, and on the last delivery the reserve is used to dead-letter it.
 * The SDK does not retry it (no transient name, code or status).
 */
export class DeadlineExceededError extends RestorePipelineError {
  constructor(message: string) {
    super(message, { retryable: true });
    this.name = 'DeadlineExceededError';
  }
}

/**
 * What AWS documents an error to mean, where that is more than its fault: these win over the
 * SDK's metadata. docs/aws-behaviour.md#error-meanings
 */
const DOCUMENTED_MEANING: Readonly<Record<string, boolean>> = {
  // AWS Backup: "Backup can't perform the action that you requested until it finishes performing a
  // previous action. Try again later."
  ConflictException: true,
  // AWS Backup: "AWS Backup is already performing an action on this recovery point ... Try again later."
  InvalidResourceStateException: true,
  // AWS Backup: a dependent service returned an error; a server fault.
  DependencyFailureException: true,
  // AWS Backup: "A limit in the request has been exceeded; for example, a maximum number of items
  // allowed in a request." A limit of the request, not a rate: retrying the same request cannot pass.
  LimitExceededException: false,
  ServiceUnavailableException: true,
  // DynamoDB: a condition that did not hold stays false on a retry of the same write.
  ConditionalCheckFailedException: false,
  ItemCollectionSizeLimitExceededException: false,
  // DynamoDB: rates and transaction races pass.
  ProvisionedThroughputExceededException: true,
  RequestLimitExceeded: true,
  TransactionConflictException: true,
  // The pipeline's own calls are signed correctly; these are configuration, not luck.
  AccessDeniedException: false,
  AccessDenied: false,
  UnrecognizedClientException: false,
  InvalidSignatureException: false,
};

/** Rate limits are client faults that pass with time. */
const THROTTLING_ERRORS = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'KmsThrottled',
  'SlowDown',
  'RequestLimitExceeded',
]);

const TRANSIENT_NAMES = new Set([
  'InternalFailure',
  'InternalServerError',
  'InternalServerException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

const NETWORK_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

interface SdkLikeError {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: number };
  $fault?: unknown;
  $retryable?: unknown;
}

/**
 * Sorts an error thrown by any AWS SDK call into retryable or permanent and wraps it: first what
 * AWS documents the error to mean, then the SDK's own metadata (`$retryable`, `$fault`), then the
 * HTTP status. What is not recognised as permanent is retryable: a request is retried and
 * dead-lettered on its last attempt rather than dropped on a guess.
 */
export function classifyAwsError(operation: string, error: unknown): RestorePipelineError {
  if (error instanceof RestorePipelineError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkLikeError;
  const name = typeof e.name === 'string' && e.name !== '' ? e.name : 'Error';
  const message = typeof e.message === 'string' ? e.message : String(error);
  const status = e.$metadata?.httpStatusCode;
  const code = typeof e.code === 'string' ? e.code : undefined;

  let retryable: boolean;
  const documented = Object.hasOwn(DOCUMENTED_MEANING, name) ? DOCUMENTED_MEANING[name] : undefined;
  if (documented !== undefined) retryable = documented;
  else if (THROTTLING_ERRORS.has(name) || TRANSIENT_NAMES.has(name)) retryable = true;
  else if (typeof e.$retryable === 'object' && e.$retryable !== null) retryable = true;
  else if (e.$fault === 'server') retryable = true;
  else if (e.$fault === 'client') retryable = status === 429;
  else if (code !== undefined && NETWORK_ERROR_CODES.has(code)) retryable = true;
  else if (status !== undefined && status >= 500) retryable = true;
  else if (status === 429) retryable = true;
  else if (status !== undefined && status >= 400) retryable = false;
  else retryable = true;
  return new AwsCallError(operation, name, message, retryable, error);
}

/**
 * A short description of any thrown value, for logs and dead letters (never the whole object).
 * Text that came from outside (AWS's messages, anything not written by the pipeline's own checks)
 * is scrubbed of the invocation's known secrets; the checks' own messages never quote a value.
 */
export function describeError(error: unknown): { name: string; message: string; retryable: boolean } {
  const own = error instanceof InvalidRequestError || error instanceof ForbiddenRequestError;
  if (error instanceof RestorePipelineError) {
    return {
      name: error.name,
      message: own ? error.message : scrubText(error.message),
      retryable: error.retryable,
    };
  }
  if (error instanceof Error) return { name: error.name, message: scrubText(error.message), retryable: true };
  return { name: 'Error', message: scrubText(String(error)), retryable: true };
}
