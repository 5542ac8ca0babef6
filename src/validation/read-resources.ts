/**
 * The AWS reads behind each validation, as the type's module (src/resources/) does them: what the
 * service of the restored resource says about it, and what the recovery point says the restore
 * should have produced. "Not found" is an observation, any other error is thrown (sorted by
 * classifyAwsError).
 */

import type { BackupClient } from '@aws-sdk/client-backup';
import type { Expectations, StoredPoint, ValidationClients } from '../resources/module.js';
import { validationSteps } from '../resources/steps.js';
import type { CheckedType, Verdict } from './verdicts.js';

export { resourceIdOf } from '../resources/calls.js';
export type { Expectations, StoredPoint } from '../resources/module.js';

import { resourceIdOf } from '../resources/calls.js';

/** The clients a validation may need, each built on first use (a run reads one service). */
export interface ResourceClients extends ValidationClients {
  readonly backup: BackupClient;
}

/**
 * Reads the expectations from the recovery point (the type's module says which: EBS its
 * `volumeSize`, DynamoDB whether it holds data), with the vault owner's account for a shared vault.
 * Request overrides win (`volumeSize`).
 */
export async function readExpectations(
  backup: BackupClient,
  type: CheckedType,
  point: StoredPoint | undefined,
  requestMetadata: Readonly<Record<string, string>>,
): Promise<Expectations> {
  return (await validationSteps(type)?.expect?.(backup, point, requestMetadata)) ?? {};
}

/** Reads the created resource and judges it (the built-in check of its type). */
export async function checkResource(
  clients: ResourceClients,
  type: CheckedType,
  createdResourceArn: string,
  expect: Expectations,
): Promise<Verdict> {
  const check = validationSteps(type)?.check;
  if (check === undefined) throw new Error(`${type} has no built-in check`);
  return check(clients, resourceIdOf(createdResourceArn), expect);
}
