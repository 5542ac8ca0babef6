/**
 * Runs one type's make-ready steps on a restored copy: the source's settings first (or, with the
 * source gone, what the recovery point tells), then each step in order: read, write on a
 * difference, wait for what the write started. Retryable errors are retried with backoff, and one
 * that outlasts the tries makes the whole run be tried again; a step that fails otherwise is
 * recorded as failed and the others still run. The result says whether the
 * copy is ready, what each step did, and what still differs from the source, and why.
 */

import { parseArn } from '../arn.js';
import { describeError, RestorePipelineError } from '../errors.js';
import type { Logger } from '../logger.js';
import {
  type DiffEntry,
  READY_TAG,
  type ReadyStep,
  type ReadyType,
  type SourceSettings,
  type StepResult,
  sameValue,
  type Target,
  type Value,
} from '../resources/ready-steps.js';

export type { DiffEntry, StepResult } from '../resources/ready-steps.js';

export interface ReadyResult {
  readonly ready: boolean;
  /** False when the source could not be read and the recovery point stood in for it. */
  readonly sourceRead: boolean;
  readonly steps: readonly StepResult[];
  readonly diff: readonly DiffEntry[];
}

/** The step is still waiting (an instance not yet available): the whole run is tried again later. */
export class StillWaitingError extends RestorePipelineError {
  constructor(step: string, target: string, cause?: unknown) {
    super(`Make-ready step ${step} is still waiting on ${target}; the run is tried again`, {
      retryable: true,
      ...(cause === undefined ? {} : { cause }),
    });
    this.name = 'StillWaitingError';
  }
}

export interface RunDeps {
  readonly log: Logger;
  readonly sleep: (ms: number) => Promise<void>;
  /** Milliseconds left to work in this invocation. */
  readonly timeLeftMs: () => number;
  /** Tries of a call that fails with a retryable error (default 4). */
  readonly attempts?: number;
  /** Milliseconds between two looks at a step that waits (default 15 s). */
  readonly pollMs?: number;
}

/**
 * Errors that mean "not yet" for a make-ready step: the table is UPDATING, continuous backups are
 * still being turned on, the cluster or the instance is busy (docs/aws-behaviour.md#ready-wait-errors).
 */
const WAIT_ERRORS = new Set([
  'ResourceInUseException',
  'ContinuousBackupsUnavailableException',
  'InvalidDBClusterStateFault',
  'InvalidDBInstanceStateFault',
]);

const retryable = (error: unknown) =>
  describeError(error).retryable ||
  WAIT_ERRORS.has(String((error as { awsErrorName?: unknown })?.awsErrorName ?? ''));

/** `work`, tried again on retryable errors with a doubling delay. */
export async function withRetries<T>(deps: RunDeps, work: () => Promise<T>): Promise<T> {
  const attempts = deps.attempts ?? 4;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (error instanceof StillWaitingError || !retryable(error) || attempt >= attempts) throw error;
      await deps.sleep(200 * 2 ** (attempt - 1));
    }
  }
}

/** Runs one step; throws StillWaitingError when what it started is not finished in time. */
async function runStep(
  deps: RunDeps,
  step: ReadyStep,
  t: Target,
  settings: SourceSettings,
): Promise<StepResult> {
  const wanted = settings[step.key];
  if (wanted === undefined) {
    const status = step.required === true ? 'failed' : 'not-known';
    return { step: step.name, status, manual: step.manual };
  }
  try {
    const actual = await withRetries(deps, () => step.read(t));
    const same = step.same ?? sameValue;
    let status: StepResult['status'] = 'unchanged';
    let note: string | undefined;
    if (!same(actual, wanted)) {
      const wrote = await withRetries(deps, () => step.write(t, wanted, actual)).catch(
        async (error: unknown) => {
          // A write whose answer was lost is refused when sent again (TTL already on, a stream
          // already there): the copy itself says whether the first one landed.
          if (!same(await withRetries(deps, () => step.read(t)), wanted)) throw error;
        },
      );
      note = wrote?.kept;
      status = note === undefined ? 'changed' : 'unchanged';
    }
    if (step.done !== undefined) await waitFor(deps, step, t, wanted);
    return { step: step.name, status, wanted, ...(note === undefined ? {} : { note }) };
  } catch (error) {
    if (error instanceof StillWaitingError) throw error;
    // "Not yet" past the tries (a table still UPDATING, backups still being enabled): the whole
    // run is tried again later, never recorded failed. Only a sorted AWS error: an error of the
    // step's own (no writer to copy readers from, a name taken) is its failure.
    if (error instanceof RestorePipelineError && retryable(error))
      throw new StillWaitingError(step.name, t.restoredArn, error);
    const { name, message } = describeError(error);
    return { step: step.name, status: 'failed', wanted, error: { name, message }, manual: step.manual };
  }
}

async function waitFor(deps: RunDeps, step: ReadyStep, t: Target, wanted: Value): Promise<void> {
  const poll = deps.pollMs ?? 15_000;
  while (!(await withRetries(deps, () => step.done?.(t, wanted) ?? Promise.resolve(true)))) {
    if (deps.timeLeftMs() < poll * 2) throw new StillWaitingError(step.name, t.restoredArn);
    await deps.sleep(poll);
  }
}

/** Makes the restored copy ready; see the module comment. */
export async function makeReady(deps: RunDeps, type: ReadyType, t: Target): Promise<ReadyResult> {
  const read = sameHome(t) ? await withRetries(deps, () => type.readSource(t)) : undefined;
  const source = read ?? type.fromRecoveryPoint(t);
  // What the pipeline itself asks for: its tag, and the readers the request named.
  const settings: SourceSettings = { ...source, [READY_TAG]: t.restoreJobId, readers: t.options.readers };
  const steps: StepResult[] = [];
  for (const step of type.steps) {
    const result = await runStep(deps, step, t, settings);
    steps.push(result);
    if (result.status === 'failed')
      deps.log.warn('Make-ready step failed', { step: step.name, error: result.error });
  }
  const diff = await diffOf(deps, type, t, settings, steps, read !== undefined);
  return { ready: steps.every((s) => s.status !== 'failed'), sourceRead: read !== undefined, steps, diff };
}

/**
 * Whether the source is read here: only in the copy's own account and Region (a source of another
 * account, restored from a shared vault, is not this function's to read; one of the same name here
 * would be another resource).
 */
function sameHome(t: Target): boolean {
  const source = t.sourceArn === undefined ? undefined : parseArn(t.sourceArn);
  const copy = parseArn(t.restoredArn);
  return (
    source !== undefined &&
    copy !== undefined &&
    source.accountId === copy.accountId &&
    source.region === copy.region
  );
}

/** What still differs, read back from the copy after the steps, each with its reason. */
async function diffOf(
  deps: RunDeps,
  type: ReadyType,
  t: Target,
  settings: SourceSettings,
  steps: readonly StepResult[],
  sourceRead: boolean,
): Promise<DiffEntry[]> {
  const diff: DiffEntry[] = [];
  if (t.sourceArn !== undefined && t.sourceArn !== t.restoredArn)
    diff.push({
      setting: 'name',
      restored: t.restoredArn,
      source: t.sourceArn,
      why: 'a restore creates a new resource',
    });
  for (const [i, step] of type.steps.entries()) {
    const result = steps[i];
    if (step.key === READY_TAG || result === undefined) continue;
    if (result.status === 'not-known' || (result.status === 'failed' && result.wanted === undefined)) {
      diff.push({
        setting: step.key,
        why: sourceRead
          ? 'the source does not say'
          : 'the source is gone (or in another account) and the recovery point does not tell it',
      });
      continue;
    }
    if (result.status === 'failed') {
      diff.push({
        setting: step.key,
        source: settings[step.key] ?? null,
        why: `the step failed: ${result.error?.message ?? ''}`,
      });
      continue;
    }
    const wanted = settings[step.key] as Value;
    let now: Value;
    try {
      now = await withRetries(deps, () => step.read(t));
    } catch (error) {
      diff.push({
        setting: step.key,
        source: wanted,
        why: `could not be read back: ${describeError(error).message}`,
      });
      continue;
    }
    const why = result.note ?? step.explain?.(now, wanted);
    if (why !== undefined) {
      diff.push({ setting: step.key, restored: now, source: wanted, why });
      continue;
    }
    // Tags the copy has beyond the source's are not a difference; other settings compare whole.
    const matches = step.key === 'tags' ? (step.same ?? sameValue) : sameValue;
    if (!matches(now, wanted))
      diff.push({
        setting: step.key,
        restored: now,
        source: wanted,
        why:
          result.status === 'unchanged'
            ? 'the copy already had one, kept as it is'
            : 'set, but not yet read back as the source has it',
      });
  }
  for (const m of type.manual) diff.push({ setting: m, why: 'not restored by AWS, and left to a person' });
  return diff;
}
