/**
 * The test layers stay honest: a unit test reaches no socket, no child process and no real wait,
 * through any chain of the project's own imports; and every test file is in a layer that runs.
 */

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const LAYERS = ['unit', 'integration', 'e2e'];

/** Packages a unit test must not load: sockets, child processes, the third-party DynamoDB. */
const FORBIDDEN_PACKAGES =
  /^(node:)?(net|http|https|http2|dgram|tls|child_process|cluster|worker_threads)$|^dynalite$/;
/** The project's modules that listen, spawn or wait for real. */
const FORBIDDEN_MODULES = new Set([
  'local/endpoint.ts',
  'local/dynamodb.ts',
  'local/pipeline.ts',
  'local/start.ts',
  'local/time.ts',
  'test/helpers/package-stack.ts',
]);

/** Every file under `dir` whose name passes `keep`. */
function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : filesUnder(path, keep);
    return keep(name) ? [path] : [];
  });
}

/** The modules a file loads when it runs: type-only imports and exports are erased, so not counted. */
function runtimeSpecifiers(source: string): string[] {
  const out: string[] = [];
  const patterns = [
    /^\s*import\s+(?!type\s)(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm,
    /^\s*export\s+(?!type\s)[^'";]*?\s+from\s+['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\bjest\.requireActual(?:<[^>]*>)?\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of source.matchAll(pattern)) out.push(m[1] as string);
  return out;
}

/** The project file a relative specifier names, or undefined when there is none. */
function resolveRelative(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier.replace(/\.(c|m)?js$/, ''));
  return [`${base}.ts`, join(base, 'index.ts'), base, `${base}.js`, `${base}.cjs`].find(
    (p) => existsSync(p) && statSync(p).isFile(),
  );
}

/** Each forbidden module `entry` reaches, with the chain of imports that leads to it. */
function forbiddenReach(entry: string): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  const walk = (file: string, chain: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    const here = [...chain, relative(ROOT, file)];
    for (const specifier of runtimeSpecifiers(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) {
        if (FORBIDDEN_PACKAGES.test(specifier)) found.push([...here, specifier].join(' -> '));
        continue;
      }
      const target = resolveRelative(file, specifier);
      if (target === undefined) continue;
      const name = relative(ROOT, target);
      if (FORBIDDEN_MODULES.has(name)) found.push([...here, name].join(' -> '));
      else if (!name.startsWith('node_modules/')) walk(target, here);
    }
  };
  walk(entry, []);
  return found;
}

describe('the unit layer', () => {
  it('reaches no socket, child process, dynalite, local endpoint or real wait', () => {
    // This guard only reads files; its own samples of forbidden imports are text.
    const units = filesUnder(join(ROOT, 'test', 'unit'), (n) => n.endsWith('.ts')).filter(
      (f) => f !== __filename,
    );
    expect(units.length).toBeGreaterThan(30);
    expect(units.flatMap(forbiddenReach)).toStrictEqual([]);
  });

  it('would see one: a chain through a helper to the local endpoint is found', () => {
    const integration = join(ROOT, 'test', 'integration', 'local', 'pipeline.test.ts');
    expect(forbiddenReach(integration)).toContain(
      'test/integration/local/pipeline.test.ts -> test/helpers/pipeline.ts -> local/pipeline.ts',
    );
  });

  it('counts what runs, not what is only typed', () => {
    const source = [
      "import type { LocalAws } from '../../local/endpoint';",
      "import { type X, y } from './y';",
      "export type { Z } from './z';",
      "export { w } from './w';",
      "import 'side-effect';",
      "const cp = require('node:child_process');",
      "const later = await import('./later');",
    ].join('\n');
    expect(runtimeSpecifiers(source).sort()).toStrictEqual(
      ['./y', './w', 'side-effect', 'node:child_process', './later'].sort(),
    );
  });
});

it('puts every test file in a layer that runs (test/unit, test/integration or test/e2e)', () => {
  const tests = filesUnder(join(ROOT, 'test'), (n) => n.endsWith('.test.ts')).map((f) => relative(ROOT, f));
  const outside = tests.filter((f) => !LAYERS.some((layer) => f.startsWith(`test/${layer}/`)));
  expect(outside).toStrictEqual([]);
  const { projects } = require(join(ROOT, 'jest.config.js')) as {
    projects: { displayName: string; roots: string[] }[];
  };
  expect(projects.map((p) => [p.displayName, p.roots])).toStrictEqual(
    LAYERS.map((layer) => [layer, [`<rootDir>/test/${layer}`]]),
  );
});
