/** ARN parsing and the checks that keep requests inside the deployment's account and Region. */

/** An IAM role ARN; group 1 is the partition, group 2 the account. */
export const ROLE_ARN_PATTERN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;

const ARN_PATTERN =
  /^arn:(aws|aws-cn|aws-us-gov):([a-z0-9-]{2,32}):([a-z0-9-]*):(\d{12}|):([\x21-\x7e]{1,1500})$/;

/** The partition a Region belongs to (aws-cn for cn-*, aws-us-gov for us-gov-*). docs/aws-behaviour.md#partitions */
export function partitionOfRegion(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The parts of an ARN. */
export interface Arn {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly accountId: string;
  readonly resource: string;
}

/** Splits an ARN into its parts, or returns undefined when it is not one. */
export function parseArn(value: string): Arn | undefined {
  const m = ARN_PATTERN.exec(value);
  if (m === null) return undefined;
  const [, partition = '', service = '', region = '', accountId = '', resource = ''] = m;
  return { partition, service, region, accountId, resource };
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

/** Where a recovery point may come from. */
export interface Scope {
  readonly partition: string;
  readonly region: string;
  /** The deployment's own account (where restores run and restored resources land). */
  readonly accountId: string;
  /**
   * Other accounts whose shared vaults this deployment may restore from (ALLOWED_SOURCE_ACCOUNT_IDS,
   * issue 15); absent or empty: the deployment's own account only.
   */
  readonly sourceAccountIds?: readonly string[] | undefined;
}

/** The setting (and stage parameter) that lists the source accounts, named in every refusal. */
export const SOURCE_ACCOUNTS_SETTING = 'ALLOWED_SOURCE_ACCOUNT_IDS (stage parameter allowedSourceAccountIds)';

/** True when recovery points of `accountId` may be restored here: the own account or a listed source. */
export function isAllowedAccount(accountId: string, scope: Scope): boolean {
  return accountId === scope.accountId || (scope.sourceAccountIds ?? []).includes(accountId);
}

/** True when `accountId` is a listed source account other than the deployment's own. */
export function isSourceAccount(accountId: string, scope: Scope): boolean {
  return accountId !== scope.accountId && (scope.sourceAccountIds ?? []).includes(accountId);
}

/**
 * The one refusal for an account outside the deployment's scope, shared by requests, requests by
 * resource, alarm targets and ALARM_TARGETS at cold start: says which accounts are allowed and
 * which setting to change.
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
 * The account a recovery point came from (the owner of the vault that holds it, as its ARN says);
 * EC2 image and snapshot ARNs carry none and are the caller's. Undefined for a string that is not an ARN.
 */
export function sourceAccountOf(recoveryPointArn: string, scope: Scope): string | undefined {
  const arn = parseArn(recoveryPointArn);
  if (arn === undefined) return undefined;
  return arn.accountId === '' ? scope.accountId : arn.accountId;
}

/** Checks a recovery point ARN's shape and scope; returns a reason when it is refused. */
export function checkRecoveryPointArn(value: string, scope: Scope): string | undefined {
  const arn = parseArn(value);
  const shape = arn === undefined ? undefined : RECOVERY_POINT_RESOURCES[arn.service];
  if (arn === undefined || shape === undefined || !shape.test(arn.resource)) {
    return (
      'RecoveryPointArn is not a recovery point ARN (expected e.g. ' +
      `arn:${scope.partition}:backup:${scope.region}:${scope.accountId}:recovery-point:ID, or an EC2 AMI, ` +
      'EBS/RDS/Redshift snapshot, FSx backup or DynamoDB backup ARN)'
    );
  }
  if (arn.partition !== scope.partition) {
    return `RecoveryPointArn is in partition "${arn.partition}"; this deployment restores only in "${scope.partition}"`;
  }
  if (arn.region !== scope.region) {
    return `RecoveryPointArn is in Region "${arn.region}"; this deployment restores only in "${scope.region}" (copy the recovery point to ${scope.region} first)`;
  }
  // EC2 image and snapshot ARNs carry no account; AWS resolves them in the caller's account.
  const accountless = arn.service === 'ec2' && arn.accountId === '';
  if (!accountless && !isAllowedAccount(arn.accountId, scope)) {
    return accountRefusal('RecoveryPointArn', arn.accountId, scope);
  }
  return undefined;
}

/** Checks a protected resource ARN's scope (the "by resource" form); returns a reason when refused. */
export function checkResourceArn(value: string, scope: Scope): string | undefined {
  const arn = parseArn(value);
  if (arn === undefined)
    return 'ResourceArn is not an ARN (expected arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)';
  if (arn.partition !== scope.partition) {
    return `ResourceArn is in partition "${arn.partition}"; this deployment restores only in "${scope.partition}"`;
  }
  // S3 bucket ARNs carry neither Region nor account.
  const global = arn.service === 's3' && arn.region === '' && arn.accountId === '';
  if (!global && arn.region !== scope.region) {
    return `ResourceArn is in Region "${arn.region}"; this deployment restores only in "${scope.region}"`;
  }
  if (!global && !isAllowedAccount(arn.accountId, scope)) {
    return accountRefusal('ResourceArn', arn.accountId, scope);
  }
  return undefined;
}

/**
 * Marks an error with the account its recovery point came from, for the dead letter
 * (`sourceAccountId`); an error already marked keeps its account. Returns the error.
 */
export function withSourceAccount<E>(error: E, accountId: string): E {
  if (typeof error === 'object' && error !== null && !Object.hasOwn(error, 'sourceAccountId')) {
    Object.defineProperty(error, 'sourceAccountId', { value: accountId, enumerable: false });
  }
  return error;
}
