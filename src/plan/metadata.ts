/**
 * The restore metadata of a recovery point chosen by resource: what the point stored, less the keys
 * AWS rejects, with a new identity for the restored resource (restores never overwrite), then the
 * overrides. Pure.
 */

import { createHash } from 'node:crypto';
import { InvalidRequestError } from '../errors.js';
import { TYPES, typeModule } from '../resources/registry.js';
import {
  drillTargetProblem,
  isResourceType,
  type ResourceType,
  TARGET_KEYS,
  targetKeysIn,
} from '../resources/rules.js';

/** Keys AWS rejects, or marks as information only, in stored restore metadata, per type. */
export const DROPPED_KEYS: Readonly<Partial<Record<ResourceType, readonly string[]>>> = Object.fromEntries(
  TYPES.flatMap((m) => ('droppedKeys' in m.restore ? [[m.type, m.restore.droppedKeys]] : [])),
);

/**
 * The seed of the restored resource's new name. A retry after a failed job gets a new one: the
 * failed job may have left a resource with the old name behind.
 */
function nameSeed(token: string, failedRestoreJobId: string | undefined): string {
  return failedRestoreJobId === undefined ? token : `${token}/after:${failedRestoreJobId}`;
}

/**
 * A short, deterministic suffix for new names: the same restore always gets the same name. A drill's
 * starts with `d`, a recovery's with `r`: whatever token a caller picks, a drill's new name is never
 * one a recovery was given (7 hex digits can be searched for a match in minutes).
 */
export function identitySuffix(seed: string, drill = false): string {
  return `${drill ? 'd' : 'r'}${createHash('sha256').update(seed).digest('hex').slice(0, 7)}`;
}

/**
 * Gives the restored resource a new identity (restores never overwrite): the target keys of its
 * type (TARGET_KEYS) set to new names built on the old ones, and "restore to new" switched on, as
 * the type's module says. Returns a copy; types AWS always restores as new (EBS, EC2, ...) are left
 * as they are.
 */
export function newIdentity(
  type: string,
  source: Readonly<Record<string, string>>,
  suffix: string,
): Record<string, string> {
  const metadata: Record<string, string> = { ...source };
  const restore = typeModule(type)?.restore;
  restore?.newIdentity?.(metadata, suffix);
  return metadata;
}

/**
 * Builds restore metadata from what the recovery point stored: drops keys AWS rejects, gives the
 * restored resource a new identity (restores never overwrite), then applies the overrides. A
 * drill's overrides never name or reuse a target (InvalidRequestError): its identity is the
 * pipeline's, so its cleanup can only ever delete what the drill created.
 */
export function prepareMetadata(
  type: string,
  stored: Readonly<Record<string, string>>,
  overrides: Readonly<Record<string, string>>,
  suffix: string,
  drill = false,
): Record<string, string> {
  if (drill) {
    const problem = drillTargetProblem(isResourceType(type) ? type : undefined, overrides);
    if (problem !== undefined || !isResourceType(type)) {
      throw new InvalidRequestError(
        problem ?? `Drill: ${type} is not a resource type the pipeline knows how to restore as new`,
      );
    }
  }
  const kept: Record<string, string> = { ...stored };
  for (const key of DROPPED_KEYS[type as ResourceType] ?? []) delete kept[key];
  // A drill's targets are the pipeline's alone: a stored key in another spelling would sit beside
  // the one newIdentity sets, and a service that folds case could take it.
  if (drill && isResourceType(type))
    for (const key of targetKeysIn(type, kept)) if (!TARGET_KEYS[type].includes(key)) delete kept[key];
  const metadata = newIdentity(type, kept, suffix);
  typeModule(type)?.restore.beforeOverrides?.(metadata, overrides);
  return { ...metadata, ...overrides };
}

/**
 * The metadata a chosen point is restored with (prepareMetadata), its new names made from the
 * restore's token: a drill's never the names the same request sent for real gets, and a retry
 * after a failed job gets new ones (nameSeed).
 */
export function restoredMetadata(
  type: string,
  stored: Readonly<Record<string, string>>,
  overrides: Readonly<Record<string, string>>,
  naming: {
    readonly token: string;
    readonly failedRestoreJobId: string | undefined;
    readonly drill: boolean;
  },
): Record<string, string> {
  const seed = naming.drill ? `${naming.token}#drill` : naming.token;
  const suffix = identitySuffix(nameSeed(seed, naming.failedRestoreJobId), naming.drill);
  return prepareMetadata(type, stored, overrides, suffix, naming.drill);
}
