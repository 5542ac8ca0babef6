/** The resource types make-ready has steps for. */

import { auroraReady } from './aurora.js';
import { dynamodbReady } from './dynamodb.js';
import { rdsReady } from './rds.js';
import type { ReadyType } from './steps.js';

const TYPES: ReadonlyMap<string, ReadyType> = new Map(
  [auroraReady, dynamodbReady, rdsReady].map((t) => [t.resourceType, t]),
);

/** The steps of a type, or undefined for a type with none yet. */
export function readyTypeOf(resourceType: string): ReadyType | undefined {
  return TYPES.get(resourceType);
}
