/**
 * What every per-type drill module shares: AWS calls with their errors sorted, "not found" told
 * apart, tag lists read as maps, the context a tag or a deletion runs in, and the error that says
 * a resource is not ready yet (tried on the next run, never counted as a failure).
 */

import { RestorePipelineError } from '../errors.js';

/** What the cleanup knows of the drill's job while it tags or deletes its resource. */
export interface DrillContext {
  readonly restoreJobId: string;
  /** DescribeRestoreJob's CreationDate: every resource the job created was created after it. */
  readonly jobCreatedAt: Date | undefined;
  /** DescribeRestoreJob's CompletionDate: every resource the job created existed by then. */
  readonly jobCompletedAt?: Date;
  /** DescribeRestoreJob's AccountId: the account of the job and of what it created (S3 Control calls). */
  readonly accountId: string | undefined;
  /** Epoch milliseconds: a wait for AWS ends before this (the invocation's deadline, less a reserve). */
  readonly deadline: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** EC2: the volumes recorded as the drill's when it was tagged. */
  readonly volumeIds?: readonly string[];
}

/** A resource not ready for this step yet (a table UPDATING, volumes still attached): the next run goes on. */
export class NotReadyError extends RestorePipelineError {
  constructor(message: string) {
    super(message, { retryable: true });
    this.name = 'NotReadyError';
  }
}

/** Runs one call; any error is sorted (classifyAwsError) and thrown: the pipeline's one such helper. */
export { sortedCall as call } from '../aws/conditional.js';

const NOT_FOUND = new Set([
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
  const cause = (error as { cause?: { name?: unknown } }).cause;
  const name = (error as { name?: unknown }).name;
  return NOT_FOUND.has(String(cause?.name ?? '')) || NOT_FOUND.has(String(name ?? ''));
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
