/**
 * What a restore request asks of make-ready, read by the request checks' own rule
 * (`readReady`, src/checks/shape.ts): `"Ready": false` skips the steps; `"Ready":
 * {"AuroraReaders": N}` adds N reader instances to a restored Aurora cluster. Absent or `true`: the
 * steps run, with no readers.
 */

import { readReady } from '../checks/shape.js';
import type { ReadyOptions } from '../resources/ready-steps.js';

/**
 * The request's make-ready options, or undefined when the request says `"Ready": false`. A value
 * the checks refuse never reaches a job (the request was checked when it arrived); one that still
 * does (a request made by an alarm carries none) runs the steps with no readers.
 */
export function readyOptionsOf(request: unknown): ReadyOptions | undefined {
  const value =
    typeof request === 'object' && request !== null ? (request as { Ready?: unknown }).Ready : undefined;
  const read = readReady(value);
  if ('problem' in read) return { readers: 0 };
  return read.options === false ? undefined : read.options;
}
