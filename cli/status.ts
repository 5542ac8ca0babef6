/**
 * `status <restore job id | message id>`: the job link (by job id, or through the `byTriggerId`
 * index for an SQS message id or EventBridge event id), the job's state from AWS Backup, and the
 * outcome the tracker recorded.
 */

import { type BackupClient, DescribeRestoreJobCommand } from '@aws-sdk/client-backup';
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { outcomeKey, readyAskedKey, readyKey } from '../src/table/keys.js';
import { askedAtOf, type ReadyRecord, readyFromItem } from '../src/table/ready.js';
import {
  linkFromItem,
  type NamedSecret,
  namedSecretsOfOriginal,
  scrubText,
  secretsOfOriginal,
} from './pipeline.js';

/** The index on the link items' `triggerId` (serverless.yml). */
export const TRIGGER_INDEX = 'byTriggerId';

/** One restore job found for the id. */
export interface JobStatus {
  readonly restoreJobId: string;
  readonly link?: {
    readonly trigger?: unknown;
    readonly triggerId?: string;
    readonly recoveryPointArn?: string;
    readonly resourceType?: string;
    readonly startedAt?: string;
    readonly redriveCount?: number;
  };
  /** From DescribeRestoreJob; undefined when AWS does not know the job. */
  readonly job?: {
    readonly status?: string;
    readonly statusMessage?: string;
    readonly percentDone?: string;
    readonly resourceType?: string;
    readonly createdResourceArn?: string;
    readonly creationDate?: string;
    readonly completionDate?: string;
  };
  readonly jobError?: string;
  /** What the tracker recorded at the job's end (`<jobId>#outcome`), then make-ready's state. */
  readonly outcome?: string;
  /** What makeReady recorded (`<jobId>#ready`): its state, when, and how many settings still differ. */
  readonly ready?: {
    readonly state: string;
    readonly readyAt?: string;
    readonly readySeconds?: number;
    readonly differences: number;
  };
}

/** What `status` found. */
export interface StatusReport {
  readonly id: string;
  /** `restore-job-id` or `trigger-id` (message or event id), or `none`. */
  readonly foundBy: 'restore-job-id' | 'trigger-id' | 'none';
  readonly jobs: readonly JobStatus[];
  readonly notes: readonly string[];
}

type Item = Record<string, AttributeValue>;

async function getItem(ddb: DynamoDBClient, table: string, key: string): Promise<Item | undefined> {
  const out = await ddb.send(new GetItemCommand({ TableName: table, Key: { restoreJobId: { S: key } } }));
  return out.Item;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function linkOf(item: Item): NonNullable<JobStatus['link']> {
  return {
    ...(item.trigger?.S === undefined ? {} : { trigger: parseJson(item.trigger.S) }),
    ...(item.triggerId?.S === undefined ? {} : { triggerId: item.triggerId.S }),
    ...(item.recoveryPointArn?.S === undefined ? {} : { recoveryPointArn: item.recoveryPointArn.S }),
    ...(item.resourceType?.S === undefined ? {} : { resourceType: item.resourceType.S }),
    ...(item.startedAt?.S === undefined ? {} : { startedAt: item.startedAt.S }),
    ...(item.redriveCount?.N === undefined ? {} : { redriveCount: Number(item.redriveCount.N) }),
  };
}

async function describeJob(
  backup: BackupClient,
  restoreJobId: string,
): Promise<Pick<JobStatus, 'job' | 'jobError'>> {
  try {
    const out = await backup.send(new DescribeRestoreJobCommand({ RestoreJobId: restoreJobId }));
    const iso = (d: Date | undefined) => d?.toISOString();
    return {
      job: Object.fromEntries(
        Object.entries({
          status: out.Status,
          statusMessage: out.StatusMessage,
          percentDone: out.PercentDone,
          resourceType: out.ResourceType,
          createdResourceArn: out.CreatedResourceArn,
          creationDate: iso(out.CreationDate),
          completionDate: iso(out.CompletionDate),
        }).filter(([, v]) => v !== undefined && v !== ''),
      ),
    };
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException')
      return { jobError: 'AWS Backup does not know this job' };
    throw error;
  }
}

/** The Metadata values of the request kept on a link, as the pipeline scrubs them ([] when unreadable). */
function secretsOfLink(item: Item | undefined): readonly (string | NamedSecret)[] {
  if (item === undefined) return [];
  try {
    const original = linkFromItem(item).original;
    return [...namedSecretsOfOriginal(original), ...secretsOfOriginal(original)];
  } catch {
    return [];
  }
}

/**
 * AWS's status message may quote the request's Metadata values (an invalid zone, a name): they
 * are replaced as the pipeline's letters, logs and alerts replace them.
 */
function scrubJob(found: Pick<JobStatus, 'job' | 'jobError'>, link: Item | undefined) {
  const message = found.job?.statusMessage;
  if (message === undefined || found.job === undefined) return found;
  return { ...found, job: { ...found.job, statusMessage: scrubText(message, secretsOfLink(link)) } };
}

/** Job ids whose link names `triggerId`, through the GSI, all pages. */
async function jobIdsByTrigger(ddb: DynamoDBClient, table: string, triggerId: string): Promise<string[]> {
  const ids: string[] = [];
  let start: Item | undefined;
  do {
    const out = await ddb.send(
      new QueryCommand({
        TableName: table,
        IndexName: TRIGGER_INDEX,
        KeyConditionExpression: '#t = :id',
        ExpressionAttributeNames: { '#t': 'triggerId' },
        ExpressionAttributeValues: { ':id': { S: triggerId } },
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    for (const item of out.Items ?? []) if (item.restoreJobId?.S !== undefined) ids.push(item.restoreJobId.S);
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return ids;
}

/**
 * What to say when the table cannot be queried by trigger id: what is missing and how to get it.
 * The table of a deployment has the index from serverless.yml; the local stack creates it too.
 */
export function missingIndexNote(table: string): string {
  return `The job-link table ${table} has no ${TRIGGER_INDEX} index, so a message or event id cannot be looked up (a restore job id still can). Deploy the current serverless.yml (it adds the index to RestoreJobsTable), or restart \`npm run serve\` for the local stack; meanwhile find the job id with \`restore-pipeline dead-letters\` or in the functions' "Restore job started" log lines.`;
}

/**
 * The outcome with make-ready's state: `COMPLETED -> ready (12.5 s after completed, 3 settings
 * differ)`; with no record yet, when the reconciler asked makeReady for it (its event was lost).
 */
export function readyText(outcome: string, made: ReadyRecord | undefined, askedAt?: string): string {
  if (made === undefined && askedAt !== undefined)
    return `${outcome} -> make-ready asked by the reconciler at ${askedAt} (its COMPLETED event never reached makeReady)`;
  if (made === undefined) return outcome;
  const seconds =
    made.readySeconds === undefined ? '' : `${made.readySeconds.toFixed(1)} s after completed, `;
  const differ = made.diff.length === 1 ? '1 setting differs' : `${made.diff.length} settings differ`;
  return `${outcome} -> ${made.state} (${seconds}${differ})`;
}

/** Looks an id up: as a restore job id first, then as a message or event id. */
export async function lookUp(
  clients: { ddb: DynamoDBClient; backup: BackupClient },
  table: string,
  id: string,
): Promise<StatusReport> {
  const notes: string[] = [];
  const full = async (restoreJobId: string, item?: Item): Promise<JobStatus> => {
    const [link, outcome, job, ready, asked] = await Promise.all([
      item === undefined ? getItem(clients.ddb, table, restoreJobId) : Promise.resolve(item),
      getItem(clients.ddb, table, outcomeKey(restoreJobId)),
      describeJob(clients.backup, restoreJobId),
      getItem(clients.ddb, table, readyKey(restoreJobId)),
      getItem(clients.ddb, table, readyAskedKey(restoreJobId)),
    ]);
    const made = readyFromItem(ready);
    const askedAt = askedAtOf(asked);
    const said = outcome?.outcome?.S;
    return {
      restoreJobId,
      ...(link === undefined ? {} : { link: linkOf(link) }),
      ...scrubJob(job, link),
      ...(said === undefined && made === undefined
        ? {}
        : { outcome: readyText(said ?? 'COMPLETED', made, askedAt) }),
      ...(made === undefined
        ? {}
        : {
            ready: {
              state: made.state,
              ...(made.readyAt === undefined ? {} : { readyAt: made.readyAt }),
              ...(made.readySeconds === undefined ? {} : { readySeconds: made.readySeconds }),
              differences: made.diff.length,
            },
          }),
    };
  };

  const direct = await getItem(clients.ddb, table, id);
  if (direct !== undefined) return { id, foundBy: 'restore-job-id', jobs: [await full(id, direct)], notes };

  let byTrigger: string[] = [];
  try {
    byTrigger = await jobIdsByTrigger(clients.ddb, table, id);
  } catch (error) {
    if ((error as Error).name === 'ValidationException' && /index/i.test((error as Error).message)) {
      notes.push(missingIndexNote(table));
    } else throw error;
  }
  if (byTrigger.length > 0) {
    return { id, foundBy: 'trigger-id', jobs: await Promise.all(byTrigger.map((j) => full(j))), notes };
  }

  // A job this pipeline did not start, or whose link expired: AWS may still know it.
  const job = await describeJob(clients.backup, id);
  if (job.job !== undefined) {
    notes.push('No link in the table: the pipeline did not start this job, or its link expired (30 days).');
    return { id, foundBy: 'restore-job-id', jobs: [{ restoreJobId: id, ...job }], notes };
  }
  notes.push(
    'Nothing found. For a message id: the request may still be on the request queue, or it was refused before a job started; run `restore-pipeline dead-letters` and look for this id.',
  );
  return { id, foundBy: 'none', jobs: [], notes };
}
