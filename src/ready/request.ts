/**
 * What a restore request asks of make-ready, read by the request checks' own rule
 * (`readReady`, src/checks/shape.ts): `"Ready": false` skips the steps; `"Ready":
 * {"AuroraReaders": N}` adds N reader instances to a restored Aurora cluster. Absent or `true`: the
 * steps run, with no readers.
 */

import { type OriginalRequest, originalBody } from '../arrival/original.js';
import { readReady } from '../checks/shape.js';
import type { ReadyOptions } from '../resources/ready-steps.js';
import { typeModule } from '../resources/registry.js';

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

/** The request a job came from: the SQS body or the event's detail, parsed (undefined when unreadable). */
export function requestOf(original: OriginalRequest): unknown {
  if (original.trigger === 'eventbridge') return (original.event as { detail?: unknown } | null)?.detail;
  try {
    return JSON.parse(originalBody(original) ?? 'null');
  } catch {
    return undefined;
  }
}

/**
 * Whether a COMPLETED job is made ready before it is validated: its type has make-ready steps and
 * its request did not say `"Ready": false`. Then make-ready asks for the validation when it ends,
 * so the validator judges the ready copy; otherwise the tracker asks for it at once.
 */
export function validatedAfterReady(resourceType: string, request: unknown): boolean {
  return typeModule(resourceType)?.madeReady === true && readyOptionsOf(request) !== undefined;
}
