/** The typed result every check returns, and what it becomes at the edge: an error class. */

import { ForbiddenRequestError, InvalidRequestError } from '../errors.js';

/**
 * Why a check refuses: `invalid` (malformed: the sender must fix it) or `forbidden` (well formed,
 * but outside what this deployment allows: another role, vault, account, Region or partition).
 */
export interface Refusal {
  readonly kind: 'invalid' | 'forbidden';
  readonly problems: readonly string[];
}

/** What a check found: nothing to refuse, or a refusal listing every problem. */
export type Verdict = { readonly kind: 'ok' } | Refusal;

/** The verdict of a check that found nothing to refuse. */
export const OK: Verdict = Object.freeze({ kind: 'ok' });

/** A verdict with one problem of one kind. */
export function refuse(kind: Refusal['kind'], problem: string): Refusal {
  return { kind, problems: [problem] };
}

/**
 * Several verdicts as one, problems in order. Any invalid problem makes it invalid, and the
 * forbidden ones wait: whether the fixed request is allowed is judged when it comes back.
 */
export function combine(...verdicts: readonly Verdict[]): Verdict {
  const of = (kind: Refusal['kind']) => verdicts.flatMap((v) => (v.kind === kind ? v.problems : []));
  const invalid = of('invalid');
  if (invalid.length > 0) return { kind: 'invalid', problems: invalid };
  const forbidden = of('forbidden');
  if (forbidden.length > 0) return { kind: 'forbidden', problems: forbidden };
  return OK;
}

/** The problems of a verdict, each after `lead` (none when it is ok). */
export function problemLines(verdict: Verdict, lead = ''): string[] {
  return verdict.kind === 'ok' ? [] : verdict.problems.map((problem) => `${lead}${problem}`);
}

/**
 * A refusal as the error the pipeline sorts (both permanent: retrying cannot help), its problems
 * joined after the lead of its kind.
 */
export function refusalError(
  refusal: Refusal,
  lead: { readonly invalid: string; readonly forbidden: string } = { invalid: '', forbidden: '' },
): InvalidRequestError | ForbiddenRequestError {
  const message = `${lead[refusal.kind]}${refusal.problems.join('; ')}`;
  return refusal.kind === 'invalid' ? new InvalidRequestError(message) : new ForbiddenRequestError(message);
}
