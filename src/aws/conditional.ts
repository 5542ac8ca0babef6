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
