/**
 * ARNs: parsing, partitions, and the scope (partition, Region, accounts) a deployment restores in.
 * The checks that refuse an ARN outside it are policy: src/checks/policy.ts.
 */

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

/** Where a recovery point may come from. */
export interface Scope {
  readonly partition: string;
  readonly region: string;
  /** The deployment's own account (where restores run and restored resources land). */
  readonly accountId: string;
  /**
   * Other accounts whose shared vaults this deployment may restore from (ALLOWED_SOURCE_ACCOUNT_IDS);
   * absent or empty: the deployment's own account only.
   */
  readonly sourceAccountIds?: readonly string[] | undefined;
}

/** True when recovery points of `accountId` may be restored here: the own account or a listed source. */
export function isAllowedAccount(accountId: string, scope: Scope): boolean {
  return accountId === scope.accountId || (scope.sourceAccountIds ?? []).includes(accountId);
}

/** True when `accountId` is a listed source account other than the deployment's own. */
export function isSourceAccount(accountId: string, scope: Scope): boolean {
  return accountId !== scope.accountId && (scope.sourceAccountIds ?? []).includes(accountId);
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

/**
 * The account whose vault holds the resource's points: the named owner, else the resource's
 * account when it is a source account (its vault shared with this one), else this account.
 */
export function vaultOwnerOf(
  spec: { readonly resourceArn: string; readonly backupVaultAccountId?: string | undefined },
  scope: Scope,
): string {
  const resourceAccount = parseArn(spec.resourceArn)?.accountId ?? '';
  return (
    spec.backupVaultAccountId ?? (isSourceAccount(resourceAccount, scope) ? resourceAccount : scope.accountId)
  );
}
