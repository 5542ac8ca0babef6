/**
 * What the pipeline knows of one AWS Backup resource type, as one module (src/resources/<type>.ts)
 * lists it: the restore's Metadata rules, how an alarm names the resource, how a restored copy is
 * read for validation, how a drill's copy is tagged and deleted, and the IAM actions each of those
 * needs. The pure facts (ResourceTypeModule) and the AWS steps (ValidationSteps, DrillSteps) are
 * separate exports of the same file, so a bundle that needs only the facts carries none of the
 * services' clients.
 * docs/adding-a-type.md
 */

import type { BackupClient } from '@aws-sdk/client-backup';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { EFSClient } from '@aws-sdk/client-efs';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3ControlClient } from '@aws-sdk/client-s3-control';

/** Where an alarm was raised, to build a resource ARN from a metric's dimension. */
export interface ArnWhere {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/** A dimension of a CloudWatch namespace that names a resource of the type, and its ARN. */
export interface AlarmDimension {
  readonly namespace: string;
  readonly dimension: string;
  readonly arnOf: (id: string, where: ArnWhere) => string;
}

/** What StartRestoreJob needs in Metadata for the type. */
export interface RestoreRules {
  /** Keys a restore cannot do without. */
  readonly required?: readonly string[];
  /** Keys that name or reuse the restore's target (matched without regard to case). */
  readonly targetKeys: readonly string[];
  /** Keys AWS rejects, or marks as information only, in a point's stored metadata. */
  readonly droppedKeys?: readonly string[];
  /** AWS matches the type's keys without regard to case. */
  readonly caseInsensitiveKeys?: boolean;
  /** False: `CopySourceTagsToRestoredResource: true` makes the restore job fail (it is never sent). */
  readonly copyTags: boolean;
  /** The key that holds the moment of a point-in-time restore from a continuous point. */
  readonly pointInTimeKey?: string;
  /**
   * Gives the restored resource a new identity in `metadata` (a copy, changed in place): its target
   * keys set to new names built on the old ones with `suffix`. Absent: AWS always restores as new.
   */
  readonly newIdentity?: (metadata: Record<string, string>, suffix: string) => void;
  /** Drops from `metadata` (a copy) what conflicts with the request's overrides, before they apply. */
  readonly beforeOverrides?: (
    metadata: Record<string, string>,
    overrides: Readonly<Record<string, string>>,
  ) => void;
}

/** The function whose role must grant an action. */
export type IamUser = 'validate' | 'cleanup';

/** One IAM action a step of the module needs, on which resources, by which function. */
export interface IamNeed {
  readonly action: string;
  /** An example ARN of the resource the action is called on (`*`: the action has no resource). */
  readonly resource: string;
  readonly by: IamUser;
  /** Request context the call carries (the drill tag the resource bears, or the tag written). */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

const DRILL_TAG = 'backup-restore:drill';

/** The cleanup writes the drill tag (and only it) on `resource`. */
export const tagWriteNeed = (action: string, resource: string): IamNeed => ({
  action,
  resource,
  by: 'cleanup',
  context: { 'aws:TagKeys': [DRILL_TAG], [`aws:RequestTag/${DRILL_TAG}`]: 'job' },
});

/** The cleanup changes or deletes `resource`, which carries the drill tag. */
export const taggedNeed = (action: string, resource: string): IamNeed => ({
  action,
  resource,
  by: 'cleanup',
  context: { [`aws:ResourceTag/${DRILL_TAG}`]: 'job' },
});

/** The pure facts of a resource type. */
export interface ResourceTypeModule<T extends string = string> {
  /** The type as StartRestoreJob spells it. */
  readonly type: T;
  readonly restore: RestoreRules;
  /** The CloudWatch dimensions that name a resource of this type, first match wins. */
  readonly alarm?: readonly AlarmDimension[];
  /** The type has a built-in validation (its module exports ValidationSteps). */
  readonly validated: boolean;
  /**
   * A drill may restore it: every target key is set by newIdentity (or AWS always creates), and its
   * module exports DrillSteps to tag and delete the copy.
   */
  readonly drillable: boolean;
  /** Every IAM action the steps call, by function. */
  readonly iam: readonly IamNeed[];
  /** The restored copy is made ready after COMPLETED (its module exports a ReadyType). */
  readonly madeReady: boolean;
}

/** The outcome of one validation check. */
export type Verdict =
  | { readonly verdict: 'pass'; readonly reason: string }
  | { readonly verdict: 'fail'; readonly reason: string }
  | { readonly verdict: 'not-yet'; readonly reason: string };

export const pass = (reason: string): Verdict => ({ verdict: 'pass', reason });
export const fail = (reason: string): Verdict => ({ verdict: 'fail', reason });
export const notYet = (reason: string): Verdict => ({ verdict: 'not-yet', reason });

/** The resource AWS named in CreatedResourceArn does not exist (yet, or any more). */
export interface Missing {
  readonly found: false;
}

// A resource that AWS has just reported as restored may not be visible at once (eventual
// consistency): missing is worth another look until the deadline, when it becomes a failure.
export const missing = (what: string) =>
  notYet(`${what} does not exist (yet): AWS reported it as the restore's created resource`);

/** The services' clients, each built on first use (DynamoDB is the caller's own). */
export interface ServiceClients {
  readonly ddb: DynamoDBClient;
  readonly rds: () => RDSClient;
  readonly ec2: () => EC2Client;
  readonly efs: () => EFSClient;
  readonly s3: () => S3Client;
  readonly s3control: () => S3ControlClient;
}

/** The clients a validation reads with. */
export type ValidationClients = Omit<ServiceClients, 's3control'>;

/** What the recovery point says the restore should produce. */
export interface Expectations {
  /** EBS: the size in GiB (the request's `volumeSize`, else the snapshot's). */
  readonly volumeSizeGiB?: number;
  /** DynamoDB: whether the backup holds data (BackupSizeInBytes > 0); undefined when AWS does not say. */
  readonly sourceHadItems?: boolean;
}

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

/** The drill's ownership rules the per-type steps apply (held by src/drills/drill.ts). */
export interface DrillRules {
  readonly tagKey: string;
  readonly createdAfterRefusal: (
    what: string,
    createdAt: Date | undefined,
    jobCreatedAt: Date | undefined,
  ) => string | undefined;
  readonly createdAfterCompletionRefusal: (
    what: string,
    createdAt: Date | undefined,
    completedAt: Date | undefined,
    so: string,
  ) => string | undefined;
}

/** What the cleanup reads of a resource before tagging or deleting it. */
export interface ResourceView {
  readonly exists: true;
  readonly tags: Readonly<Record<string, string>>;
  /** When its service says it was created (see OwnershipEvidence.resourceCreatedAt). */
  readonly createdAt: Date | undefined;
  /** Why the resource must be left (attached, mounted, instances or volumes not the drill's). */
  readonly inUse?: string;
  /** EC2: the volumes attached to the instance now (recorded at tagging). */
  readonly volumeIds?: string[];
  /** EC2: the instance and attached volumes that do not carry the drill tag yet. */
  readonly toTag?: string[];
}

/** What a deletion did: its steps, and for EC2 the volumes still to delete or left. */
export interface Deletion {
  readonly steps: string[];
  /** Still attached to the terminating instance: deleted on a later run. */
  readonly pending?: string[];
  /** Left, with the reason: listed on the record and in the report. */
  readonly leftovers?: string[];
}

/** One drill step's arguments: the created resource, its id in its ARN, the job, the rules. */
export interface DrillTarget {
  readonly id: string;
  readonly arn: string;
  readonly context: DrillContext;
  readonly rules: DrillRules;
}

/** How a drill's copy is read, tagged and deleted (AWS errors thrown, sorted). */
export interface DrillSteps {
  /** Reads what the ownership checks need; undefined when the resource is gone. */
  readonly view: (clients: ServiceClients, t: DrillTarget) => Promise<ResourceView | undefined>;
  /** Puts the drill tag on (only where it is not on yet, `view` read before when given). */
  readonly tag: (
    clients: ServiceClients,
    t: DrillTarget,
    view?: Pick<ResourceView, 'tags' | 'toTag'>,
  ) => Promise<void>;
  /** Deletes the copy the checks found the drill's own. */
  readonly delete: (clients: ServiceClients, t: DrillTarget) => Promise<Deletion>;
}

/** A restore job's recovery point: its vault, and the vault's owner when another account shares it. */
export interface StoredPoint {
  readonly recoveryPointArn: string;
  readonly backupVaultName: string;
  readonly vaultAccountId?: string;
}

/** How a restored copy is judged. */
export interface ValidationSteps {
  /** Reads the created resource (its id in its ARN) and judges it. */
  readonly check: (clients: ValidationClients, id: string, expect: Expectations) => Promise<Verdict>;
  /** Reads what the recovery point says the restore should produce (absent: nothing). */
  readonly expect?: (
    backup: BackupClient,
    point: StoredPoint | undefined,
    requestMetadata: Readonly<Record<string, string>>,
  ) => Promise<Expectations>;
}
