/**
 * The verdict on the job's link: item `<restoreJobId>#validation` (keys.ts) in the restore jobs table,
 * written once (conditional put), so a redelivered or requeued message never gives a job two
 * final verdicts.
 */

import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { conditionHolds } from '../aws/conditional.js';
import { getItem } from './items.js';
import { keyOf as itemKey, verdictKey } from './keys.js';

/** The final verdict kept for a job. */
export interface RecordedVerdict {
  readonly verdict: 'pass' | 'fail' | 'unchecked';
  readonly reason: string;
  readonly validatedAt: string;
  /** `built-in`, or the validator function's name. */
  readonly checkedBy: string;
  readonly attempts: number;
}

const keyOf = (restoreJobId: string) => itemKey(verdictKey(restoreJobId));
const TTL_SECONDS = 30 * 86_400;

/** The recorded verdict of a job, if any. */
export async function findVerdict(
  ddb: DynamoDBClient,
  table: string,
  restoreJobId: string,
): Promise<RecordedVerdict | undefined> {
  const item = await getItem(ddb, table, verdictKey(restoreJobId), 'restore validation');
  if (item === undefined) return undefined;
  return {
    verdict: (item.verdict?.S ?? 'unchecked') as RecordedVerdict['verdict'],
    reason: item.reason?.S ?? '',
    validatedAt: item.validatedAt?.S ?? '',
    checkedBy: item.checkedBy?.S ?? '',
    attempts: Number(item.attempts?.N ?? 0),
  };
}

/** Records the final verdict; false when one was already recorded (the first one stands). */
export async function recordVerdict(
  ddb: DynamoDBClient,
  table: string,
  restoreJobId: string,
  v: RecordedVerdict,
): Promise<boolean> {
  return conditionHolds('PutItem (restore validation)', () =>
    ddb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          ...keyOf(restoreJobId),
          verdict: { S: v.verdict },
          reason: { S: v.reason },
          validatedAt: { S: v.validatedAt },
          checkedBy: { S: v.checkedBy },
          attempts: { N: String(v.attempts) },
          expiresAt: { N: String(Math.floor(Date.parse(v.validatedAt) / 1000) + TTL_SECONDS) },
        },
        ConditionExpression: 'attribute_not_exists(restoreJobId)',
      }),
    ),
  );
}
