/**
 * Tags and deletion protection on a restored copy, for every type: the pipeline's own tag (which every later step's IAM is
 * held to), and the source's tags where the restore did not copy them. Keys starting with `aws:`
 * cannot be written, and the pipeline's own `backup-restore:` keys are never copied (in any case).
 */

import { classifyAwsError } from '../errors.js';
import { isNotFound } from './calls.js';
import { READY_TAG, type ReadyStep, type ReadyType, type Target, type Value } from './ready-steps.js';

export type Tags = Readonly<Record<string, string>>;

/** `read()`, or undefined when the resource does not exist; other errors are sorted and thrown. */
export async function readIfExists<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw classifyAwsError('read the source', error);
  }
}

/**
 * The tags of a source that a copy should carry: never AWS's (`aws:` in any case) nor the
 * pipeline's own keys, in any case either (IAM reads a tag key in a condition whatever its case:
 * docs/aws-behaviour.md#iam-tag-key-case).
 */
export function copiedTags(tags: Tags): Tags {
  return Object.fromEntries(Object.entries(tags).filter(([k]) => !/^(aws|backup-restore):/i.test(k)));
}

/** The pipeline's tag (`key` READY_TAG, the job id) or the source's tags (`key` tags). */
export function tagsStep(
  name: string,
  key: typeof READY_TAG | 'tags',
  read: (t: Target) => Promise<Tags>,
  write: (t: Target, tags: Tags) => Promise<void>,
): ReadyStep {
  if (key === READY_TAG) {
    return {
      name,
      key,
      manual: `tag the restored copy with ${READY_TAG}=<restore job id>`,
      read: async (t) => (await read(t))[READY_TAG] ?? null,
      // Whichever job marked it: the tag is written only where none is (IAM holds it so).
      same: (actual) => actual !== null,
      write: (t, wanted) => write(t, { [READY_TAG]: String(wanted) }),
    };
  }
  return {
    name,
    key,
    manual: "copy the source's tags onto the restored copy",
    read: async (t) => copiedTags(await read(t)),
    same: (actual, wanted) => Object.keys(missingTags(actual, wanted)).length === 0,
    write: (t, wanted, actual) => write(t, missingTags(actual, wanted)),
  };
}

/** Deletion protection on the copy as the source had it; `what` names the copy and the call that sets it. */
export function deletionProtectionStep(
  name: string,
  what: string,
  read: (t: Target) => Promise<boolean | undefined>,
  write: (t: Target, on: boolean) => Promise<unknown>,
): ReadyStep {
  return {
    name,
    key: 'deletionProtection',
    manual: `turn deletion protection on for ${what}`,
    read: async (t) => (await read(t)) === true,
    write: (t, wanted) => write(t, wanted === true).then(() => undefined),
  };
}

/** The wanted tags the copy does not carry with the same value. */
export function missingTags(actual: Value, wanted: Value): Tags {
  const have = (actual ?? {}) as Tags;
  return Object.fromEntries(Object.entries((wanted ?? {}) as Tags).filter(([k, v]) => have[k] !== v));
}

/** How a type whose make-ready is its tags alone reads and writes them. */
export interface TagsIo {
  /** A resource's tags by its ARN (the source's); the service's not-found error when it is gone. */
  readonly tagsOf: (t: Target, arn: string) => Promise<Tags>;
  /** The copy's tags. */
  readonly copyTags: (t: Target) => Promise<Tags>;
  /** Adds `tags` to the copy. */
  readonly tagCopy: (t: Target, tags: Tags) => Promise<void>;
}

/**
 * The make-ready of a type whose steps are its tags alone (EBS, EC2, EFS): the pipeline's tag
 * first (every later step is held to it), then the source's tags the copy lacks.
 */
export function tagsOnlyReady(resourceType: string, io: TagsIo, manual: readonly string[]): ReadyType {
  const prefix = resourceType.toLowerCase();
  return {
    resourceType,
    async readSource(t) {
      const arn = t.sourceArn;
      if (arn === undefined) return undefined;
      const tags = await readIfExists(() => io.tagsOf(t, arn));
      return tags === undefined ? undefined : { tags: copiedTags(tags) };
    },
    fromRecoveryPoint: () => ({}),
    steps: [
      tagsStep(`${prefix}.ready-tag`, READY_TAG, io.copyTags, io.tagCopy),
      tagsStep(`${prefix}.tags`, 'tags', io.copyTags, io.tagCopy),
    ],
    manual,
  };
}
