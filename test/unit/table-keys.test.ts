/**
 * The restore jobs table owns every key: no module outside src/table/ spells one, and the list at
 * the top of src/table/keys.ts names every kind of item it has a key for.
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as keys from '../../src/table/keys';

const ROOT = join(__dirname, '..', '..');
/** Another engineer's file, spelling the outcome key for its chaos report. */
const NOT_YET = new Set(['local/chaos.ts']);
const KEY_SPELLING =
  /`\$\{[^`}]+\}#(outcome|validation|ready|ready-asked|unlinked-drill)`|'(redrive|active|pace)#/;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('the restore jobs table keys', () => {
  it('are spelled in src/table/ only', () => {
    const spelled = ['src', 'cli', 'handlers', 'local']
      .flatMap((d) => sources(join(ROOT, d)))
      .map((p) => relative(ROOT, p))
      .filter((p) => !p.startsWith('src/table/') && !NOT_YET.has(p))
      .flatMap((p) =>
        readFileSync(join(ROOT, p), 'utf8')
          .split('\n')
          .filter((line) => KEY_SPELLING.test(line))
          .map((line) => `${p}: ${line.trim()}`),
      );
    expect(spelled).toStrictEqual([]);
  });

  it('include the make-ready record, listed with the others', () => {
    expect(keys.readyKey('job-1')).toBe('job-1#ready');
    expect(keys.jobOfReadyKey(keys.readyKey('job-1'))).toBe('job-1');
    expect(keys.jobOfReadyKey(keys.verdictKey('job-1'))).toBeUndefined();
    const header = readFileSync(join(ROOT, 'src/table/keys.ts'), 'utf8');
    expect(header).toMatch(/`<restoreJobId>#ready`: the job's make-ready record/);
    expect(header).toMatch(/holds\n \* ten kinds of item/);
  });

  it("include the reconciler's make-ready ask, which no make-ready record key is taken for", () => {
    expect(keys.readyAskedKey('job-1')).toBe('job-1#ready-asked');
    expect(keys.jobOfReadyKey(keys.readyAskedKey('job-1'))).toBeUndefined();
    const header = readFileSync(join(ROOT, 'src/table/keys.ts'), 'utf8');
    expect(header).toMatch(/`<restoreJobId>#ready-asked`: the reconciler asked makeReady/);
  });
});
