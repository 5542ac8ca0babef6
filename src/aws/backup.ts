/**
 * Every AWS Backup call of the restore path, and the only caller of StartRestoreJob: the resource's
 * recovery points with the vault that holds each, their stored restore metadata, whether a point is
 * in a vault, the restores already running, one job's description, the jobs that ended lately, and
 * the start itself. Every listing follows every page; every error is sorted by classifyAwsError.
 */

import {
  type BackupClient,
  DescribeRecoveryPointCommand,
  DescribeRestoreJobCommand,
  type DescribeRestoreJobCommandOutput,
  GetRecoveryPointRestoreMetadataCommand,
  ListBackupVaultsCommand,
  ListRecoveryPointsByBackupVaultCommand,
  ListRecoveryPointsByResourceCommand,
  ListRestoreJobsByProtectedResourceCommand,
  ListRestoreJobsCommand,
  type RecoveryPointByBackupVault,
  ResourceNotFoundException,
  type RestoreJobStatus,
  type RestoreJobsListMember,
  StartRestoreJobCommand,
  type StartRestoreJobInput,
} from '@aws-sdk/client-backup';
import { parseArn } from '../arn.js';
import { classifyAwsError, ForbiddenRequestError } from '../errors.js';
import { retryRetryable } from '../retry.js';

/** Follows NextToken until the last page. */
async function allPages<T>(
  operation: string,
  page: (token: string | undefined) => Promise<{ items: T[]; next?: string | undefined }>,
): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  try {
    do {
      const out = await page(token);
      items.push(...out.items);
      token = out.next;
    } while (token !== undefined && token !== '');
  } catch (error) {
    throw classifyAwsError(operation, error);
  }
  return items;
}

/**
 * True when ListRecoveryPointsByResource names the vault of the resource's points: "Only Amazon
 * EFS and Amazon EC2 recovery points return BackupVaultName". docs/aws-behaviour.md#vault-names
 */
export function listingNamesVault(resourceArn: string): boolean {
  const arn = parseArn(resourceArn);
  if (arn === undefined) return false;
  return (
    (arn.service === 'ec2' && arn.resource.startsWith('instance/')) ||
    (arn.service === 'elasticfilesystem' && arn.resource.startsWith('file-system/'))
  );
}

/** A recovery point as listed by vault or by resource (the fields used to choose). */
export interface Candidate {
  readonly RecoveryPointArn: string;
  /** Empty when the listing did not say (ListRecoveryPointsByResource names it only for EFS and EC2). */
  readonly BackupVaultName: string;
  /** The vault's owner, when another account shares the vault ; absent: this account. */
  readonly BackupVaultAccountId?: string;
  readonly CreationDate: Date;
  readonly Status: string;
  /** The type, when the listing says it (ListRecoveryPointsByBackupVault does). */
  readonly ResourceType?: string;
  /** True for a composite point (a CloudFormation stack's parent point). */
  readonly IsParent?: boolean;
  /** Days the point is kept (its lifecycle), when known: bounds a continuous point's window. */
  readonly DeleteAfterDays?: number;
}

/**
 * A listed recovery point as a candidate, or none when the listing left out its ARN or date.
 * `vault` stands in when the listing does not name the vault; `vaultAccountId` is the shared
 * vault's owner, when the listing was of one.
 */
function candidateOf(
  p: Pick<
    RecoveryPointByBackupVault,
    'RecoveryPointArn' | 'BackupVaultName' | 'CreationDate' | 'Status' | 'IsParent'
  > &
    Partial<Pick<RecoveryPointByBackupVault, 'ResourceType' | 'Lifecycle'>>,
  vault: string,
  vaultAccountId?: string,
): Candidate[] {
  if (p.RecoveryPointArn === undefined || p.CreationDate === undefined) return [];
  return [
    {
      RecoveryPointArn: p.RecoveryPointArn,
      BackupVaultName: p.BackupVaultName ?? vault,
      ...(vaultAccountId === undefined ? {} : { BackupVaultAccountId: vaultAccountId }),
      CreationDate: p.CreationDate,
      Status: p.Status ?? 'UNKNOWN',
      ...(p.ResourceType === undefined ? {} : { ResourceType: p.ResourceType }),
      ...(p.IsParent === undefined ? {} : { IsParent: p.IsParent }),
      ...(p.Lifecycle?.DeleteAfterDays === undefined ? {} : { DeleteAfterDays: p.Lifecycle.DeleteAfterDays }),
    },
  ];
}

/** Every recovery point of a resource (ListRecoveryPointsByResource, all pages). */
export async function listRecoveryPointsByResource(
  backup: BackupClient,
  resourceArn: string,
): Promise<Candidate[]> {
  const points = await allPages('ListRecoveryPointsByResource', async (token) => {
    const out = await backup.send(
      new ListRecoveryPointsByResourceCommand({
        ResourceArn: resourceArn,
        ...(token === undefined ? {} : { NextToken: token }),
      }),
    );
    return { items: out.RecoveryPoints ?? [], next: out.NextToken };
  });
  return points.flatMap((p) => candidateOf(p, ''));
}

/** The names of every vault of the account and Region (ListBackupVaults, all pages). */
export async function listBackupVaultNames(backup: BackupClient): Promise<string[]> {
  const vaults = await allPages('ListBackupVaults', async (token) => {
    const out = await backup.send(
      new ListBackupVaultsCommand(token === undefined ? {} : { NextToken: token }),
    );
    return { items: out.BackupVaultList ?? [], next: out.NextToken };
  });
  return vaults.map((v) => v.BackupVaultName ?? '').filter((name) => name !== '');
}

/**
 * `BackupVaultAccountId` for a vault another account shares with this one: sent only then, and
 * only to the calls whose input has it (DescribeRecoveryPoint, GetRecoveryPointRestoreMetadata,
 * ListRecoveryPointsByBackupVault; StartRestoreJob and the listings by resource have none).
 * docs/aws-behaviour.md#b-vault-account-id
 */
export function vaultAccount(vaultAccountId: string | undefined): { BackupVaultAccountId?: string } {
  return vaultAccountId === undefined ? {} : { BackupVaultAccountId: vaultAccountId };
}

/**
 * The recovery points of one resource in one vault (ByResourceArn filter, all pages); a vault
 * shared by another account is named with its owner's account (`vaultAccountId`).
 */
export async function listRecoveryPointsInVault(
  backup: BackupClient,
  vault: string,
  resourceArn: string,
  vaultAccountId?: string,
): Promise<Candidate[]> {
  const points = await allPages('ListRecoveryPointsByBackupVault', async (token) => {
    const out = await backup.send(
      new ListRecoveryPointsByBackupVaultCommand({
        BackupVaultName: vault,
        ...vaultAccount(vaultAccountId),
        ByResourceArn: resourceArn,
        ...(token === undefined ? {} : { NextToken: token }),
      }),
    );
    return { items: out.RecoveryPoints ?? [], next: out.NextToken };
  });
  return points.flatMap((p) => candidateOf(p, vault, vaultAccountId));
}

/** The recovery points found, and where the pipeline looked. */
export interface Found {
  readonly points: Candidate[];
  /** The vaults searched, or undefined when the listing by resource named them itself. */
  readonly vaultsSearched: readonly string[] | undefined;
}

/**
 * Finds a resource's recovery points with the vault of each, in the fewest calls: the given vaults
 * (the target's or request's own vault, else the allowed vaults) searched in parallel; else, for
 * EFS and EC2, the listing by resource (which names the vault); else every vault of the account
 * (ListBackupVaults) searched in parallel. docs/aws-behaviour.md#vault-names
 *
 * With `vaultAccountId` (vaults another account shares), only the given vaults are searched, each
 * with its owner's account: the listing by resource and ListBackupVaults take no owner.
 */
export async function findRecoveryPoints(
  backup: BackupClient,
  resourceArn: string,
  vaults: readonly string[] | undefined,
  vaultAccountId?: string,
): Promise<Found> {
  if (vaultAccountId !== undefined && vaults === undefined) {
    throw new Error('findRecoveryPoints: a shared vault is searched only by name');
  }
  if (vaults === undefined && listingNamesVault(resourceArn)) {
    return { points: await listRecoveryPointsByResource(backup, resourceArn), vaultsSearched: undefined };
  }
  const search = async (names: readonly string[]) =>
    (
      await Promise.all(names.map((v) => listRecoveryPointsInVault(backup, v, resourceArn, vaultAccountId)))
    ).flat();
  if (vaults !== undefined) return { points: await search(vaults), vaultsSearched: vaults };
  const cached = knownVaults.get(backup);
  if (cached !== undefined && Date.now() - cached.at < VAULT_NAMES_TTL_MS) {
    // A vault deleted since the listing fails its search, and a vault created since holds no point
    // the cached names could find: either way the vaults are listed afresh below.
    const points = await search(cached.names).catch(() => []);
    if (points.length > 0) return { points, vaultsSearched: cached.names };
  }
  const names = await listBackupVaultNames(backup);
  knownVaults.set(backup, { names, at: Date.now() });
  return { points: await search(names), vaultsSearched: names };
}

/**
 * How long a warm instance reuses its ListBackupVaults answer (per client). Short: a vault created
 * meanwhile is searched only once the names are listed again (at once when the cached vaults hold
 * no point of the resource).
 */
export const VAULT_NAMES_TTL_MS = 60_000;
const knownVaults = new WeakMap<BackupClient, { names: string[]; at: number }>();

/** The restore metadata and resource type stored with a recovery point (of a shared vault: with its owner's account). */
export async function storedRestoreMetadata(
  backup: BackupClient,
  vault: string,
  recoveryPointArn: string,
  vaultAccountId?: string,
): Promise<{ resourceType: string; metadata: Record<string, string> }> {
  try {
    const out = await backup.send(
      new GetRecoveryPointRestoreMetadataCommand({
        BackupVaultName: vault,
        ...vaultAccount(vaultAccountId),
        RecoveryPointArn: recoveryPointArn,
      }),
    );
    return { resourceType: out.ResourceType ?? '', metadata: { ...(out.RestoreMetadata ?? {}) } };
  } catch (error) {
    throw classifyAwsError('GetRecoveryPointRestoreMetadata', error);
  }
}

/** A restore job of a resource that is PENDING or RUNNING. */
export interface ActiveJob {
  readonly restoreJobId: string;
  readonly iamRoleArn?: string;
  /** When the job was created (ListRestoreJobsByProtectedResource's CreationDate). */
  readonly createdAt?: Date;
}

/** Restore jobs of a resource that are PENDING or RUNNING (both statuses, all pages). */
export async function activeRestoreJobs(backup: BackupClient, resourceArn: string): Promise<ActiveJob[]> {
  // The two statuses are listed at once: they are independent, and the alarm path waits for both.
  const pages = await Promise.all(
    (['PENDING', 'RUNNING'] as RestoreJobStatus[]).map((status) =>
      allPages('ListRestoreJobsByProtectedResource', async (token) => {
        const out = await backup.send(
          new ListRestoreJobsByProtectedResourceCommand({
            ResourceArn: resourceArn,
            ByStatus: status,
            ...(token === undefined ? {} : { NextToken: token }),
          }),
        );
        return { items: out.RestoreJobs ?? [], next: out.NextToken };
      }),
    ),
  );
  const jobs: ActiveJob[] = [];
  for (const j of pages.flat()) {
    if (j.RestoreJobId === undefined || j.RestoreJobId === '') continue;
    jobs.push({
      restoreJobId: j.RestoreJobId,
      ...(j.IamRoleArn === undefined ? {} : { iamRoleArn: j.IamRoleArn }),
      ...(j.CreationDate instanceof Date ? { createdAt: j.CreationDate } : {}),
    });
  }
  return jobs;
}

/** Calls StartRestoreJob; returns the job id or throws a classified RestorePipelineError. */
export async function startRestoreJob(backup: BackupClient, input: StartRestoreJobInput): Promise<string> {
  let restoreJobId: string | undefined;
  try {
    ({ RestoreJobId: restoreJobId } = await backup.send(new StartRestoreJobCommand(input)));
  } catch (error) {
    throw classifyAwsError('StartRestoreJob', error);
  }
  if (restoreJobId === undefined || restoreJobId === '') {
    throw classifyAwsError(
      'StartRestoreJob',
      Object.assign(new Error('the answer held no RestoreJobId'), { name: 'InternalFailure' }),
    );
  }
  return restoreJobId;
}

/**
 * Proves that a recovery point is in the named vault (a vault allowlist is only as good as this
 * check: the ARN alone does not say which vault holds the point). A vault another account shares
 * is named with its owner's account (`vaultAccountId`). docs/aws-behaviour.md#b-vault-account-id
 */
export async function checkPointInVault(
  backup: BackupClient,
  vault: string,
  recoveryPointArn: string,
  vaultAccountId?: string,
): Promise<void> {
  try {
    await backup.send(
      new DescribeRecoveryPointCommand({
        BackupVaultName: vault,
        ...vaultAccount(vaultAccountId),
        RecoveryPointArn: recoveryPointArn,
      }),
    );
  } catch (error) {
    if (error instanceof ResourceNotFoundException) {
      const owner = vaultAccountId === undefined ? '' : ` of account ${vaultAccountId}`;
      throw new ForbiddenRequestError(
        `Recovery point ${recoveryPointArn} is not in the vault ${vault}${owner}`,
      );
    }
    throw classifyAwsError('DescribeRecoveryPoint', error);
  }
}

/** A restore job as AWS describes it (DescribeRestoreJob), or undefined for a job AWS does not know. */
export async function describeRestoreJob(
  backup: BackupClient,
  restoreJobId: string,
): Promise<DescribeRestoreJobCommandOutput | undefined> {
  try {
    return await backup.send(new DescribeRestoreJobCommand({ RestoreJobId: restoreJobId }));
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw classifyAwsError('DescribeRestoreJob', error);
  }
}

/** The restore jobs that ended after `after` (ListRestoreJobs by completion time, every page, each page retried). */
export async function restoreJobsEndedAfter(
  backup: BackupClient,
  after: Date,
): Promise<RestoreJobsListMember[]> {
  return allPages('ListRestoreJobs', (token) =>
    retryRetryable(async () => {
      try {
        const out = await backup.send(
          new ListRestoreJobsCommand({ ByCompleteAfter: after, MaxResults: 1000, NextToken: token }),
        );
        return { items: out.RestoreJobs ?? [], next: out.NextToken };
      } catch (error) {
        throw classifyAwsError('ListRestoreJobs', error);
      }
    }),
  );
}
