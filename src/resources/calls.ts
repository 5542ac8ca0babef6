/**
 * What every type module's AWS steps share: calls with their errors sorted, "not found" told apart,
 * tag lists read as maps, a resource's id in its ARN, and the error that says a resource is not
 * ready yet (tried on the next run, never counted as a failure).
 */

import { classifyAwsError, RestorePipelineError } from '../errors.js';
import type { DrillContext } from './module.js';

/** Runs one call; any error is sorted (classifyAwsError) and thrown: the pipeline's one such helper. */
export { sortedCall as call } from '../aws/conditional.js';

/** A resource not ready for this step yet (a table UPDATING, volumes still attached): the next run goes on. */
export class NotReadyError extends RestorePipelineError {
  constructor(message: string) {
    super(message, { retryable: true });
    this.name = 'NotReadyError';
  }
}

const NOT_FOUND = new Set([
  'TableNotFoundException',
  'DBInstanceNotFound',
  'DBInstanceNotFoundFault',
  'DBClusterNotFoundFault',
  'ResourceNotFoundException',
  'InvalidVolume.NotFound',
  'InvalidInstanceID.NotFound',
  'FileSystemNotFound',
  'NoSuchBucket',
]);

/** True for the errors each service answers for a resource that does not exist. */
export function isNotFound(error: unknown): boolean {
  const e = error as { cause?: { name?: unknown }; name?: unknown; awsErrorName?: unknown };
  return [e.awsErrorName, e.cause?.name, e.name].some((name) => NOT_FOUND.has(String(name ?? '')));
}

// A validation read also takes malformed ids as "not found": the created resource is not there.
const NOT_FOUND_OR_MALFORMED = new Set([
  ...[...NOT_FOUND].filter((name) => name !== 'DBInstanceNotFound'),
  'InvalidInstanceID.Malformed',
  'InvalidVolumeID.Malformed',
]);

/** A validation read: undefined when the resource does not exist, any other error sorted and thrown. */
export async function readOrMissing<T>(operation: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    const name = (error as { name?: unknown })?.name;
    if (typeof name === 'string' && NOT_FOUND_OR_MALFORMED.has(name)) return undefined;
    throw classifyAwsError(operation, error);
  }
}

/** A tag list (`[{Key, Value}]`) as a map. */
export const tagMap = (list: readonly { Key?: string; Value?: string }[] | undefined) =>
  Object.fromEntries((list ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

/** A date AWS gave (a Date from the SDK), or undefined. */
export const dateOf = (value: unknown): Date | undefined =>
  value instanceof Date && Number.isFinite(value.getTime()) ? value : undefined;

/**
 * Waits until `ready()` says yes, at most until the context's deadline; throws NotReadyError with
 * `what` when it does not come in time (the next run tries again).
 */
export async function waitUntil(
  context: Pick<DrillContext, 'deadline' | 'sleep'>,
  what: string,
  ready: () => Promise<boolean>,
  intervalMs = 5_000,
): Promise<void> {
  while (!(await ready())) {
    if (Date.now() + intervalMs >= context.deadline) throw new NotReadyError(what);
    await context.sleep(intervalMs);
  }
}

/** The identifier inside a created resource's ARN (`db:<id>`, `volume/<id>`, S3's bucket name). */
export function resourceIdOf(arn: string): string {
  const resource = arn.split(':').slice(5).join(':');
  if (arn.startsWith('arn:aws:s3:::') || /^arn:[^:]+:s3:::/.test(arn)) return resource;
  const slash = resource.indexOf('/');
  const colon = resource.indexOf(':');
  const cut = [slash, colon].filter((i) => i >= 0);
  return cut.length === 0 ? resource : resource.slice(Math.min(...cut) + 1);
}

/** A step the drill cleanup has for no type: refused with a message naming the type. */
export const unsupported = (step: string, resourceType: string) =>
  classifyAwsError(
    step,
    Object.assign(new Error(`drills of ${resourceType} are not cleaned up by this pipeline`), {
      name: 'InvalidRequest',
    }),
  );
