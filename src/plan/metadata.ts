/**
 * The restore metadata of a recovery point chosen by resource: what the point stored, less the keys
 * AWS rejects, with a new identity for the restored resource (restores never overwrite), then the
 * overrides. Pure.
 */

import { createHash } from 'node:crypto';
import { InvalidRequestError } from '../errors.js';
import {
  drillTargetProblem,
  isResourceType,
  type ResourceType,
  TARGET_KEYS,
  targetKeysIn,
} from '../resource-types.js';

/** Keys AWS rejects, or marks as information only, in stored restore metadata, per type. */
export const DROPPED_KEYS: Readonly<Partial<Record<ResourceType, readonly string[]>>> = {
  RDS: ['DBSnapshotIdentifier', 'EngineVersion', 'KmsKeyId', 'Encrypted', 'vpcId'],
  Aurora: ['DBSnapshotIdentifier', 'DBClusterSnapshotIdentifier'],
  DocumentDB: ['DBSnapshotIdentifier', 'DBClusterSnapshotIdentifier'],
  Neptune: ['DBSnapshotIdentifier', 'DBClusterSnapshotIdentifier'],
  EC2: ['CpuOptions'],
};

/**
 * The seed of the restored resource's new name. A retry after a failed job gets a new one: the
 * failed job may have left a resource with the old name behind.
 */
export function nameSeed(token: string, failedRestoreJobId: string | undefined): string {
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

/** `base-suffix`, cut to `max` and cleaned to fit a name rule. */
function newName(
  base: string | undefined,
  suffix: string,
  max: number,
  clean: (s: string) => string,
  fallback: string,
): string {
  const stem = clean(base ?? '') || fallback;
  const room = max - suffix.length - 1;
  return `${clean(stem.slice(0, room))}-${suffix}`;
}

// RDS, Aurora, DocumentDB, Neptune, Redshift: letters, digits, hyphens; starts with a letter; no
// double hyphen; does not end with a hyphen; 63 characters at most.
const dbName = (s: string) =>
  s
    .replace(/[^A-Za-z0-9-]/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^A-Za-z]+/, '')
    .replace(/-+$/, '');
// S3 buckets: lowercase letters, digits, hyphens; starts and ends with a letter or digit; 63 at most.
const bucketName = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/-+$/, '');
// DynamoDB tables: letters, digits, "_", "-", "."; 3 to 255 characters.
const tableName = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '-');

/** Finds a key regardless of case (DynamoDB's metadata keys are case-insensitive). */
function keyOf(metadata: Record<string, string>, key: string): string {
  return Object.keys(metadata).find((k) => k.toLowerCase() === key.toLowerCase()) ?? key;
}

/**
 * Gives the restored resource a new identity (restores never overwrite): the target keys of its
 * type (TARGET_KEYS) set to new names built on the old ones, and "restore to new" switched on.
 * Returns a copy; types AWS always restores as new (EBS, EC2, ...) are left as they are.
 */
export function newIdentity(
  type: string,
  source: Readonly<Record<string, string>>,
  suffix: string,
): Record<string, string> {
  const metadata: Record<string, string> = { ...source };
  switch (type) {
    case 'RDS':
      metadata.DBInstanceIdentifier = newName(metadata.DBInstanceIdentifier, suffix, 63, dbName, 'restored');
      break;
    case 'Aurora':
    case 'DocumentDB':
    case 'Neptune':
      metadata.dbClusterIdentifier = newName(metadata.dbClusterIdentifier, suffix, 63, dbName, 'restored');
      break;
    case 'Redshift':
      metadata.ClusterIdentifier = newName(
        metadata.ClusterIdentifier,
        suffix,
        63,
        (s) => dbName(s).toLowerCase(),
        'restored',
      );
      break;
    case 'DynamoDB': {
      const key = keyOf(metadata, 'targetTableName');
      metadata[key] = newName(metadata[key], suffix, 255, tableName, 'restored');
      break;
    }
    case 'S3':
      metadata.DestinationBucketName = newName(
        metadata.DestinationBucketName,
        suffix,
        63,
        bucketName,
        'restored',
      );
      metadata.NewBucket = 'true';
      break;
    case 'EFS':
      metadata.newFileSystem = 'true';
      metadata.CreationToken = newName(
        metadata.CreationToken,
        suffix,
        64,
        (s) => s.replace(/[^A-Za-z0-9_.-]/g, '-'),
        'restore',
      );
      break;
  }
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
  // EC2: a network interface stored with the backup conflicts with an overridden subnet or group.
  if (type === 'EC2' && ('SubnetId' in overrides || 'SecurityGroupIds' in overrides))
    delete metadata.NetworkInterfaces;
  return { ...metadata, ...overrides };
}
