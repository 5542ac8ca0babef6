/**
 * One restore at a time per resource, for alarms: a claim on the resource (`active#<resourceArn>` in
 * the job-link table) taken with a conditional put before StartRestoreJob. The running-restore
 * check (ListRestoreJobsByProtectedResource) alone cannot hold when two alarm records are worked on
 * at once (the queue function works a batch concurrently, on several instances): both see nothing
 * running and both start. The claim holds across instances; it names the job once started, so a
 * later alarm finds whether that job still runs (DescribeRestoreJob).
 */

import type { BackupClient } from '@aws-sdk/client-backup';
import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { describeRestoreJob } from '../aws/backup.js';
import { conditionHolds, sortedCall } from '../aws/conditional.js';
import { RestorePipelineError } from '../errors.js';

/** A claim whose starter never named its job is taken over after this (the start had died). */
export const CLAIM_START_MS = 120_000;
/** How long a claim is kept at most (TTL): restores can run for days. */
const CLAIM_TTL_DAYS = 7;

/** What taking a claim found. */
export type ResourceClaim =
  | { readonly kind: 'claimed' }
  /** Another restore of the resource runs, or is being started this moment. */
  | { readonly kind: 'busy'; readonly restoreJobId?: string };

const keyOf = (resourceArn: string) => ({ restoreJobId: { S: `active#${resourceArn}` } });

function claimItem(resourceArn: string, owner: string, now: Date) {
  return {
    ...keyOf(resourceArn),
    owner: { S: owner },
    claimedAt: { N: String(now.getTime()) },
    expiresAt: { N: String(Math.floor(now.getTime() / 1000) + CLAIM_TTL_DAYS * 86_400) },
  };
}

async function put(
  ddb: DynamoDBClient,
  table: string,
  item: Record<string, unknown>,
  condition: string,
  values: Record<string, unknown>,
): Promise<boolean> {
  return conditionHolds('PutItem (resource claim)', () =>
    ddb.send(
      new PutItemCommand({
        TableName: table,
        Item: item as never,
        ConditionExpression: condition,
        // OWNER is one of DynamoDB's reserved words: names go through placeholders.
        ...(condition.includes('#owner') ? { ExpressionAttributeNames: { '#owner': 'owner' } } : {}),
        ...(Object.keys(values).length === 0 ? {} : { ExpressionAttributeValues: values as never }),
      }),
    ),
  );
}

/** True while AWS says the job is PENDING or RUNNING (a job AWS does not know runs no more). */
async function jobRuns(backup: BackupClient, restoreJobId: string): Promise<boolean> {
  const status = (await describeRestoreJob(backup, restoreJobId))?.Status;
  return status === 'PENDING' || status === 'RUNNING';
}

/**
 * A conditional update of the claim, made only while `owner` holds it (and, with `extraCondition`,
 * only while that holds too); a claim taken over is left as it is.
 */
async function updateOwnClaim(
  ddb: DynamoDBClient,
  table: string,
  resourceArn: string,
  owner: string,
  update: { readonly set: string; readonly values: Record<string, { S: string } | { N: string }> },
  extraCondition = '',
): Promise<void> {
  await conditionHolds('UpdateItem (resource claim)', () =>
    ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: keyOf(resourceArn),
        UpdateExpression: `SET ${update.set}`,
        ConditionExpression: `#owner = :me${extraCondition}`,
        ExpressionAttributeNames: { '#job': 'job', '#owner': 'owner' },
        ExpressionAttributeValues: { ...update.values, ':me': { S: owner } },
      }),
    ),
  );
}

/**
 * Takes the claim on a resource for `owner` (the restore's idempotency token: the same alarm
 * delivered again owns it already). A claim of an ended job, or of a start that died, is taken
 * over, conditionally on its owner, so two takers never both win.
 */
export async function claimResource(
  deps: { ddb: DynamoDBClient; backup: BackupClient },
  table: string,
  resourceArn: string,
  owner: string,
  now: Date,
): Promise<ResourceClaim> {
  const item = claimItem(resourceArn, owner, now);
  if (
    await put(deps.ddb, table, item, 'attribute_not_exists(restoreJobId) OR #owner = :me', {
      ':me': { S: owner },
    })
  )
    return { kind: 'claimed' };
  const out = await sortedCall('GetItem (resource claim)', () =>
    deps.ddb.send(new GetItemCommand({ TableName: table, Key: keyOf(resourceArn), ConsistentRead: true })),
  );
  const existing = out?.Item as Record<string, { S?: string; N?: string }> | undefined;
  if (existing === undefined) {
    // Gone between the two calls (TTL, or given up): the next attempt of the request tries again.
    throw new RestorePipelineError(`The claim on ${resourceArn} changed while it was read; retrying`, {
      retryable: true,
    });
  }
  const previousOwner = existing.owner?.S ?? '';
  const jobId = existing.job?.S;
  const stale =
    jobId === undefined
      ? now.getTime() - Number(existing.claimedAt?.N ?? 0) > CLAIM_START_MS
      : !(await jobRuns(deps.backup, jobId));
  if (!stale) return { kind: 'busy', ...(jobId === undefined ? {} : { restoreJobId: jobId }) };
  return (await put(deps.ddb, table, item, '#owner = :previous', { ':previous': { S: previousOwner } }))
    ? { kind: 'claimed' }
    : { kind: 'busy' };
}

/** Names the job a claim started (so a later alarm asks AWS whether it still runs). */
export async function recordClaimedJob(
  ddb: DynamoDBClient,
  table: string,
  resourceArn: string,
  owner: string,
  restoreJobId: string,
): Promise<void> {
  // Not the owner any more (the claim was taken over): nothing to name.
  await updateOwnClaim(ddb, table, resourceArn, owner, {
    set: '#job = :job',
    values: { ':job': { S: restoreJobId } },
  });
}

/** Gives a claim up at once (its restore did not start), so the next alarm need not wait. */
export async function releaseResource(
  ddb: DynamoDBClient,
  table: string,
  resourceArn: string,
  owner: string,
): Promise<void> {
  // Not ours, or it names a job already: left as it is.
  await updateOwnClaim(
    ddb,
    table,
    resourceArn,
    owner,
    { set: 'claimedAt = :never', values: { ':never': { N: '0' } } },
    ' AND attribute_not_exists(#job)',
  );
}
