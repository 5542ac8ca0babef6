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
