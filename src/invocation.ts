/**
 * What one Lambda invocation knows about itself, carried through every await by
 * AsyncLocalStorage so the modules in between need no new parameters:
 * - its deadline (from `context.getRemainingTimeInMillis()`), split into the time for the work
 *   and a reserve kept for the dead letter;
 * - the secrets seen while handling it (Metadata values of the requests, of stored recovery
 *   points, of ALARM_TARGETS overrides), so text that came from outside can be scrubbed of them
 *   before it is written anywhere; each item of a batch has its own (withOwnSecrets).
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import type { Config } from './config.js';
import type { NamedSecret } from './types.js';

/** Time kept back from the work for the dead letter (less on short timeouts, see reserveFor). */
export const DEAD_LETTER_RESERVE_MS = 5_000;
/** Time kept back even from the dead letter: the handler must still return its answer. */
export const FINAL_MARGIN_MS = 300;
/** An attempt with less time than this left is not started. */
export const MIN_ATTEMPT_MS = 250;
/** What a scrubbed secret becomes. */
export const REDACTED = '[redacted]';
/** Shorter values are not scrubbed: they would garble every line and hide nothing. */
export const MIN_SECRET_LENGTH = 3;
/**
 * A value this long is replaced wherever it occurs, even inside a longer word; a shorter one only
 * where it stands whole (not between letters or digits), so that a value such as "failed" or
 * "true" hides itself and not the words that contain it ("unfailed", "construe").
 */
export const ANYWHERE_SECRET_LENGTH = 8;

interface Scope {
  /** Epoch ms at which Lambda ends the invocation; undefined when unknown (tests, local tools). */
  readonly endsAt: number | undefined;
  readonly reserveMs: number;
  readonly secrets: Set<string>;
  /** What each secret is (`Metadata.availabilityZone`), where known: the mark names it. */
  readonly names: Map<string, string>;
}

const storage = new AsyncLocalStorage<Scope>();

/** The reserve for an invocation of `timeoutMs`: 5 s, but at most a quarter of the time. */
export function reserveFor(timeoutMs: number): number {
  return Math.min(DEAD_LETTER_RESERVE_MS, Math.floor(timeoutMs / 4));
}

/** The part of a Lambda context read here. */
export interface DeadlineSource {
  getRemainingTimeInMillis?: () => number;
}

/**
 * Runs one invocation's work inside its scope. Without a usable context (tests, local tools) the
 * work has no deadline, and secrets are still collected.
 */
export function runInvocation<T>(
  context: DeadlineSource | undefined,
  secrets: Iterable<string>,
  work: () => Promise<T>,
  now: () => number = Date.now,
): Promise<T> {
  const remaining =
    typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : Number.NaN;
  const known = Number.isFinite(remaining) && remaining > 0;
  const scope: Scope = {
    endsAt: known ? now() + remaining : undefined,
    reserveMs: known ? reserveFor(remaining) : 0,
    secrets: new Set(),
    names: new Map(),
  };
  addTo(scope.secrets, secrets);
  return storage.run(scope, work);
}

function addTo(set: Set<string>, values: Iterable<string>): void {
  for (const value of values) {
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) continue;
    set.add(value);
    // The same value as it appears inside JSON text (an AWS message echoing a request body).
    const escaped = JSON.stringify(value).slice(1, -1);
    if (escaped !== value) set.add(escaped);
  }
}

/** Remembers secrets for the rest of the invocation (no-op outside one). */
export function rememberSecrets(values: Iterable<string>): void {
  const scope = storage.getStore();
  if (scope !== undefined) addTo(scope.secrets, values);
}

/**
 * Runs one item's work (an SQS record, an event, a job the reconciler settles) with secrets of its
 * own: the invocation's (its configuration's) and `secrets`. What the item remembers stays with it,
 * so one record's Metadata values never blank the text of another record of the same batch.
 */
export function withOwnSecrets<T>(
  secrets: Iterable<string>,
  work: () => Promise<T>,
  names: Iterable<NamedSecret> = [],
): Promise<T> {
  const parent = storage.getStore();
  const scope: Scope = {
    endsAt: parent?.endsAt,
    reserveMs: parent?.reserveMs ?? 0,
    secrets: new Set(parent?.secrets ?? []),
    names: new Map(parent?.names ?? []),
  };
  addTo(scope.secrets, secrets);
  addNames(scope, names);
  return storage.run(scope, work);
}

/** A name that can stand in a mark: a plain key, never text that could pass for something else. */
const PLAIN_NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,79}$/;

function addNames(scope: Scope, named: Iterable<NamedSecret>): void {
  for (const [value, name] of named) {
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) continue;
    addTo(scope.secrets, [value]);
    // A key that is not plain is not shown: the value is still hidden, under a plain mark.
    if (!PLAIN_NAME.test(name)) continue;
    for (const form of [value, JSON.stringify(value).slice(1, -1)])
      if (!scope.names.has(form)) scope.names.set(form, name);
  }
}

/** Remembers named secrets for the rest of the item (no-op outside one): their marks say what they were. */
export function rememberNamedSecrets(named: Iterable<NamedSecret>): void {
  const scope = storage.getStore();
  if (scope !== undefined) addNames(scope, named);
}

/** The secrets known to the current invocation. */
export function currentSecrets(): readonly string[] {
  return [...(storage.getStore()?.secrets ?? [])];
}

const WORD = /[\p{L}\p{N}_]/u;
const isWord = (c: string | undefined) => c !== undefined && WORD.test(c);

/**
 * Whether the occurrence of `secret` at `at` in `text` is the value itself: a long value anywhere,
 * a short one only where the text does not run on into it with a letter or digit on either side.
 */
function isValueAt(text: string, secret: string, at: number): boolean {
  if (secret.length >= ANYWHERE_SECRET_LENGTH) return true;
  const runsIn = isWord(text[at - 1]) && isWord(secret[0]);
  const runsOn = isWord(text[at + secret.length]) && isWord(secret[secret.length - 1]);
  return !runsIn && !runsOn;
}

/**
 * Replaces the secrets in a text that came from outside (an AWS message, a parse error, a status
 * message): the current item's secrets (withOwnSecrets) and `extra` (values, or named values).
 * Whole values are replaced; a value shorter than ANYWHERE_SECRET_LENGTH inside a longer word is
 * that word's. The mark names the field when it hid exactly one named value
 * (`[redacted Metadata.availabilityZone]`), else it is `[redacted]`.
 */
export function scrubText(text: string, extra: Iterable<string | NamedSecret> = []): string {
  const scope = storage.getStore();
  const own: Scope = {
    endsAt: undefined,
    reserveMs: 0,
    secrets: new Set(scope?.secrets ?? []),
    names: new Map(scope?.names ?? []),
  };
  for (const item of extra) {
    if (typeof item === 'string') addTo(own.secrets, [item]);
    else addNames(own, [item]);
  }
  const all = own.secrets;
  if (all.size === 0 || text === '') return text;
  const names = own.names;
  // Mark every character any occurrence of any secret covers, then replace each covered run once:
  // overlapping secrets are all removed, and a replacement never joins text into a new match.
  const covered = new Uint8Array(text.length);
  // The longest named secret that starts at a position: a run that is exactly it is named.
  const namedAt = new Map<number, { end: number; name: string }>();
  let any = false;
  for (const secret of all) {
    for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1)) {
      if (!isValueAt(text, secret, at)) continue;
      covered.fill(1, at, at + secret.length);
      any = true;
      const name = names.get(secret);
      if (name !== undefined && (namedAt.get(at)?.end ?? -1) < at + secret.length)
        namedAt.set(at, { end: at + secret.length, name });
    }
  }
  if (!any) return text;
  let out = '';
  for (let i = 0; i < text.length; ) {
    if (covered[i] === 0) {
      out += text[i];
      i++;
      continue;
    }
    let end = i;
    while (end < text.length && covered[end] === 1) end++;
    out += markFor(namedAt.get(i), end, all);
    i = end;
  }
  return out;
}

/**
 * The mark of a replaced run: `[redacted Metadata.<key>]` when the run is exactly one named value
 * (the reader learns which field to fix) and the name holds no secret; else `[redacted]`.
 */
function markFor(named: { end: number; name: string } | undefined, end: number, all: Set<string>): string {
  if (named === undefined || named.end !== end) return REDACTED;
  for (const secret of all) if (named.name.includes(secret)) return REDACTED;
  return `[redacted ${named.name}]`;
}

/** Which deadline a call works to: the work's, or the dead letter's (which may use the reserve). */
export type DeadlineKind = 'work' | 'dead-letter';

/** Epoch ms by which a call of this kind must be finished; undefined without a deadline. */
export function deadlineFor(kind: DeadlineKind): number | undefined {
  const scope = storage.getStore();
  if (scope?.endsAt === undefined) return undefined;
  return kind === 'work' ? scope.endsAt - scope.reserveMs : scope.endsAt - FINAL_MARGIN_MS;
}

/** Milliseconds left for a call of this kind; Infinity without a deadline. */
export function timeLeft(kind: DeadlineKind, now: number = Date.now()): number {
  const at = deadlineFor(kind);
  return at === undefined ? Number.POSITIVE_INFINITY : at - now;
}

/**
 * Metadata values this deployment's configuration holds (ALARM_TARGETS overrides): secret in
 * every invocation, since AWS may echo them in any message about a restore they went into. A
 * configuration without targets (the validator's, the drill cleanup's) holds none.
 */
export function secretsOfConfig(config: object): string[] {
  const { alarmTargets } = config as Partial<Pick<Config, 'alarmTargets'>>;
  return Object.values(alarmTargets ?? {}).flatMap((target) => Object.values(target.metadata ?? {}));
}
