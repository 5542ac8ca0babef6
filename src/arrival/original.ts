/** The request exactly as it reached the pipeline, and what delivered it. */

import { gunzipSync } from 'node:zlib';
import { InvalidRequestError } from '../errors.js';

/** Gunzip never unpacks more than this (an original is at most an SQS message, 1 MiB). */
export const MAX_UNPACKED_BYTES = 1_048_576;

/** Unpacks gzip, never past `MAX_UNPACKED_BYTES` (a bomb throws instead of filling memory). */
export function gunzipBounded(data: Uint8Array): string {
  try {
    return gunzipSync(data, { maxOutputLength: MAX_UNPACKED_BYTES }).toString();
  } catch (error) {
    throw new InvalidRequestError(
      `The compressed original cannot be unpacked within ${MAX_UNPACKED_BYTES} bytes (too large or damaged); it is refused`,
      { cause: error },
    );
  }
}

/** The request exactly as it reached the pipeline. */
export type OriginalRequest =
  | { readonly trigger: 'sqs'; readonly body: string }
  | { readonly trigger: 'sqs'; readonly bodyGzipBase64: string }
  | { readonly trigger: 'eventbridge'; readonly event: unknown };

/** What a dead letter says about the trigger that delivered the request. */
export interface TriggerInfo {
  readonly type: 'sqs' | 'eventbridge' | 'restore-job-event' | 'restore-validation';
  /** SQS message id or EventBridge event id. */
  readonly id: string;
  /** 1 for the first delivery. */
  readonly attempt: number;
  /** When the need arose, if the trigger says (an SQS message's SentTimestamp); kept on the job link. */
  readonly neededAt?: string;
}

/**
 * The original request body text of an SQS original; throws InvalidRequestError when a compressed
 * one does not unpack within the bound (a gzip bomb).
 */
export function originalBody(original: OriginalRequest): string | undefined {
  if ('body' in original) return original.body;
  if ('bodyGzipBase64' in original) return gunzipBounded(Buffer.from(original.bodyGzipBase64, 'base64'));
  return undefined;
}
