/**
 * What AWS Backup needs to restore each resource type (see ../shared/docs/aws-facts.md and the
 * per-type restore pages of the AWS Backup developer guide).
 */

/** Resource types StartRestoreJob accepts, spelled as the API spells them. */
export const RESOURCE_TYPES = [
  'Aurora',
  'CloudFormation',
  'DocumentDB',
  'DynamoDB',
  'EBS',
  'EC2',
  'EFS',
  'EKS',
  'FSx',
  'Neptune',
  'RDS',
  'Redshift',
  'S3',
  'Storage Gateway',
  'Timestream',
  'VirtualMachine',
] as const;

export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** Metadata keys a restore of each type cannot do without. */
export const REQUIRED_METADATA_KEYS: Readonly<Partial<Record<ResourceType, readonly string[]>>> = {
  Aurora: ['dbClusterIdentifier', 'engine'],
  CloudFormation: ['StackName', 'ChangeSetName'],
  DocumentDB: ['dbClusterIdentifier', 'engine'],
  DynamoDB: ['targetTableName'],
  EBS: ['availabilityZone'],
  EFS: ['newFileSystem', 'CreationToken', 'Encrypted', 'PerformanceMode', 'file-system-id'],
  Neptune: ['dbClusterIdentifier', 'engine'],
  RDS: ['DBInstanceIdentifier'],
  Redshift: ['ClusterIdentifier', 'RestoreType'],
  S3: ['DestinationBucketName'],
  'Storage Gateway': ['gatewayArn', 'targetName'],
  Timestream: ['TableName'],
  VirtualMachine: ['RestoreTo'],
};

/**
 * The metadata keys that name or reuse the target of a restore, per type: a drill never takes them
 * from its caller (a drill creates, and deletes only what it created). For the types of DRILL_TYPES
 * the pipeline sets the ones a restore to a new resource needs (newIdentity, src/plan/metadata.ts)
 * and leaves the others out; EBS and EC2 restores always create a new volume or instance, with an id
 * AWS chooses. Keys are matched without regard to case. docs/aws-behaviour.md#b-restore-target-keys
 */
export const TARGET_KEYS: Readonly<Record<ResourceType, readonly string[]>> = {
  Aurora: ['dbClusterIdentifier'],
  CloudFormation: ['StackName', 'ChangeSetName'],
  DocumentDB: ['dbClusterIdentifier'],
  DynamoDB: ['targetTableName'],
  EBS: [],
  EC2: [],
  EFS: ['newFileSystem', 'CreationToken', 'FileSystemId'],
  EKS: [],
  FSx: [],
  Neptune: ['dbClusterIdentifier'],
  RDS: ['DBInstanceIdentifier'],
  // A table restore writes into an existing cluster: its target keys are refused with the cluster's.
  Redshift: ['ClusterIdentifier', 'TargetDatabaseName', 'TargetSchemaName', 'NewTableName'],
  S3: ['DestinationBucketName', 'NewBucket'],
  'Storage Gateway': ['gatewayArn', 'targetName'],
  Timestream: ['DatabaseName', 'TableName'],
  VirtualMachine: ['RestoreTo'],
};

/**
 * The types a drill may restore: those whose every target key the pipeline sets to a new resource,
 * and those AWS always restores as a new resource (EBS, EC2), and that the drill cleanup can delete
 * (src/drills/resources.ts; test/drills/drillable.test.ts holds the two together). Redshift is not
 * one: nothing would delete its cluster.
 */
export const DRILL_TYPES: ReadonlySet<ResourceType> = new Set([
  'Aurora',
  'DocumentDB',
  'DynamoDB',
  'EBS',
  'EC2',
  'EFS',
  'Neptune',
  'RDS',
  'S3',
]);

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

/** Types whose metadata keys AWS matches without regard to case. */
export const CASE_INSENSITIVE_KEYS: ReadonlySet<ResourceType> = new Set(['DynamoDB']);

/**
 * Types for which `CopySourceTagsToRestoredResource: true` makes the restore job fail
 * (restoring-a-backup.html). The pipeline refuses such requests before calling AWS, and never
 * sends the field for them at all (not even `false`). docs/aws-behaviour.md#copy-tags
 */
export const COPY_TAGS_UNSUPPORTED: ReadonlySet<ResourceType> = new Set([
  'DynamoDB',
  'S3',
  'Timestream',
  'VirtualMachine',
]);

/**
 * The metadata key each type takes the moment of a point-in-time restore from a continuous
 * recovery point in (ISO 8601, to the second). Types without a key here have no continuous backup
 * the pipeline restores. docs/aws-behaviour.md#continuous-restore-keys
 * Not confirmed from AWS Backup's per-type restore pages (not found in the reference searched):
 * the names follow the services' own point-in-time parameters (RDS RestoreDBInstanceToPointInTime
 * `RestoreTime`, RDS RestoreDBClusterToPointInTime `RestoreToTime` in Backup's camelCase for
 * Aurora). Check them against restoring-rds.html, restoring-aur.html and restoring-s3.html before
 * relying on them; this table is the one place to correct.
 */
export const POINT_IN_TIME_KEYS: Readonly<Partial<Record<ResourceType, string>>> = {
  RDS: 'RestoreTime',
  Aurora: 'restoreToTime',
  S3: 'RestoreTime',
};

/** True when `value` is a resource type StartRestoreJob knows. */
export function isResourceType(value: string): value is ResourceType {
  return (RESOURCE_TYPES as readonly string[]).includes(value);
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
