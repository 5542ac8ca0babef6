/**
 * One restore at a time per resource, for alarms: a claim on the resource (`active#<resourceArn>` in
 * the restore jobs table, keys.ts) taken with a conditional put before StartRestoreJob. The running-restore
 * check (ListRestoreJobsByProtectedResource) alone cannot hold when two alarm records are worked on
 * at once (the queue function works a batch concurrently, on several instances): both see nothing
 * running and both start. The claim holds across instances; it names the job once started, so a
 * later alarm finds whether that job still runs (DescribeRestoreJob).
 *
 * The alarm path reads the claim (readClaim) while it searches for the recovery point, then takes
 * it with one conditional put (takeClaim) that holds only if the claim is still exactly as read: the
 * put stays the arbiter, the read only saves the round trips. Anything else (a claim that blocks,
 * a read that failed, a claim that changed since) goes to claimResource, which decides as before.
 */

import type { BackupClient } from '@aws-sdk/client-backup';
import { type DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { describeRestoreJob } from '../aws/backup.js';
import { conditionHolds, writtenOrReadBack } from '../aws/conditional.js';
import { RestorePipelineError } from '../errors.js';
import { getItem } from './items.js';
import { claimKey, expiresAt, keyOf as itemKey } from './keys.js';

/** A claim whose starter never named its job is taken over after this (the start had died). */
export const CLAIM_START_MS = 120_000;
/** How long a claim is kept at most (TTL): restores can run for days. */
const CLAIM_TTL_DAYS = 7;

/** What taking a claim found. */
export type ResourceClaim =
  | { readonly kind: 'claimed' }
  /** Another restore of the resource runs, or is being started this moment. */
  | { readonly kind: 'busy'; readonly restoreJobId?: string };

const keyOf = (resourceArn: string) => itemKey(claimKey(resourceArn));

function claimItem(resourceArn: string, owner: string, now: Date) {
  return {
    ...keyOf(resourceArn),
    owner: { S: owner },
    claimedAt: { N: String(now.getTime()) },
    expiresAt: expiresAt(now, CLAIM_TTL_DAYS),
  };
}

/** The placeholders `condition` uses, for ExpressionAttributeNames (absent when none). */
function namesIn(condition: string): { ExpressionAttributeNames?: Record<string, string> } {
  const names = Object.fromEntries(
    (['owner', 'job'] as const).filter((n) => condition.includes(`#${n}`)).map((n) => [`#${n}`, n]),
  );
  return Object.keys(names).length === 0 ? {} : { ExpressionAttributeNames: names };
}

/** A condition of a put, with its values. */
interface Condition {
  readonly expression: string;
  readonly values: Record<string, { S: string } | { N: string }>;
  /**
   * Whether the condition holds on the taker's own claim too: a retry of a put that landed (its
   * answer lost) then holds again. A takeover's does not, so its failure is read back.
   */
  readonly admitsOwn: boolean;
}

/** The first try of every taker: no claim yet, or its own (the same alarm delivered again). */
const freeOrMine = (owner: string): Condition => ({
  expression: 'attribute_not_exists(restoreJobId) OR #owner = :me',
  values: { ':me': { S: owner } },
  admitsOwn: true,
});

type StoredClaim = Record<string, { S?: string; N?: string }>;

/**
 * A takeover holds only while the claim is exactly as it was judged stale: the same owner, taken at
 * the same moment, naming the same job (or none). The owner alone is not enough: the same alarm
 * delivered again re-takes its claim (a fresh claimedAt, no job yet) and starts again.
 */
function unchangedSince(existing: StoredClaim): Condition {
  const claimedAt = existing.claimedAt?.N;
  const job = existing.job?.S;
  return {
    expression: [
      '#owner = :previous',
      claimedAt === undefined ? 'attribute_not_exists(claimedAt)' : 'claimedAt = :claimedAt',
      job === undefined ? 'attribute_not_exists(#job)' : '#job = :job',
    ].join(' AND '),
    values: {
      ':previous': { S: existing.owner?.S ?? '' },
      ...(claimedAt === undefined ? {} : { ':claimedAt': { N: claimedAt } }),
      ...(job === undefined ? {} : { ':job': { S: job } }),
    },
    admitsOwn: false,
  };
}

/**
 * The put of a claim. A put that failed may still have been written (its answer lost): only the
 * table, read again, says. The claim is ours when it names our owner; another's claim means our
 * put did not hold (as a failed condition would say); no claim, or a read that fails too, proves
 * nothing: the put's error is thrown and the request retried. docs/aws-behaviour.md#ddb-lost-answer
 */
async function put(
  ddb: DynamoDBClient,
  table: string,
  resourceArn: string,
  item: ReturnType<typeof claimItem>,
  condition: Condition,
): Promise<boolean> {
  return writtenOrReadBack(
    'PutItem (resource claim)',
    () =>
      ddb.send(
        new PutItemCommand({
          TableName: table,
          Item: item as never,
          ConditionExpression: condition.expression,
          // OWNER is one of DynamoDB's reserved words: names go through placeholders.
          ...namesIn(condition.expression),
          ExpressionAttributeValues: condition.values,
        }),
      ),
    async () => {
      const stored = await getClaim(ddb, table, resourceArn);
      if (stored === undefined) return 'none';
      return stored.owner?.S === item.owner.S ? 'this' : 'another';
    },
    // A failed condition that admits the taker's own claim is another's; a takeover's may be the
    // retry of its own put that landed: read back.
    condition.admitsOwn ? 'false' : 'read-back',
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
  update: {
    readonly set: string;
    readonly remove?: string;
    readonly values: Record<string, { S: string } | { N: string }>;
  },
  extraCondition = '',
): Promise<boolean> {
  return conditionHolds('UpdateItem (resource claim)', () =>
    ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: keyOf(resourceArn),
        UpdateExpression: `SET ${update.set}${update.remove === undefined ? '' : ` REMOVE ${update.remove}`}`,
        ConditionExpression: `#owner = :me${extraCondition}`,
        ExpressionAttributeNames: { '#job': 'job', '#owner': 'owner' },
        ExpressionAttributeValues: { ...update.values, ':me': { S: owner } },
      }),
    ),
  );
}

async function getClaim(
  ddb: DynamoDBClient,
  table: string,
  resourceArn: string,
): Promise<StoredClaim | undefined> {
  return (await getItem(ddb, table, claimKey(resourceArn), 'resource claim')) as StoredClaim | undefined;
}

/**
 * Whether another owner's claim may be taken over: its start died (no job named after
 * CLAIM_START_MS, or given up), or AWS no longer runs its job. Either stays true while the claim
 * is unchanged: an ended job does not run again, and a claim only gets older.
 */
async function staleClaim(
  backup: BackupClient,
  existing: StoredClaim,
  now: Date,
): Promise<{ readonly stale: true } | { readonly stale: false; readonly restoreJobId?: string }> {
  const jobId = existing.job?.S;
  if (jobId === undefined) {
    return now.getTime() - Number(existing.claimedAt?.N ?? 0) > CLAIM_START_MS
      ? { stale: true }
      : { stale: false };
  }
  return (await jobRuns(backup, jobId)) ? { stale: false, restoreJobId: jobId } : { stale: true };
}

/**
 * Takes the claim on a resource for `owner` (the restore's idempotency token: the same alarm
 * delivered again owns it already). A claim of an ended job, or of a start that died, is taken
 * over, conditionally on it being unchanged since it was read, so two takers never both win.
 */
export async function claimResource(
  deps: { ddb: DynamoDBClient; backup: BackupClient },
  table: string,
  resourceArn: string,
  owner: string,
  now: Date,
): Promise<ResourceClaim> {
  const item = claimItem(resourceArn, owner, now);
  if (await put(deps.ddb, table, resourceArn, item, freeOrMine(owner))) return { kind: 'claimed' };
  const existing = await getClaim(deps.ddb, table, resourceArn);
  if (existing === undefined) {
    // Gone between the two calls (TTL, or given up): the next attempt of the request tries again.
    throw new RestorePipelineError(`The claim on ${resourceArn} changed while it was read; retrying`, {
      retryable: true,
    });
  }
  const judged = await staleClaim(deps.backup, existing, now);
  if (!judged.stale)
    return {
      kind: 'busy',
      ...(judged.restoreJobId === undefined ? {} : { restoreJobId: judged.restoreJobId }),
    };
  return (await put(deps.ddb, table, resourceArn, item, unchangedSince(existing)))
    ? { kind: 'claimed' }
    : { kind: 'busy' };
}

/**
 * What a read of the claim found: it may be taken with one conditional put (`takeable`, the put's
 * condition being the claim as read), or claimResource decides at the put (`undecided`: the claim
 * blocks, or the read failed).
 */
export type ClaimRead =
  /** `ownJob`: the claim is already this owner's, naming its job (the same alarm delivered again). */
  | { readonly kind: 'takeable'; readonly condition: Condition; readonly ownJob?: string }
  | { readonly kind: 'undecided' };

/** Nothing read (the read failed, or was not made): claimResource decides. */
export const UNDECIDED: ClaimRead = { kind: 'undecided' };

/**
 * Reads the claim on a resource ahead of taking it (GetItem, and DescribeRestoreJob when it names
 * another owner's job), so the alarm path can run these calls at the same time as its other reads.
 * Writes nothing: a claim that is free now may be taken by someone else before takeClaim.
 */
export async function readClaim(
  deps: { ddb: DynamoDBClient; backup: BackupClient },
  table: string,
  resourceArn: string,
  owner: string,
  now: Date,
): Promise<ClaimRead> {
  const key = namedKey(table, resourceArn);
  const guess = lastNamed.get(deps.ddb)?.get(key);
  // The job this instance last named on the claim is most likely still named there: AWS is asked
  // about it at the same time as the claim is read. Its answer is used only if the claim, as read,
  // names that very job; otherwise the job the claim names is asked about, after the read.
  const early =
    guess === undefined
      ? undefined
      : jobRuns(deps.backup, guess).then(
          (runs) => ({ runs }),
          (error: unknown) => ({ error }),
        );
  const existing = await getClaim(deps.ddb, table, resourceArn);
  if (existing === undefined) return { kind: 'takeable', condition: freeOrMine(owner) };
  if (existing.owner?.S === owner) {
    const job = existing.job?.S;
    return { kind: 'takeable', condition: freeOrMine(owner), ...(job === undefined ? {} : { ownJob: job }) };
  }
  const jobId = existing.job?.S;
  let stale: boolean;
  if (early !== undefined && jobId === guess) {
    const answer = await early;
    if ('error' in answer) throw answer.error;
    stale = !answer.runs;
  } else stale = (await staleClaim(deps.backup, existing, now)).stale;
  if (jobId !== undefined) remember(deps.ddb, key, jobId);
  return stale ? { kind: 'takeable', condition: unchangedSince(existing) } : UNDECIDED;
}

/**
 * The job last seen named on each claim, per table client (a warm instance), so that the next
 * alarm on the resource can ask AWS about it without waiting for the claim's read. Only a guess:
 * the claim as read decides which job's answer counts.
 */
const lastNamed = new WeakMap<DynamoDBClient, Map<string, string>>();
/** More resources than an instance is expected to guard: the guesses start afresh. */
const MAX_GUESSES = 1000;

const namedKey = (table: string, resourceArn: string) => `${table}\u0000${resourceArn}`;

function remember(ddb: DynamoDBClient, key: string, restoreJobId: string): void {
  const known = lastNamed.get(ddb) ?? new Map<string, string>();
  if (known.size >= MAX_GUESSES && !known.has(key)) known.clear();
  known.set(key, restoreJobId);
  lastNamed.set(ddb, known);
}

/**
 * Takes the claim after readClaim: one conditional put, holding only while the claim is as read.
 * When it does not hold (another taker was first, or the claim changed), or the read did not find
 * it takeable, claimResource decides as it would have without the read.
 */
export async function takeClaim(
  deps: { ddb: DynamoDBClient; backup: BackupClient },
  table: string,
  resourceArn: string,
  owner: string,
  now: Date,
  read: ClaimRead,
): Promise<ResourceClaim> {
  if (
    read.kind === 'takeable' &&
    (await put(deps.ddb, table, resourceArn, claimItem(resourceArn, owner, now), read.condition))
  )
    return { kind: 'claimed' };
  return claimResource(deps, table, resourceArn, owner, now);
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
  const named = await updateOwnClaim(ddb, table, resourceArn, owner, {
    set: '#job = :job',
    values: { ':job': { S: restoreJobId } },
  });
  if (named) remember(ddb, namedKey(table, resourceArn), restoreJobId);
}

/**
 * Gives a claim up at once (its restore did not start, or the job AWS answered is not this
 * request's), so the next alarm need not wait. `namedJob`: the job this owner named on the claim
 * while its link was written (act/restore-resource.ts), taken off with it.
 */
export async function releaseResource(
  ddb: DynamoDBClient,
  table: string,
  resourceArn: string,
  owner: string,
  namedJob?: string,
): Promise<void> {
  // Not ours, or it names another job: left as it is.
  await updateOwnClaim(
    ddb,
    table,
    resourceArn,
    owner,
    {
      set: 'claimedAt = :never',
      remove: '#job',
      values: { ':never': { N: '0' }, ...(namedJob === undefined ? {} : { ':named': { S: namedJob } }) },
    },
    namedJob === undefined
      ? ' AND attribute_not_exists(#job)'
      : ' AND (attribute_not_exists(#job) OR #job = :named)',
  );
}
