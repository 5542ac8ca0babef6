/**
 * The window a recovery point is chosen in: the moment to restore to (an alarm's state change or
 * a request's restore time, less the selection's margin) and how far back to look. Pure.
 */

import type { PointSelection } from '../config.js';
import { InvalidRequestError } from '../errors.js';
import type { Window } from './recovery-point.js';

/**
 * The moment to restore to: the alarm's state change (or a request's restore time) minus the
 * selection's margin, or undefined for "latest" (no moment: never a point-in-time restore).
 */
function targetTime(selection: PointSelection, at: Date): Date | undefined {
  if (selection.mode === 'latest') return undefined;
  return new Date(at.getTime() - (selection.marginSeconds ?? 0) * 1000);
}

/**
 * The window of a selection relative to a moment (the alarm's state change or a restore time). Its
 * end is the moment to restore to (targetTime): a continuous point is restored to it.
 */
export function windowOf(selection: PointSelection, at: Date): Window {
  const target = targetTime(selection, at);
  switch (selection.mode) {
    case 'latest':
      return {};
    case 'before-alarm':
      return { notAfter: target ?? at };
    case 'look-back':
      return {
        notAfter: target ?? at,
        notBefore: new Date(at.getTime() - selection.hours * 3_600_000),
      };
  }
}

/** Says which window was searched, for a person. */
export function describeWindow(window: Window): string {
  if (window.notAfter === undefined) return 'at any time';
  const before = `created at or before ${window.notAfter.toISOString()}`;
  return window.notBefore === undefined ? before : `${before} and after ${window.notBefore.toISOString()}`;
}

/** Thrown when no recovery point fits: says which resource, which vaults were searched and which window. */
export function noRecoveryPoint(
  resourceArn: string,
  window: Window,
  vaultsSearched?: readonly string[],
): InvalidRequestError {
  const inVaults =
    vaultsSearched === undefined
      ? ''
      : vaultsSearched.length === 0
        ? ' (the account has no backup vault in this Region)'
        : ` in the vaults searched (${vaultsSearched.join(', ')})`;
  return new InvalidRequestError(
    `No COMPLETED or AVAILABLE recovery point of ${resourceArn}${inVaults} ${describeWindow(window)}: check the backup plan covers the resource, or choose another time or rule (latest, look-back:Nh)`,
  );
}
