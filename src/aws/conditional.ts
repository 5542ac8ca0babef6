/**
 * DynamoDB calls with their errors sorted, and conditional writes: the pipeline's one way to write
 * without overwriting.
 */

import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { classifyAwsError } from '../errors.js';

/** Runs one call; any error is sorted (classifyAwsError) and thrown. */
export async function sortedCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw classifyAwsError(operation, error);
  }
}

/**
 * Runs a conditional write; false when its condition did not hold (docs/aws-behaviour.md#ddb-condition).
 * Any other error is sorted (classifyAwsError) and thrown.
 */
export async function conditionHolds(operation: string, write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw classifyAwsError(operation, error);
  }
}

/** Whose an item is, read back after a write: this writer's, another's, or nobody's (no item). */
export type Holder = 'this' | 'another' | 'none';

/**
 * A conditional write whose answer may be lost (docs/aws-behaviour.md#ddb-lost-answer): written by
 * this call, or by an earlier attempt of the same writer (the SDK's own retry of a write that
 * landed fails its condition). Only the item, read back, tells them apart: true when it is this
 * writer's. A condition that did not hold reads back with `readBack` when `onConditionFailed` asks
 * (a condition that already admits the writer's own item need not); any other error reads back
 * always, and a read that finds no item, or fails too, throws the write's error.
 */
export async function writtenOrReadBack(
  operation: string,
  write: () => Promise<unknown>,
  readBack: () => Promise<Holder>,
  onConditionFailed: 'read-back' | 'false' = 'read-back',
): Promise<boolean> {
  let held: boolean;
  try {
    held = await conditionHolds(operation, write);
  } catch (error) {
    let holder: Holder;
    try {
      holder = await readBack();
    } catch {
      throw error;
    }
    if (holder === 'none') throw error;
    return holder === 'this';
  }
  if (held) return true;
  return onConditionFailed === 'read-back' && (await readBack()) === 'this';
}
