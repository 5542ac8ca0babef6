/**
 * The walk of one event through src/: every call from one file into a function another file
 * exports, recorded in order with the file it came from (read off the call's stack). Used by
 * test/unit/walk.test.ts, which holds the data path to its order (docs/development.md#the-walk).
 *
 * Each module of src/ is replaced, through Jest's registry, by a copy of its exports whose
 * functions record their call; classes and values are left as they are. A call inside one file,
 * or through a closure passed across, is not an entry and is not recorded.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';

/** One call into a file from another: the file left, the file entered, the function called. */
export interface Entry {
  readonly from: string;
  readonly to: string;
  readonly fn: string;
}

const ROOT = join(__dirname, '..', '..');
const SRC = join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

const isClass = (value: unknown): boolean =>
  typeof value === 'function' && Function.prototype.toString.call(value).startsWith('class');

/** The project file a stack line names ("src/x.ts", "handlers/y.ts"), or the package, or undefined. */
function fileOfFrame(line: string): string | undefined {
  const match = /\(?(\/[^():]+\.[cm]?[tj]s):\d+:\d+\)?$/.exec(line.trim());
  if (match?.[1] === undefined) return undefined;
  const path = relative(ROOT, match[1]);
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
  return pkg ?? path;
}

/** The file of the first frame outside this helper: the caller of the traced function. */
function callerFile(stack: string | undefined): string {
  const lines = (stack ?? '').split('\n').slice(1);
  for (const line of lines) {
    const file = fileOfFrame(line);
    if (file !== undefined && file !== 'test/helpers/walk.ts') return file;
  }
  return 'node';
}

/**
 * Registers a traced copy of every module of src/ (call before requiring what is walked, with
 * `jest.isolateModules`) and returns the entries recorded, in order.
 */
export function traceSourceModules(): Entry[] {
  const entries: Entry[] = [];
  for (const path of sourceFiles(SRC)) {
    const to = relative(ROOT, path);
    jest.doMock(path, () => {
      const actual = jest.requireActual(path) as Record<string, unknown>;
      const traced: Record<string, unknown> = { __esModule: true };
      for (const [name, value] of Object.entries(actual)) {
        if (typeof value !== 'function' || isClass(value)) {
          traced[name] = value;
          continue;
        }
        const fn = value as (...args: unknown[]) => unknown;
        traced[name] = function (this: unknown, ...args: unknown[]) {
          const from = callerFile(new Error().stack);
          if (from !== to) entries.push({ from, to, fn: name });
          return fn.apply(this, args);
        };
      }
      return traced;
    });
  }
  return entries;
}

/** The visits of a walk: the files entered, in order, each with how many times it was entered. */
export function visitsOf(entries: readonly Entry[]): { order: string[]; counts: Record<string, number> } {
  const counts: Record<string, number> = {};
  const order: string[] = [];
  for (const { to } of entries) {
    if (counts[to] === undefined) order.push(to);
    counts[to] = (counts[to] ?? 0) + 1;
  }
  return { order, counts };
}

/** The steps of the data path, in order (docs/development.md#the-walk); the runner is above them. */
export const STEPS = ['arrival', 'checks', 'plan', 'act', 'outcome'] as const;

/** The step a file of src/ belongs to, 'runner', or undefined for the shared helpers below. */
export function stepOf(file: string): (typeof STEPS)[number] | 'runner' | undefined {
  const folder = /^src\/([^/]+)\//.exec(file)?.[1];
  return folder === 'runner' || STEPS.includes(folder as (typeof STEPS)[number])
    ? (folder as (typeof STEPS)[number] | 'runner')
    : undefined;
}

/** What the walk of one event shows of the data path's order. */
export interface WalkSummary {
  /** Every call into a step's file, in order: "from -> to fn". */
  readonly steps: string[];
  /**
   * Calls that go back: into a step from a later step's file, from a helper below, or from the
   * runner after it had called a later step.
   */
  readonly backSteps: string[];
  /** The step files entered more than once, with how many times. */
  readonly revisited: Record<string, number>;
  /** How many calls crossed from one file into another, helpers below included. */
  readonly crossings: number;
}

/** The summary of a walk's entries. */
export function summarize(entries: readonly Entry[]): WalkSummary {
  const rank = (file: string) => STEPS.indexOf(stepOf(file) as (typeof STEPS)[number]);
  const steps: string[] = [];
  const backSteps: string[] = [];
  // The latest step the runner (or a handler) has called.
  let reached = -1;
  for (const { from, to, fn } of entries) {
    const step = rank(to);
    if (step < 0) continue;
    const line = `${from} -> ${to} ${fn}`;
    steps.push(line);
    const caller = stepOf(from);
    const above = caller === 'runner' || !from.startsWith('src/');
    if (above ? step < reached : caller === undefined || step < rank(from)) backSteps.push(line);
    if (above) reached = Math.max(reached, step);
  }
  const { counts } = visitsOf(entries.filter(({ to }) => rank(to) >= 0));
  const revisited = Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 1));
  return { steps, backSteps, revisited, crossings: entries.length };
}

/** The text of every module of src/, by its path from the project ("src/x/y.ts"). */
function sourceTexts(): Record<string, string> {
  return Object.fromEntries(
    sourceFiles(SRC).map((path) => [relative(ROOT, path), readFileSync(path, 'utf8')]),
  );
}

/**
 * The pairs of folders of src/ (src/ itself for its top files) that import each other, type
 * imports included, each with one import each way: "a <-> b: one | other".
 */
export function twoWayFolders(files: Record<string, string> = sourceTexts()): string[] {
  const folderOf = (file: string) => posix.dirname(file).replace(/^src\/?/, '') || '.';
  const edges = new Map<string, string>();
  for (const [file, text] of Object.entries(files)) {
    for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const spec = m[1] ?? '';
      const target = posix.join(posix.dirname(file), spec);
      if (!target.startsWith('src/')) continue;
      const [a, b] = [folderOf(file), folderOf(target)];
      if (a !== b && !edges.has(`${a} ${b}`)) edges.set(`${a} ${b}`, `${file} -> ${spec}`);
    }
  }
  const pairs: string[] = [];
  for (const [key, example] of edges) {
    const [a = '', b = ''] = key.split(' ');
    const back = edges.get(`${b} ${a}`);
    if (back !== undefined && a < b) pairs.push(`${a} <-> ${b}: ${example} | ${back}`);
  }
  return pairs;
}
