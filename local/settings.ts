/**
 * The local stack's one source of names and settings. The local pipeline (`npm start`,
 * `npm run serve`) builds its functions' environment from it, and the CLI's `--local` checks
 * requests with the same environment, through the same configuration reader as the functions.
 */

/** The local account, Region and the names of what the local pipeline creates. */
export const LOCAL_STACK = {
  endpoint: 'http://127.0.0.1:4566',
  region: 'eu-west-1',
  accountId: '123456789012',
  /** The member account that shares its logically air-gapped vault with the local account (local/seed.json). */
  sharingAccountId: '444455556666',
  requestQueue: 'restore-requests',
  deadLetterQueue: 'restore-dead-letters',
  validationQueue: 'restore-validations',
  table: 'restore-jobs',
  restoreRoleArn: 'arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole',
  operatorRoleArn: 'arn:aws:iam::123456789012:role/RestoreOperator',
  alertTopicArn: 'arn:aws:sns:eu-west-1:123456789012:restore-alerts',
} as const;

/**
 * The request rules of the local functions, as the environment variables serverless.yml gives the
 * deployed ones: the default restore role, the allowed roles, the Region and the accounts whose
 * shared vaults may be restored from.
 */
export function localRequestSettings(): Record<string, string> {
  return {
    AWS_REGION: LOCAL_STACK.region,
    RESTORE_ROLE_ARN: LOCAL_STACK.restoreRoleArn,
    ALLOWED_RESTORE_ROLE_ARNS: `${LOCAL_STACK.restoreRoleArn},${LOCAL_STACK.operatorRoleArn}`,
    ALLOWED_SOURCE_ACCOUNT_IDS: LOCAL_STACK.sharingAccountId,
  };
}
