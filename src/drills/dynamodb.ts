/**
 * A drill's DynamoDB table: read (tags, CreationDateTime), tagged, and deleted the way DynamoDB
 * needs: deletion protection off (UpdateTable), then, once the table is ACTIVE again (UpdateTable
 * leaves it UPDATING, and DeleteTable meanwhile fails ResourceInUseException), DeleteTable.
 * docs/aws-behaviour.md#ddb-update-table-updating
 */

import {
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ListTagsOfResourceCommand,
  TagResourceCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { classifyAwsError } from '../errors.js';
import { call, type DrillContext, dateOf, NotReadyError, tagMap, waitUntil } from './calls.js';
import { DRILL_TAG_KEY } from './drill.js';
import type { ResourceView } from './resources.js';

/** Reads the table's tags and creation time; undefined when it does not exist. */
export async function viewTable(
  ddb: DynamoDBClient,
  name: string,
  arn: string,
): Promise<ResourceView | undefined> {
  const table = (await ddb.send(new DescribeTableCommand({ TableName: name }))).Table;
  if (table === undefined) return undefined;
  const tags = await ddb.send(new ListTagsOfResourceCommand({ ResourceArn: arn }));
  return { exists: true, tags: tagMap(tags.Tags), createdAt: dateOf(table.CreationDateTime) };
}

/** Puts the drill tag on the table. */
export async function tagTable(ddb: DynamoDBClient, arn: string, restoreJobId: string): Promise<void> {
  await call('TagResource (DynamoDB)', () =>
    ddb.send(
      new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: DRILL_TAG_KEY, Value: restoreJobId }] }),
    ),
  );
}

const status = async (ddb: DynamoDBClient, name: string) =>
  (await call('DescribeTable', () => ddb.send(new DescribeTableCommand({ TableName: name })))).Table;

/**
 * Deletes the table: protection off, then DeleteTable once ACTIVE. A table still UPDATING at the
 * deadline (or one DeleteTable finds in use) throws NotReadyError: the next run goes on from there.
 */
export async function deleteTable(
  ddb: DynamoDBClient,
  name: string,
  context: DrillContext,
): Promise<string[]> {
  const steps: string[] = [];
  const table = await status(ddb, name);
  if (table?.DeletionProtectionEnabled === true) {
    await call('UpdateTable', () =>
      ddb.send(new UpdateTableCommand({ TableName: name, DeletionProtectionEnabled: false })),
    );
    steps.push('deletion protection turned off');
  }
  await waitUntil(
    context,
    `the table ${name} is not ACTIVE yet (UpdateTable leaves it UPDATING); it is deleted on a later run`,
    async () => (await status(ddb, name))?.TableStatus === 'ACTIVE',
    2_000,
  );
  try {
    await ddb.send(new DeleteTableCommand({ TableName: name }));
  } catch (error) {
    if ((error as { name?: unknown }).name === 'ResourceInUseException') {
      throw new NotReadyError(
        `DeleteTable: the table ${name} is in use (being updated); it is deleted on a later run`,
      );
    }
    throw classifyAwsError('DeleteTable', error);
  }
  steps.push('DeleteTable');
  return steps;
}
