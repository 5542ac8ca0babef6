/**
 * The restore request: what a caller asks for, once checked (src/checks/ checks it,
 * src/plan/start-input.ts builds its StartRestoreJob input). Types only, and the secrets it carries.
 */

import type { ResourceType } from '../resources/rules.js';

/** A request naming the recovery point to restore (StartRestoreJob's own field names). */
export interface RecoveryPointRequest {
  readonly kind: 'recovery-point';
  readonly RecoveryPointArn: string;
  readonly Metadata: Readonly<Record<string, string>>;
  readonly IamRoleArn?: string;
  readonly IdempotencyToken?: string;
  readonly ResourceType?: ResourceType;
  readonly CopySourceTagsToRestoredResource?: boolean;
  /**
   * Optional: the vault the caller says holds the recovery point (needed when a vault allowlist is
   * set); the pipeline proves it holds the point before the start.
   */
  readonly BackupVaultName?: string;
  /** A Lambda function (name or ARN) that validates the restored resource. */
  readonly Validator?: string;
  /** A restore drill: the created resource is deleted after DeleteAfterHours. */
  readonly Drill?: DrillRequest;
}

/** A drill: restore, validate, time, then delete what the restore created. */
export interface DrillRequest {
  /** 0 (right after validation) to 168 hours. */
  readonly DeleteAfterHours: number;
}

/** A request naming the protected resource; the pipeline picks the recovery point and metadata. */
export interface ResourceRequest {
  readonly kind: 'resource';
  readonly ResourceArn: string;
  /** Restore the latest recovery point created at or before this time. */
  readonly RestoreTime?: string;
  /** Overrides applied on top of the metadata stored with the recovery point. */
  readonly Metadata: Readonly<Record<string, string>>;
  readonly IamRoleArn?: string;
  readonly IdempotencyToken?: string;
  readonly CopySourceTagsToRestoredResource?: boolean;
  readonly BackupVaultName?: string;
  readonly Validator?: string;
  readonly Drill?: DrillRequest;
}

export type RestoreRequest = RecoveryPointRequest | ResourceRequest;
