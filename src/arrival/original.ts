/** The request exactly as it reached the pipeline, and what delivered it. */

import { gunzipSync } from 'node:zlib';
import { InvalidRequestError } from '../errors.js';
import type { OriginalRequest } from '../types.js';

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

// The shapes live with the shared types (src/types.ts), below every folder that carries them.
export type { OriginalRequest, TriggerInfo } from '../types.js';

/**
 * The original request body text of an SQS original; throws InvalidRequestError when a compressed
 * one does not unpack within the bound (a gzip bomb).
 */
export function originalBody(original: OriginalRequest): string | undefined {
  if ('body' in original) return original.body;
  if ('bodyGzipBase64' in original) return gunzipBounded(Buffer.from(original.bodyGzipBase64, 'base64'));
  return undefined;
}
