/**
 * What a restore request asks of make-ready: `"Ready": false` skips the steps; `"Ready":
 * {"AuroraReaders": N}` adds N reader instances to a restored Aurora cluster. Absent or `true`: the
 * steps run, with no readers.
 */

import type { ReadyOptions } from '../resources/ready-steps.js';

/** The request's make-ready options, or undefined when the request says `"Ready": false`. */
export function readyOptionsOf(request: unknown): ReadyOptions | undefined {
  const ready =
    typeof request === 'object' && request !== null ? (request as { Ready?: unknown }).Ready : undefined;
  if (ready === false) return undefined;
  const readers =
    typeof ready === 'object' && ready !== null
      ? (ready as { AuroraReaders?: unknown }).AuroraReaders
      : undefined;
  return {
    readers:
      typeof readers === 'number' && Number.isInteger(readers) && readers > 0 ? Math.min(readers, 15) : 0,
  };
}
