/**
 * The rules of a restore that hold for every resource type, on the tables the type modules give
 * (src/resources/<type>.ts, listed in src/resources/registry.ts).
 */

import { isResourceType, RESOURCE_TYPES, type ResourceType, TYPES } from './registry.js';

export { isResourceType, RESOURCE_TYPES, type ResourceType };

const table = <V>(value: (m: (typeof TYPES)[number]) => V | undefined): Partial<Record<ResourceType, V>> =>
  Object.fromEntries(
    TYPES.flatMap((m) => {
      const v = value(m);
      return v === undefined ? [] : [[m.type, v]];
    }),
  );

/** Metadata keys a restore of each type cannot do without. */
export const REQUIRED_METADATA_KEYS: Readonly<Partial<Record<ResourceType, readonly string[]>>> = table(
  (m) => ('required' in m.restore ? m.restore.required : undefined),
);

/**
 * The metadata keys that name or reuse the target of a restore, per type: a drill never takes them
 * from its caller (a drill creates, and deletes only what it created). For the types of DRILL_TYPES
 * the pipeline sets the ones a restore to a new resource needs (each module's newIdentity) and
 * leaves the others out; EBS and EC2 restores always create a new volume or instance, with an id
 * AWS chooses. Keys are matched without regard to case. docs/aws-behaviour.md#b-restore-target-keys
 */
export const TARGET_KEYS: Readonly<Record<ResourceType, readonly string[]>> = table(
  (m) => m.restore.targetKeys,
) as Record<ResourceType, readonly string[]>; // every module has targetKeys

/**
 * The types a drill may restore: those whose every target key the pipeline sets to a new resource,
 * and those AWS always restores as a new resource (EBS, EC2), and that the drill cleanup can delete
 * (the modules' drill steps; test/unit/drills/drillable.test.ts holds the two together).
 */
export const DRILL_TYPES: ReadonlySet<ResourceType> = new Set(
  TYPES.filter((m) => m.drillable).map((m) => m.type),
);

/** Types whose metadata keys AWS matches without regard to case. */
export const CASE_INSENSITIVE_KEYS: ReadonlySet<ResourceType> = new Set(
  TYPES.filter((m) => 'caseInsensitiveKeys' in m.restore && m.restore.caseInsensitiveKeys).map((m) => m.type),
);

/**
 * Types for which `CopySourceTagsToRestoredResource: true` makes the restore job fail
 * (restoring-a-backup.html). The pipeline refuses such requests before calling AWS, and never
 * sends the field for them at all (not even `false`). docs/aws-behaviour.md#copy-tags
 */
export const COPY_TAGS_UNSUPPORTED: ReadonlySet<ResourceType> = new Set(
  TYPES.filter((m) => !m.restore.copyTags).map((m) => m.type),
);

/**
 * The metadata key each type takes the moment of a point-in-time restore from a continuous
 * recovery point in (ISO 8601, to the second). Types without one have no continuous backup the
 * pipeline restores. docs/aws-behaviour.md#continuous-restore-keys (the names follow the services'
 * own point-in-time parameters; each module's pointInTimeKey is the one place to correct).
 */
export const POINT_IN_TIME_KEYS: Readonly<Partial<Record<ResourceType, string>>> = table((m) =>
  'pointInTimeKey' in m.restore ? m.restore.pointInTimeKey : undefined,
);

/** Every target key of any type (a drill by resource is checked before its type is known). */
export const ANY_TARGET_KEYS: readonly string[] = [...new Set(Object.values(TARGET_KEYS).flat())];

/**
 * A key folded the widest way a service could match it without regard to case: compatibility
 * forms (fullwidth letters, the Kelvin sign), upper then lower case (long s, dotless i), marks
 * dropped (dotted capital I). AWS documents none of this; folding wide only ever refuses more.
 */
const foldKey = (key: string) =>
  key.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKD').replace(/\p{M}/gu, '');

/** The keys of `metadata` that name or reuse a target of `type` (of any type when undefined), in any spelling. */
export function targetKeysIn(
  type: ResourceType | undefined,
  metadata: Readonly<Record<string, string>>,
): string[] {
  const keys = new Set((type === undefined ? ANY_TARGET_KEYS : TARGET_KEYS[type]).map(foldKey));
  return Object.keys(metadata).filter((key) => keys.has(foldKey(key)));
}

/**
 * Why a drill cannot be restored as asked (undefined: it can): a type the pipeline cannot make
 * create a new resource, or metadata that names or reuses a target.
 */
export function drillTargetProblem(
  type: ResourceType | undefined,
  metadata: Readonly<Record<string, string>>,
): string | undefined {
  if (type !== undefined && !DRILL_TYPES.has(type)) {
    return `Drill: ${withArticle(type)} restore cannot be made to create only a new resource, so it is never drilled (drills restore ${[...DRILL_TYPES].join(', ')})`;
  }
  // Every type's keys, whatever the type: a declared ResourceType is the caller's word, not the
  // point's (an EBS drill of an S3 point would otherwise carry NewBucket "false").
  const named = targetKeysIn(undefined, metadata);
  if (named.length === 0) return undefined;
  return `Drill: Metadata.${named.join(', Metadata.')} would name or reuse the restore's target; a drill always restores into a new resource the pipeline names (and its cleanup deletes only that): leave ${named.length === 1 ? 'it' : 'them'} out`;
}

/** The required metadata keys missing from `metadata` for `type`. */
export function missingMetadataKeys(
  type: ResourceType,
  metadata: Readonly<Record<string, string>>,
): string[] {
  const required = REQUIRED_METADATA_KEYS[type] ?? [];
  const present = Object.keys(metadata);
  const has = CASE_INSENSITIVE_KEYS.has(type)
    ? (key: string) => present.some((p) => p.toLowerCase() === key.toLowerCase())
    : (key: string) => present.includes(key);
  return required.filter((key) => !has(key));
}

/**
 * "a" or "an" before a resource type, as it is read aloud: "an EBS restore", "an S3 restore",
 * "an Aurora restore", "a DynamoDB restore" (letters of an acronym by their names).
 */
export function withArticle(type: string): string {
  const acronym = /^[A-Z0-9]{2,}/.test(type) || /^[A-Z]{2}/.test(type);
  const vowelSound = acronym ? /^[AEFHILMNORSX]/.test(type) : /^[AEIOU]/i.test(type);
  return `${vowelSound ? 'an' : 'a'} ${type}`;
}
