/**
 * A restore's idempotency token: derived from what the restore would do, so the same request,
 * however often it is delivered, retried or redriven, asks AWS for the same job. Pure.
 */

import { createHash } from 'node:crypto';
import { isPlainObject } from '../json.js';

/** Canonical JSON: object keys sorted, so the same request always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isPlainObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .filter((key) => value[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * An idempotency token derived from what the restore would do, so redelivery, Lambda retries and
 * redrives of the same request reuse it. `generation` changes it on purpose (a retry after the
 * job AWS accepted has failed).
 */
export function deriveIdempotencyToken(
  input: Readonly<Record<string, unknown>>,
  generation?: string,
): string {
  const hex = createHash('sha256')
    .update(canonical({ ...input, generation }))
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
