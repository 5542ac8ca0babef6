/**
 * A validator of the team's own: a Lambda function, on this deployment's allowlist, invoked
 * synchronously with the job and answering `{"verdict": "pass" | "fail" | "not-yet", "reason": "..."}`.
 */

import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { classifyAwsError } from '../errors.js';
import { fail, notYet, type Verdict } from './verdicts.js';

/** What a validator function receives. */
export interface ValidatorInput {
  readonly kind: 'restore-validation';
  readonly restoreJobId: string;
  readonly resourceType: string;
  readonly createdResourceArn: string;
  readonly recoveryPointArn?: string;
  readonly sourceResourceArn?: string;
  /** 1 on the first check; a validator answering not-yet is asked again later. */
  readonly attempt: number;
  /** The built-in check's verdict, when the type has one. */
  readonly builtIn?: Verdict;
}

const MAX_REASON = 1000;

/** The function name inside a name or ARN (with or without a version or alias). */
export function functionNameOf(nameOrArn: string): string {
  const parts = nameOrArn.split(':');
  return nameOrArn.startsWith('arn:') ? (parts[6] ?? '') : nameOrArn;
}

/** True when the validator is on the allowlist (names or ARNs, compared by function name and, for ARNs, exactly). */
export function validatorAllowed(validator: string, allowlist: readonly string[]): boolean {
  return allowlist.some(
    (allowed) =>
      allowed === validator ||
      (!allowed.startsWith('arn:') && !validator.startsWith('arn:') && allowed === functionNameOf(validator)),
  );
}

/** Reads a validator's answer (pure). A function error is retried (not-yet); a malformed answer fails. */
export function parseValidatorAnswer(
  name: string,
  payload: string,
  functionError: string | undefined,
): Verdict {
  if (functionError !== undefined) {
    let message = payload;
    try {
      const e = JSON.parse(payload) as { errorType?: unknown; errorMessage?: unknown };
      message = `${String(e.errorType ?? 'Error')}: ${String(e.errorMessage ?? '')}`;
    } catch {
      // The raw payload is the best description there is.
    }
    return notYet(`Validator ${name} failed (${functionError}): ${message.slice(0, MAX_REASON)}`);
  }
  let answer: unknown;
  try {
    answer = JSON.parse(payload);
  } catch {
    return fail(
      `Validator ${name} answered something that is not JSON: fix it to return {"verdict", "reason"}`,
    );
  }
  const a = answer as { verdict?: unknown; reason?: unknown } | null;
  const verdict = a?.verdict;
  const reason =
    typeof a?.reason === 'string' && a.reason.trim() !== '' ? a.reason.slice(0, MAX_REASON) : undefined;
  if (verdict !== 'pass' && verdict !== 'fail' && verdict !== 'not-yet') {
    return fail(
      `Validator ${name} answered verdict ${JSON.stringify(verdict ?? null).slice(0, 40)}: it must be "pass", "fail" or "not-yet"`,
    );
  }
  return { verdict, reason: `Validator ${name}: ${reason ?? '(no reason given)'}` };
}

/** Invokes the validator (RequestResponse) and reads its verdict. AWS errors are thrown, sorted. */
export async function invokeValidator(
  lambda: LambdaClient,
  functionName: string,
  input: ValidatorInput,
): Promise<Verdict> {
  try {
    const out = await lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: Buffer.from(JSON.stringify(input)),
      }),
    );
    return parseValidatorAnswer(
      functionNameOf(functionName),
      Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8'),
      out.FunctionError,
    );
  } catch (error) {
    throw classifyAwsError(`Invoke of validator ${functionName}`, error);
  }
}
