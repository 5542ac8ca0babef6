/**
 * Policy: what this deployment allows, whatever the shape of what asks (partition, Region and
 * account of an ARN, the restore role, the vault, the vault's owner, the validator). One message
 * per rule, shared by restore requests, requests by resource, alarm targets at run time and
 * ALARM_TARGETS at cold start; each check returns a typed verdict.
 */

import { isAllowedAccount, parseArn, type Scope } from '../arn.js';
import { OK, refuse, type Verdict } from './result.js';
import type { RequestFields } from './shape.js';

/** What a request, or a target, is checked against. */
export interface RequestPolicy extends Scope {
  readonly allowedRoleArns: readonly string[];
  readonly allowedVaultNames: readonly string[] | undefined;
  /**
   * ALLOWED_VALIDATOR_FUNCTIONS, when the caller knows it: a Validator not on it is refused. When
   * undefined, only the shape is checked here and the validator function refuses it at run time.
   */
  readonly allowedValidators?: readonly string[];
}

/** The setting (and stage parameter) that lists the source accounts, named in every refusal. */
export const SOURCE_ACCOUNTS_SETTING = 'ALLOWED_SOURCE_ACCOUNT_IDS (stage parameter allowedSourceAccountIds)';

/**
 * The one refusal for an account outside the deployment's scope: says which accounts are allowed
 * and which setting to change.
 */
export function accountRefusal(what: string, accountId: string, scope: Scope): string {
  const sources = (scope.sourceAccountIds ?? []).filter((a) => a !== scope.accountId);
  const allowed =
    sources.length === 0
      ? `only account ${scope.accountId}`
      : `only accounts ${[scope.accountId, ...sources].join(', ')}`;
  return `${what} belongs to account "${accountId}"; this deployment restores from ${allowed}: to restore from vaults shared by account ${accountId}, add it to ${SOURCE_ACCOUNTS_SETTING}`;
}

/**
 * Recovery point ARN shapes by service: AWS Backup's own, and the native snapshot or image ARNs
 * that AWS Backup uses for EC2, EBS, RDS, Aurora, DocumentDB, Neptune, Redshift, FSx and DynamoDB.
 */
const RECOVERY_POINT_RESOURCES: Readonly<Record<string, RegExp>> = {
  // A continuous backup's point: recovery-point:continuous:<id>. docs/aws-behaviour.md#continuous-arn
  backup: /^recovery-point:(continuous:)?[A-Za-z0-9\-_.]+$/,
  ec2: /^(image\/ami-[0-9a-f]{8,17}|snapshot\/snap-[0-9a-f]{8,17})$/,
  rds: /^(snapshot|cluster-snapshot):[A-Za-z0-9\-:]+$/,
  redshift: /^snapshot:[A-Za-z0-9\-_/:.]+$/,
  fsx: /^backup\/backup-[0-9a-f]{8,17}$/,
  dynamodb: /^table\/[A-Za-z0-9_.-]{3,255}\/backup\/[A-Za-z0-9.-]+$/,
};

/** A recovery point ARN: invalid when it is not one, forbidden outside the deployment's scope. */
export function checkRecoveryPointArn(value: string, scope: Scope): Verdict {
  const arn = parseArn(value);
  const shape = arn === undefined ? undefined : RECOVERY_POINT_RESOURCES[arn.service];
  if (arn === undefined || shape === undefined || !shape.test(arn.resource)) {
    return refuse(
      'invalid',
      'RecoveryPointArn is not a recovery point ARN (expected e.g. ' +
        `arn:${scope.partition}:backup:${scope.region}:${scope.accountId}:recovery-point:ID, or an EC2 AMI, ` +
        'EBS/RDS/Redshift snapshot, FSx backup or DynamoDB backup ARN)',
    );
  }
  if (arn.partition !== scope.partition) {
    return refuse(
      'forbidden',
      `RecoveryPointArn is in partition "${arn.partition}"; this deployment restores only in "${scope.partition}"`,
    );
  }
  if (arn.region !== scope.region) {
    return refuse(
      'forbidden',
      `RecoveryPointArn is in Region "${arn.region}"; this deployment restores only in "${scope.region}" (copy the recovery point to ${scope.region} first)`,
    );
  }
  // EC2 image and snapshot ARNs carry no account; AWS resolves them in the caller's account.
  const accountless = arn.service === 'ec2' && arn.accountId === '';
  if (!accountless && !isAllowedAccount(arn.accountId, scope)) {
    return refuse('forbidden', accountRefusal('RecoveryPointArn', arn.accountId, scope));
  }
  return OK;
}

/**
 * A protected resource's ARN (a request by resource, an alarm's target): invalid when it is not
 * an ARN, forbidden outside the deployment's scope.
 */
export function checkResourceArn(value: string, scope: Scope): Verdict {
  const arn = parseArn(value);
  if (arn === undefined)
    return refuse(
      'invalid',
      'ResourceArn is not an ARN (expected arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)',
    );
  if (arn.partition !== scope.partition) {
    return refuse(
      'forbidden',
      `ResourceArn is in partition "${arn.partition}"; this deployment restores only in "${scope.partition}"`,
    );
  }
  // S3 bucket ARNs carry neither Region nor account.
  const global = arn.service === 's3' && arn.region === '' && arn.accountId === '';
  if (!global && arn.region !== scope.region) {
    return refuse(
      'forbidden',
      `ResourceArn is in Region "${arn.region}"; this deployment restores only in "${scope.region}"`,
    );
  }
  if (!global && !isAllowedAccount(arn.accountId, scope)) {
    return refuse('forbidden', accountRefusal('ResourceArn', arn.accountId, scope));
  }
  return OK;
}

/** The restore role, when one is named: on ALLOWED_RESTORE_ROLE_ARNS. `subject` names where it was given. */
export function checkRole(subject: string, role: string | undefined, policy: RequestPolicy): Verdict {
  if (role === undefined || policy.allowedRoleArns.includes(role)) return OK;
  return refuse(
    'forbidden',
    `${subject} ${role} is not on this deployment's list of restore roles; leave it out to use the default restore role, or ask the operators to add the role to ALLOWED_RESTORE_ROLE_ARNS`,
  );
}

/** The vault, when one is named and ALLOWED_BACKUP_VAULTS is set: on that list. */
export function checkVault(subject: string, vault: string | undefined, policy: RequestPolicy): Verdict {
  const allowed = policy.allowedVaultNames;
  if (vault === undefined || allowed === undefined || allowed.includes(vault)) return OK;
  return refuse(
    'forbidden',
    `${subject} ${vault} is not one of the vaults this deployment restores from (${allowed.join(', ')})`,
  );
}

/** A restore request by recovery point must name its vault when ALLOWED_BACKUP_VAULTS is set. */
export function checkVaultNamed(vault: string | undefined, policy: RequestPolicy): Verdict {
  const allowed = policy.allowedVaultNames;
  if (vault !== undefined || allowed === undefined) return OK;
  return refuse(
    'invalid',
    `BackupVaultName is required: this deployment restores only from the vaults ${allowed.join(', ')}`,
  );
}

/** The account that owns the vault: the deployment's own or one of ALLOWED_SOURCE_ACCOUNT_IDS. */
export function checkVaultOwner(subject: string, accountId: string | undefined, scope: Scope): Verdict {
  if (accountId === undefined || isAllowedAccount(accountId, scope)) return OK;
  return refuse('forbidden', accountRefusal(subject, accountId, scope));
}

function validatorOnList(validator: string, allowlist: readonly string[]): boolean {
  const name = (v: string) => (v.startsWith('arn:') ? (v.split(':')[6] ?? '') : v);
  return allowlist.some(
    (allowed) =>
      allowed === validator ||
      (!allowed.startsWith('arn:') && !validator.startsWith('arn:') && allowed === name(validator)),
  );
}

/** The validator function, when one is named and the caller knows ALLOWED_VALIDATOR_FUNCTIONS. */
export function checkValidator(validator: string | undefined, policy: RequestPolicy): Verdict {
  const allowed = policy.allowedValidators;
  if (validator === undefined || allowed === undefined || validatorOnList(validator, allowed)) return OK;
  return refuse(
    'forbidden',
    `Validator ${validator} is not on this deployment's ALLOWED_VALIDATOR_FUNCTIONS; name an allowed function, or ask the operators to add it`,
  );
}

/** What a resource to restore names that the policy decides on. */
export interface TargetNames {
  readonly resourceArn?: string | undefined;
  readonly iamRoleArn?: string | undefined;
  readonly backupVaultName?: string | undefined;
  /** The account that owns the vault. */
  readonly backupVaultAccountId?: string | undefined;
}

/** The verdict on each field of a target, in the order they are reported. */
export interface TargetVerdicts {
  readonly resourceArn: Verdict;
  readonly iamRoleArn: Verdict;
  readonly backupVaultName: Verdict;
  readonly backupVaultAccountId: Verdict;
}

/**
 * The policy of a resource to restore: the same checks, and messages, for an alarm's target at
 * run time (src/act/restore-resource.ts) and for ALARM_TARGETS at cold start (src/alarm.ts); a request by
 * resource runs the same rules with its own field names as subjects (src/checks/request.ts).
 */
export function checkTargetPolicy(target: TargetNames, policy: RequestPolicy): TargetVerdicts {
  return {
    resourceArn: target.resourceArn === undefined ? OK : checkResourceArn(target.resourceArn, policy),
    iamRoleArn: checkRole('The role', target.iamRoleArn, policy),
    backupVaultName: checkVault('The vault', target.backupVaultName, policy),
    backupVaultAccountId: checkVaultOwner('The backup vault', target.backupVaultAccountId, policy),
  };
}

/**
 * The policy step of a restore request, one verdict per rule in the order they are reported: its
 * validator, role and vault, and the scope of its recovery point's (or resource's) ARN, each named
 * by the request's own field (combined with the other steps by src/checks/request.ts).
 */
export function requestPolicyVerdicts(fields: RequestFields, policy: RequestPolicy): Verdict[] {
  const arn = fields.arn;
  return [
    checkValidator(fields.validator, policy),
    checkRole('IamRoleArn', fields.iamRoleArn, policy),
    fields.byResource ? OK : checkVaultNamed(fields.backupVaultName, policy),
    checkVault('BackupVaultName', fields.backupVaultName, policy),
    arn === undefined
      ? OK
      : fields.byResource
        ? checkResourceArn(arn, policy)
        : checkRecoveryPointArn(arn, policy),
  ];
}
