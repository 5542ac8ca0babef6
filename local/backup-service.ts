/**
 * The local AWS Backup: recovery points and vaults seeded from a file, restore jobs that move
 * through PENDING, RUNNING and COMPLETED (or FAILED by a configured rule) over time, and AWS's
 * answers where the pipeline depends on them.
 */

import { randomUUID } from 'node:crypto';
import {
  COPY_TAGS_UNSUPPORTED,
  POINT_IN_TIME_KEYS,
  RESOURCE_TYPES,
  type ResourceType,
} from '../src/resources/rules.js';

/** An error answered the way AWS answers it (status, error type, message). */
export class LocalAwsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly queryErrorCode?: string,
  ) {
    super(message);
    this.name = type;
  }
}

/** A seeded recovery point. */
export interface SeedRecoveryPoint {
  RecoveryPointArn: string;
  BackupVaultName: string;
  ResourceArn: string;
  ResourceType: string;
  /** ISO time. */
  CreationDate: string;
  Status?: 'COMPLETED' | 'PARTIAL' | 'DELETING' | 'EXPIRED' | 'AVAILABLE' | 'STOPPED' | 'CREATING';
  /** What GetRecoveryPointRestoreMetadata answers. */
  RestoreMetadata?: Record<string, string>;
  /** DescribeRecoveryPoint's BackupSizeInBytes (0: the source held no data). */
  BackupSizeInBytes?: number;
  /** A composite (CloudFormation stack) parent point: AWS restores none. */
  IsParent?: boolean;
  ParentRecoveryPointArn?: string;
  /** Days the point is kept (Lifecycle.DeleteAfterDays). */
  DeleteAfterDays?: number;
  /**
   * The account owning `BackupVaultName` when it is a vault another account shares with this one
   * (one of `sharedVaults`); absent: this account's own vault.
   */
  BackupVaultAccountId?: string;
  /**
   * A continuous point (ARN `recovery-point:continuous:`) restores to moments in this window (ISO
   * times). Absent: from its creation to 5 minutes before now, as RDS's latest restorable time.
   */
  RestorableFrom?: string;
  RestorableTo?: string;
}

/** A rule that makes matching restore jobs end FAILED (or ABORTED) with a status message. */
export interface FailureRule {
  /** Matches when every given Metadata key has the given value. */
  metadata?: Record<string, string>;
  resourceType?: string;
  recoveryPointArn?: string;
  status?: 'FAILED' | 'ABORTED';
  statusMessage: string;
}

/** The seed file's shape. */
export interface BackupSeed {
  accountId: string;
  region: string;
  vaults: string[];
  /**
   * Vaults other accounts share with this one (AWS RAM; logically air-gapped vaults). Their names
   * are their owners': the calls that take `BackupVaultAccountId` find them only with it, as a
   * vault name is "unique to the account used to create them". docs/aws-behaviour.md#x-shared-vault-restore
   */
  sharedVaults?: { name: string; accountId: string }[];
  recoveryPoints: SeedRecoveryPoint[];
  failureRules?: FailureRule[];
  /** Milliseconds after creation at which a job is RUNNING, then done. */
  timing?: { runningAfterMs?: number; doneAfterMs?: number };
  /** Largest page the list operations answer (AWS pages too; a small one exercises pagination). */
  pageSize?: number;
}

/** A restore job as the local endpoint keeps it. */
export interface LocalRestoreJob {
  RestoreJobId: string;
  AccountId: string;
  RecoveryPointArn: string;
  SourceResourceArn?: string;
  BackupVaultArn?: string;
  IamRoleArn?: string;
  ResourceType?: string;
  Metadata: Record<string, string>;
  IdempotencyToken?: string;
  CopySourceTagsToRestoredResource?: boolean;
  CreationDate: number;
  Status: 'PENDING' | 'RUNNING' | 'COMPLETED' | 'ABORTED' | 'FAILED';
  StatusMessage?: string;
  PercentDone?: string;
  CompletionDate?: number;
  CreatedResourceArn?: string;
  /** The rule's outcome, applied when the job is done. */
  finalStatus: 'COMPLETED' | 'FAILED' | 'ABORTED';
  finalMessage?: string;
}

/** Restore job state changes, for the EventBridge events the local run emits. */
export type JobListener = (
  job: Readonly<LocalRestoreJob>,
  previous: LocalRestoreJob['Status'] | 'CREATED',
) => void;

// The types AWS Backup restores are a fact of AWS, kept in one place.
const KNOWN_TYPES: ReadonlySet<string> = new Set(RESOURCE_TYPES);
const TOKEN_TTL_MS = 60 * 60 * 1000;

const epoch = (ms: number) => ms / 1000;

function createdResourceArn(job: LocalRestoreJob, region: string, account: string): string {
  const id = job.RestoreJobId.slice(0, 8);
  switch (job.ResourceType) {
    case 'EBS':
      return `arn:aws:ec2:${region}:${account}:volume/vol-${id}restored`;
    case 'EC2':
      return `arn:aws:ec2:${region}:${account}:instance/i-${id}restored`;
    case 'EFS':
      return `arn:aws:elasticfilesystem:${region}:${account}:file-system/fs-${id.toLowerCase()}`;
    case 'RDS':
      return `arn:aws:rds:${region}:${account}:db:${job.Metadata.DBInstanceIdentifier ?? id}`;
    case 'DynamoDB':
      return `arn:aws:dynamodb:${region}:${account}:table/${job.Metadata.targetTableName ?? id}`;
    case 'S3':
      return `arn:aws:s3:::${job.Metadata.DestinationBucketName ?? id}`;
    case 'Aurora':
    case 'DocumentDB':
    case 'Neptune':
      return `arn:aws:rds:${region}:${account}:cluster:${job.Metadata.dbClusterIdentifier ?? id}`;
    default:
      return `arn:aws:backup:${region}:${account}:restored-resource:${id}`;
  }
}

/** "Only Amazon EFS and Amazon EC2 recovery points return BackupVaultName". docs/aws-behaviour.md#vault-names */
const LISTING_NAMES_VAULT: ReadonlySet<string> = new Set(['EFS', 'EC2']);

const isContinuousArn = (arn: string) => arn.includes(':recovery-point:continuous:');

/** StartRestoreJob's parameters, checked as AWS checks them before it looks anything up. */
interface StartInput {
  arn: string;
  metadata: Record<string, string>;
  type: string | undefined;
  token: string | undefined;
}

function startInput(body: Record<string, unknown>): StartInput {
  const arn = body.RecoveryPointArn;
  if (typeof arn !== 'string' || arn === '') {
    throw new LocalAwsError(400, 'MissingParameterValueException', 'RecoveryPointArn is required');
  }
  const metadata = body.Metadata;
  if (metadata === undefined || metadata === null) {
    throw new LocalAwsError(400, 'MissingParameterValueException', 'Metadata is required');
  }
  if (typeof metadata !== 'object' || Object.values(metadata).some((v) => typeof v !== 'string')) {
    throw new LocalAwsError(400, 'InvalidParameterValueException', 'Metadata must be a map of strings');
  }
  const type = body.ResourceType;
  if (type !== undefined && (typeof type !== 'string' || !KNOWN_TYPES.has(type))) {
    throw new LocalAwsError(400, 'InvalidParameterValueException', `Invalid resource type: ${String(type)}`);
  }
  return {
    arn,
    metadata: metadata as Record<string, string>,
    type: typeof type === 'string' ? type : undefined,
    token: typeof body.IdempotencyToken === 'string' ? body.IdempotencyToken : undefined,
  };
}

/** The recovery point a restore starts from, refused when it is unknown, not ready, or composite. */
function restorablePoint(arn: string, point: SeedRecoveryPoint | undefined): SeedRecoveryPoint {
  if (point === undefined) {
    throw new LocalAwsError(400, 'ResourceNotFoundException', `Recovery point ${arn} not found`);
  }
  if (point.Status !== undefined && point.Status !== 'COMPLETED' && point.Status !== 'AVAILABLE') {
    throw new LocalAwsError(400, 'InvalidRequestException', `Recovery point ${arn} is ${point.Status}`);
  }
  if (point.IsParent === true) {
    throw new LocalAwsError(
      400,
      'InvalidRequestException',
      `Recovery point ${arn} is a composite recovery point, which cannot be restored`,
    );
  }
  return point;
}

/**
 * Why AWS would fail a job it accepted, or undefined. AWS does not document whether a bad restore
 * moment is refused by StartRestoreJob or fails the job; the local endpoint fails the job, the path
 * that only the tracker sees. docs/aws-behaviour.md#continuous-restore-keys
 */
function acceptedThenFailed(
  point: SeedRecoveryPoint,
  type: string,
  meta: Readonly<Record<string, string>>,
  copyTagsSent: boolean,
  now: number,
): string | undefined {
  // "The restore job will fail if this parameter is included for an unsupported resource". docs/aws-behaviour.md#copy-tags
  if (copyTagsSent && COPY_TAGS_UNSUPPORTED.has(type as ResourceType)) {
    return `CopySourceTagsToRestoredResource is not supported for resource type ${type}`;
  }
  if (!isContinuousArn(point.RecoveryPointArn)) return undefined;
  const key = POINT_IN_TIME_KEYS[type as ResourceType];
  const value = key === undefined ? undefined : meta[key];
  if (key === undefined || value === undefined) {
    return `A continuous recovery point needs the time to restore to (${key ?? 'no point-in-time restore for this type'})`;
  }
  const at = Date.parse(value);
  const from = Date.parse(point.RestorableFrom ?? point.CreationDate);
  const to = point.RestorableTo === undefined ? now - 5 * 60_000 : Date.parse(point.RestorableTo);
  if (Number.isNaN(at)) return `${key} ${value} is not a time`;
  if (at < from || at > to) {
    return `The restore time ${value} is outside the restorable window ${new Date(from).toISOString()} to ${new Date(to).toISOString()}`;
  }
  return undefined;
}

/** How far along each status is: PENDING, then RUNNING, then one of the ends. */
const ORDER: Record<LocalRestoreJob['Status'], number> = {
  PENDING: 0,
  RUNNING: 1,
  COMPLETED: 2,
  ABORTED: 2,
  FAILED: 2,
};

/** The local AWS Backup service state and operations. */
export class LocalBackup {
  readonly jobs: LocalRestoreJob[] = [];
  private readonly tokens = new Map<string, { jobId: string; at: number }>();
  private readonly listeners: JobListener[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private seed: BackupSeed;

  constructor(seed: BackupSeed) {
    this.seed = seed;
  }

  /** Replaces the seeded recovery points and rules (jobs are kept). */
  reseed(seed: BackupSeed): void {
    this.seed = seed;
  }

  get region(): string {
    return this.seed.region;
  }

  /** Adds a failure rule. */
  addFailureRule(rule: FailureRule): void {
    this.seed = { ...this.seed, failureRules: [...(this.seed.failureRules ?? []), rule] };
  }

  /** Removes every failure rule (the cause of the failures is fixed). */
  clearFailureRules(): void {
    this.seed = { ...this.seed, failureRules: [] };
  }

  /** Adds recovery points. */
  addRecoveryPoints(points: SeedRecoveryPoint[]): void {
    this.seed = { ...this.seed, recoveryPoints: [...this.seed.recoveryPoints, ...points] };
  }

  /** Calls `listener` on every job state change. */
  onJobStateChange(listener: JobListener): void {
    this.listeners.push(listener);
  }

  /** Stops the job timers. */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private point(arn: string): SeedRecoveryPoint | undefined {
    return this.seed.recoveryPoints.find((p) => p.RecoveryPointArn === arn);
  }

  private vaultArn(name: string, accountId?: string): string {
    return `arn:aws:backup:${this.seed.region}:${accountId ?? this.seed.accountId}:backup-vault:${name}`;
  }

  /**
   * The owner a call names for its vault: `backupVaultAccountId` (checked as AWS's pattern
   * `^[0-9]{12}$`), else this account. The own account named explicitly is the own account.
   */
  private ownerOf(query: URLSearchParams | undefined): string | undefined {
    const owner = query?.get('backupVaultAccountId') ?? null;
    if (owner === null || owner === this.seed.accountId) return undefined;
    if (!/^[0-9]{12}$/.test(owner)) {
      throw new LocalAwsError(
        400,
        'InvalidParameterValueException',
        `Invalid BackupVaultAccountId: ${owner}`,
      );
    }
    return owner;
  }

  /** Throws as AWS does when a vault of that name and owner is not visible to this account. */
  private requireVault(vault: string, owner: string | undefined): void {
    const found =
      owner === undefined
        ? this.seed.vaults.includes(vault)
        : (this.seed.sharedVaults ?? []).some((v) => v.name === vault && v.accountId === owner);
    if (!found) {
      throw new LocalAwsError(
        400,
        'ResourceNotFoundException',
        `Backup vault ${vault}${owner === undefined ? '' : ` of account ${owner}`} not found`,
      );
    }
  }

  /** A point is in (vault, owner) when both match; an own vault's point has no owner. */
  private inVault(p: SeedRecoveryPoint, vault: string, owner: string | undefined): boolean {
    const pointOwner = p.BackupVaultAccountId === this.seed.accountId ? undefined : p.BackupVaultAccountId;
    return p.BackupVaultName === vault && pointOwner === owner;
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private transition(job: LocalRestoreJob, status: LocalRestoreJob['Status']): void {
    const previous = job.Status;
    // A job only moves forward. The RUNNING and the end timers are in different lists: when the
    // event loop lags, Node can run a later job's end before its RUNNING (a job ended, then RUNNING
    // again for ever: a pipeline that waited for it never settled).
    if (ORDER[status] <= ORDER[previous]) return;
    job.Status = status;
    if (status === 'RUNNING') job.PercentDone = '50.00%';
    if (status === 'COMPLETED' || status === 'FAILED' || status === 'ABORTED') {
      job.CompletionDate = Date.now();
      job.PercentDone = status === 'COMPLETED' ? '100.00%' : job.PercentDone;
      if (job.finalMessage !== undefined) job.StatusMessage = job.finalMessage;
      if (status === 'COMPLETED') {
        job.CreatedResourceArn = createdResourceArn(job, this.seed.region, this.seed.accountId);
      }
    }
    for (const listener of this.listeners) listener(job, previous);
  }

  /** StartRestoreJob. */
  startRestoreJob(body: Record<string, unknown>): { RestoreJobId: string } {
    const input = startInput(body);
    const { arn, token } = input;
    const now = Date.now();
    if (token !== undefined) {
      const seen = this.tokens.get(token);
      if (seen !== undefined && now - seen.at < TOKEN_TTL_MS) return { RestoreJobId: seen.jobId };
    }
    const point = restorablePoint(arn, this.point(arn));
    const resourceType = input.type ?? point.ResourceType;
    const meta = input.metadata;
    // AWS checks some values at once and echoes them in its message (so must the log scrubbing).
    const zone = meta.availabilityZone;
    if (resourceType === 'EBS' && zone !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/.test(zone)) {
      throw new LocalAwsError(400, 'InvalidParameterValueException', `Invalid availability zone: ${zone}`);
    }
    const job = this.newJob(body, input, point, resourceType, now);
    this.jobs.push(job);
    if (token !== undefined) this.tokens.set(token, { jobId: job.RestoreJobId, at: now });
    for (const listener of this.listeners) listener(job, 'CREATED');
    const runningAfter = this.seed.timing?.runningAfterMs ?? 200;
    const doneAfter = this.seed.timing?.doneAfterMs ?? 600;
    this.later(runningAfter, () => this.transition(job, 'RUNNING'));
    this.later(doneAfter, () => this.transition(job, job.finalStatus));
    return { RestoreJobId: job.RestoreJobId };
  }

  /** A new PENDING job, with how it will end: as AWS would fail it, as a seed's failure rule says, or COMPLETED. */
  private newJob(
    body: Record<string, unknown>,
    input: StartInput,
    point: SeedRecoveryPoint,
    resourceType: string,
    now: number,
  ): LocalRestoreJob {
    const { arn, metadata: meta, token } = input;
    const awsFailure = acceptedThenFailed(
      point,
      resourceType,
      meta,
      body.CopySourceTagsToRestoredResource !== undefined,
      now,
    );
    const rule = (this.seed.failureRules ?? []).find(
      (r) =>
        (r.resourceType === undefined || r.resourceType === resourceType) &&
        (r.recoveryPointArn === undefined || r.recoveryPointArn === arn) &&
        Object.entries(r.metadata ?? {}).every(([k, v]) => meta[k] === v),
    );
    return {
      RestoreJobId: randomUUID().toUpperCase(),
      AccountId: this.seed.accountId,
      RecoveryPointArn: arn,
      SourceResourceArn: point.ResourceArn,
      BackupVaultArn: this.vaultArn(point.BackupVaultName, point.BackupVaultAccountId),
      ...(typeof body.IamRoleArn === 'string' ? { IamRoleArn: body.IamRoleArn } : {}),
      ResourceType: resourceType,
      Metadata: { ...meta },
      ...(token === undefined ? {} : { IdempotencyToken: token }),
      ...(typeof body.CopySourceTagsToRestoredResource === 'boolean'
        ? { CopySourceTagsToRestoredResource: body.CopySourceTagsToRestoredResource }
        : {}),
      CreationDate: now,
      Status: 'PENDING',
      finalStatus:
        awsFailure !== undefined ? 'FAILED' : rule === undefined ? 'COMPLETED' : (rule.status ?? 'FAILED'),
      // "{key}" in a rule's message is replaced by that metadata value, as AWS's messages quote them.
      ...(awsFailure !== undefined
        ? { finalMessage: awsFailure }
        : rule === undefined
          ? {}
          : { finalMessage: rule.statusMessage.replace(/\{(\w+)\}/g, (_, k: string) => meta[k] ?? '') }),
    };
  }

  private jobView(job: LocalRestoreJob): Record<string, unknown> {
    return {
      AccountId: job.AccountId,
      RestoreJobId: job.RestoreJobId,
      RecoveryPointArn: job.RecoveryPointArn,
      SourceResourceArn: job.SourceResourceArn,
      BackupVaultArn: job.BackupVaultArn,
      CreationDate: epoch(job.CreationDate),
      CompletionDate: job.CompletionDate === undefined ? undefined : epoch(job.CompletionDate),
      Status: job.Status,
      StatusMessage: job.StatusMessage,
      PercentDone: job.PercentDone,
      IamRoleArn: job.IamRoleArn,
      CreatedResourceArn: job.CreatedResourceArn,
      ResourceType: job.ResourceType,
    };
  }

  /** DescribeRestoreJob. */
  describeRestoreJob(id: string): Record<string, unknown> {
    const job = this.jobs.find((j) => j.RestoreJobId === id);
    if (job === undefined)
      throw new LocalAwsError(400, 'ResourceNotFoundException', `Restore job ${id} not found`);
    return this.jobView(job);
  }

  /** ListRestoreJobs (filters: status, resourceType, completeAfter; pages of maxResults). */
  listRestoreJobs(query: URLSearchParams, resourceArn?: string): Record<string, unknown> {
    const status = query.get('status');
    const type = query.get('resourceType');
    const completeAfter = query.get('completeAfter');
    const after = completeAfter === null ? undefined : Date.parse(completeAfter);
    const all = this.jobs.filter(
      (j) =>
        (status === null || j.Status === status) &&
        (type === null || j.ResourceType === type) &&
        (after === undefined || (j.CompletionDate !== undefined && j.CompletionDate > after)) &&
        (resourceArn === undefined || j.SourceResourceArn === resourceArn),
    );
    return paginate(
      all.map((j) => this.jobView(j)),
      query,
      'RestoreJobs',
      this.seed.pageSize,
    );
  }

  /** ListRecoveryPointsByResource: in seed order, which is not creation order (as on AWS). */
  listRecoveryPointsByResource(resourceArn: string, query: URLSearchParams): Record<string, unknown> {
    // It takes no owner's account: it lists the points in this account's own vaults only, never
    // those of a vault another account shares. docs/aws-behaviour.md#b-vault-account-id
    const points = this.seed.recoveryPoints
      .filter((p) => p.ResourceArn === resourceArn && this.inVault(p, p.BackupVaultName, undefined))
      .map((p) => ({
        RecoveryPointArn: p.RecoveryPointArn,
        CreationDate: epoch(Date.parse(p.CreationDate)),
        Status: p.Status ?? 'COMPLETED',
        // As AWS: the vault is named only for EFS and EC2 points.
        ...(LISTING_NAMES_VAULT.has(p.ResourceType) ? { BackupVaultName: p.BackupVaultName } : {}),
        ...(p.IsParent === undefined ? {} : { IsParent: p.IsParent }),
        ...(p.ParentRecoveryPointArn === undefined
          ? {}
          : { ParentRecoveryPointArn: p.ParentRecoveryPointArn }),
        ResourceName: resourceArn.split(/[:/]/).pop(),
      }));
    return paginate(points, query, 'RecoveryPoints', this.seed.pageSize);
  }

  /** ListBackupVaults (pages of maxResults). */
  listBackupVaults(query: URLSearchParams): Record<string, unknown> {
    const vaults = this.seed.vaults.map((name) => ({
      BackupVaultName: name,
      BackupVaultArn: this.vaultArn(name),
      VaultType: 'BACKUP_VAULT',
      CreationDate: epoch(Date.parse('2026-01-01T00:00:00Z')),
      NumberOfRecoveryPoints: this.seed.recoveryPoints.filter((p) => this.inVault(p, name, undefined)).length,
    }));
    return paginate(vaults, query, 'BackupVaultList', this.seed.pageSize);
  }

  /** ListRecoveryPointsByBackupVault (filters: resourceArn, resourceType; pages of maxResults). */
  listRecoveryPointsByBackupVault(vault: string, query: URLSearchParams): Record<string, unknown> {
    const owner = this.ownerOf(query);
    this.requireVault(vault, owner);
    const resourceArn = query.get('resourceArn');
    const resourceType = query.get('resourceType');
    const points = this.seed.recoveryPoints
      .filter(
        (p) =>
          this.inVault(p, vault, owner) &&
          (resourceArn === null || p.ResourceArn === resourceArn) &&
          (resourceType === null || p.ResourceType === resourceType),
      )
      .map((p) => ({
        RecoveryPointArn: p.RecoveryPointArn,
        BackupVaultName: p.BackupVaultName,
        BackupVaultArn: this.vaultArn(p.BackupVaultName, owner),
        ResourceArn: p.ResourceArn,
        ResourceType: p.ResourceType,
        Status: p.Status ?? 'COMPLETED',
        CreationDate: epoch(Date.parse(p.CreationDate)),
        ...(p.IsParent === undefined ? {} : { IsParent: p.IsParent }),
        ...(p.ParentRecoveryPointArn === undefined
          ? {}
          : { ParentRecoveryPointArn: p.ParentRecoveryPointArn }),
        ...(p.DeleteAfterDays === undefined ? {} : { Lifecycle: { DeleteAfterDays: p.DeleteAfterDays } }),
      }));
    return paginate(points, query, 'RecoveryPoints', this.seed.pageSize);
  }

  private pointIn(vault: string, arn: string, query?: URLSearchParams): SeedRecoveryPoint {
    const owner = this.ownerOf(query);
    if (owner !== undefined) this.requireVault(vault, owner);
    const point = this.point(arn);
    if (point === undefined || !this.inVault(point, vault, owner)) {
      throw new LocalAwsError(
        400,
        'ResourceNotFoundException',
        `Recovery point ${arn} not found in vault ${vault}`,
      );
    }
    return point;
  }

  /** DescribeRecoveryPoint. */
  describeRecoveryPoint(vault: string, arn: string, query?: URLSearchParams): Record<string, unknown> {
    const p = this.pointIn(vault, arn, query);
    return {
      RecoveryPointArn: p.RecoveryPointArn,
      BackupVaultName: p.BackupVaultName,
      BackupVaultArn: this.vaultArn(p.BackupVaultName, p.BackupVaultAccountId),
      ResourceArn: p.ResourceArn,
      ResourceType: p.ResourceType,
      Status: p.Status ?? 'COMPLETED',
      CreationDate: epoch(Date.parse(p.CreationDate)),
      ...(p.BackupSizeInBytes === undefined ? {} : { BackupSizeInBytes: p.BackupSizeInBytes }),
    };
  }

  /** GetRecoveryPointRestoreMetadata. */
  getRecoveryPointRestoreMetadata(
    vault: string,
    arn: string,
    query?: URLSearchParams,
  ): Record<string, unknown> {
    const p = this.pointIn(vault, arn, query);
    return {
      BackupVaultArn: this.vaultArn(p.BackupVaultName, p.BackupVaultAccountId),
      RecoveryPointArn: p.RecoveryPointArn,
      ResourceType: p.ResourceType,
      RestoreMetadata: { ...(p.RestoreMetadata ?? {}) },
    };
  }
}

function paginate<T>(
  items: T[],
  query: URLSearchParams,
  key: string,
  pageSize = 1000,
): Record<string, unknown> {
  const max = Math.min(Number(query.get('maxResults') ?? pageSize) || pageSize, pageSize);
  const start = Number(query.get('nextToken') ?? 0) || 0;
  const page = items.slice(start, start + max);
  const next = start + max < items.length ? String(start + max) : undefined;
  return { [key]: page, ...(next === undefined ? {} : { NextToken: next }) };
}
