/**
 * The docs cannot go stale: each fact the README and docs/ state is read back from its source.
 * Functions and triggers (serverless.yml, read as the Serverless Framework reads it), stage
 * parameters and environment variables (serverless.yml and the configuration loaders), stack
 * outputs, the CLI's commands, options and exit codes (the program itself), failure kinds, resource
 * types and their metadata keys, every sample request (the pipeline's own checks), and every link.
 * No sockets, no AWS.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command, Option } from 'commander';
import { EXIT } from '../../cli/output';
import { createProgram } from '../../cli/program';
import { checkedFaultPlan } from '../../local/start';
import { parseAlarmTargets } from '../../src/checks/alarm-targets';
import { loadConfig, loadDrillConfig, loadValidationConfig } from '../../src/checks/config';
import { checkRestoreRequest } from '../../src/checks/request';
import { LETTER_FAILURES } from '../../src/letters/dead-letters';
import {
  DRILL_TYPES,
  POINT_IN_TIME_KEYS,
  REQUIRED_METADATA_KEYS,
  RESOURCE_TYPES,
  TARGET_KEYS,
} from '../../src/resources/rules';
import { PRIORITIES } from '../../src/runner/priority';
import { DURATION_METRICS } from '../../src/validation/timing';
import { typesTheCleanupHandles } from '../helpers/drill-types';

const ROOT = resolve(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** The pages, by path from the root: the README, docs/ and the benchmark log. */
const PAGES: Record<string, string> = Object.fromEntries(
  [
    'README.md',
    'bench/README.md',
    ...readdirSync(join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ].map((p) => [p, read(p)]),
);
/** Pages whose samples are this pipeline's own (aws-behaviour.md quotes AWS). */
const OWN_PAGES = Object.keys(PAGES).filter((p) => p !== 'docs/aws-behaviour.md');

// ---------- reading markdown ----------

interface Table {
  readonly header: string[];
  readonly rows: string[][];
}

const cells = (line: string) =>
  line
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());

/** The tables of a text, in order. */
function tables(text: string): Table[] {
  const out: Table[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]?.trim().startsWith('|') || !/^\s*\|[\s:|-]+\|\s*$/.test(lines[i + 1] ?? '')) continue;
    const header = cells(lines[i] ?? '');
    const rows: string[][] = [];
    for (i += 2; lines[i]?.trim().startsWith('|'); i++) rows.push(cells(lines[i] ?? ''));
    out.push({ header, rows });
  }
  return out;
}

/** The one table of `text` whose header starts with `first`. */
function tableStarting(text: string, first: string, where: string): Table {
  const found = tables(text).filter((t) => t.header[0] === first);
  if (found.length !== 1) throw new Error(`${where}: expected one table with a "${first}" column first`);
  return found[0] as Table;
}

/** The text under a heading (to the next heading of the same or a higher level). */
function section(text: string, heading: string, where: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) throw new Error(`${where} has no heading "${heading}"`);
  const level = /^#+/.exec(heading)?.[0].length ?? 1;
  const end = lines.findIndex((l, i) => i > start && (/^#+ /.exec(l)?.[0].length ?? 99) - 1 <= level);
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** The headings of a text (outside fenced code). */
function headings(text: string): string[] {
  let fenced = false;
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    else if (!fenced && /^#{1,6} /.test(line)) out.push(line);
  }
  return out;
}

/** The backticked words of a cell. */
const ticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);

interface Block {
  readonly lang: string;
  readonly text: string;
  readonly line: number;
}

function codeBlocks(text: string): Block[] {
  const out: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*```(\S*)/.exec(lines[i] ?? '');
    if (open === null) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i] ?? ''); i++) body.push(lines[i] ?? '');
    out.push({ lang: open[1] ?? '', text: body.join('\n'), line: start + 1 });
  }
  return out;
}

/** Inline code spans outside fenced blocks. */
function codeSpans(text: string): string[] {
  const prose = text.replace(/^\s*```[\s\S]*?^\s*```\s*$/gm, '');
  return [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] as string);
}

// ---------- the sources ----------

type Sls = {
  params: { default: Record<string, unknown> };
  provider: { environment: Record<string, unknown> };
  custom: Record<string, unknown>;
  functions: Record<string, { handler: string; events: unknown; environment?: Record<string, unknown> }>;
  resources: {
    Outputs: Record<string, unknown>;
    Resources: Record<string, { Type: string; Properties?: any }>;
  };
};

let sls: Sls;

/** A function's events, with a `${file(...):key}` variable resolved as the framework would. */
async function eventsOf(fn: Sls['functions'][string]): Promise<Record<string, any>[]> {
  if (Array.isArray(fn.events)) return fn.events;
  const file = /^\$\{file\((.+)\):(\w+)\}$/.exec(String(fn.events));
  if (file === null) throw new Error(`Cannot read the events ${String(fn.events)}`);
  const resolver = require(join(ROOT, file[1] as string)) as (api: object) => Promise<Record<string, any>>;
  const resolved = await resolver({
    resolveVariable: async (v: string) => sls.params.default[v.replace(/^param:/, '')],
  });
  return resolved[file[2] as string];
}

beforeAll(async () => {
  // The Serverless Framework's own reader: YAML with the CloudFormation tags, variables left as text.
  const readConfiguration = require('osls/lib/configuration/read.js') as (path: string) => Promise<Sls>;
  sls = await readConfiguration(join(ROOT, 'serverless.yml'));
});

const NUMBERS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
const words = (logicalId: string) => logicalId.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

/** What a trigger cell must say for each event of a function. */
function triggerFacts(events: Record<string, any>[]): string[] {
  return events.flatMap((event) => {
    if (event.sqs !== undefined) {
      const queue = event.sqs.arn?.['Fn::GetAtt']?.[0] as string;
      return ['SQS', `the ${words(queue)}`, `batches of ${event.sqs.batchSize}`];
    }
    if (event.eventBridge !== undefined) {
      const p = event.eventBridge.pattern;
      return ['EventBridge', ...p['detail-type'].map((t: string) => `"${t}"`), ...(p.detail?.status ?? [])];
    }
    if (event.schedule !== undefined) {
      // The drill schedule's entries (none by default) are said once, as "the drill schedule".
      if (typeof event.schedule !== 'string') return ['the drill schedule'];
      return ['schedule', `\`${event.schedule}\``];
    }
    return [`an event of a kind this test does not know: ${Object.keys(event).join()}`];
  });
}

describe('the functions and their triggers (README, against serverless.yml)', () => {
  it('lists every function once, with its handler and what triggers it', async () => {
    const table = tableStarting(PAGES['README.md'] as string, 'function', 'README.md');
    const documented = new Map(table.rows.map((r) => [ticked(r[0] ?? '')[0], r]));
    expect([...documented.keys()].sort()).toStrictEqual(Object.keys(sls.functions).sort());
    for (const [name, fn] of Object.entries(sls.functions)) {
      const [, handler = '', trigger = ''] = documented.get(name) ?? [];
      expect({ name, handler }).toStrictEqual({
        name,
        handler: `\`${fn.handler.replace(/\.handler$/, '.ts')}\``,
      });
      const missing = triggerFacts(await eventsOf(fn)).filter((fact) => !trigger.includes(fact));
      expect({ name, trigger, missing }).toStrictEqual({ name, trigger, missing: [] });
    }
  });

  it('draws every function in the picture, and counts them right wherever it counts them', () => {
    const picture = codeBlocks(PAGES['README.md'] as string).find((b) => b.lang === '')?.text ?? '';
    const count = Object.keys(sls.functions).length;
    expect(Object.keys(sls.functions).filter((f) => !picture.includes(f))).toStrictEqual([]);
    const wrong = OWN_PAGES.flatMap((page) =>
      [...(PAGES[page] as string).matchAll(/\b(both|[a-z]+)( Lambda)? functions\b/gi)]
        .filter((m) => NUMBERS.includes((m[1] as string).toLowerCase()) || m[1]?.toLowerCase() === 'both')
        .filter((m) => NUMBERS.indexOf((m[1] as string).toLowerCase()) !== count)
        .map((m) => `${page}: "${m[0]}" (there are ${count})`),
    );
    expect(wrong).toStrictEqual([]);
  });
});

// ---------- settings ----------

/** Every file under `dir` ending in .ts. */
function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(`${dir}/${e.name}`) : e.name.endsWith('.ts') ? [`${dir}/${e.name}`] : [],
  );
}

/** The environment variables the deployed code reads: written as `env.NAME`, or asked of a loader. */
function variablesRead(): Set<string> {
  const names = new Set<string>();
  for (const file of [...sourceFiles('src'), ...sourceFiles('handlers')]) {
    for (const m of read(file).matchAll(
      /\benv(?:\?\.|\.)([A-Z][A-Z0-9_]+)|\benv\[['"]([A-Z][A-Z0-9_]+)['"]\]/g,
    ))
      names.add((m[1] ?? m[2]) as string);
  }
  // The loaders also read names they are handed (integer('MAX_RECEIVE_COUNT', ...)): ask them.
  const env = new Proxy({} as Record<string, string | undefined>, {
    get: (_, key) => {
      if (typeof key === 'string') names.add(key);
      return undefined;
    },
  });
  for (const load of [loadConfig, loadValidationConfig, loadDrillConfig]) {
    try {
      load(env);
    } catch {
      // An empty environment is refused; what matters is what was asked.
    }
  }
  return names;
}

/** The variables serverless.yml sets, with the parameters each is set from. */
function variablesSet(): Map<string, string[]> {
  const set = new Map<string, string[]>();
  const environments = [
    sls.provider.environment,
    ...Object.values(sls.functions).map((f) => f.environment ?? {}),
  ];
  for (const environment of environments) {
    for (const [name, value] of Object.entries(environment)) {
      let text = JSON.stringify(value);
      for (const m of text.matchAll(/self:custom\.(\w+)/g))
        text += JSON.stringify(sls.custom[m[1] as string]);
      const params = [...text.matchAll(/param:(\w+)/g)].map((m) => m[1] as string);
      set.set(name, [...new Set([...(set.get(name) ?? []), ...params])]);
    }
  }
  return set;
}

const CONFIGURATION = 'docs/configuration.md';
const configurationTable = (heading: string, first: string) =>
  tableStarting(section(PAGES[CONFIGURATION] as string, heading, CONFIGURATION), first, CONFIGURATION);

describe('settings (docs/configuration.md, against serverless.yml and the code)', () => {
  it('documents every environment variable the code reads or serverless.yml sets, and no other', () => {
    const table = configurationTable('## Environment variables', 'variable');
    const documented = new Map(table.rows.map((r) => [ticked(r[0] ?? '')[0] as string, r.join(' | ')]));
    const expected = new Set([...variablesRead(), ...variablesSet().keys()]);
    expect([...expected].filter((v) => !documented.has(v)).sort()).toStrictEqual([]);
    // A documented variable nothing here reads must say who does.
    const unread = [...documented].filter(([v, row]) => !expected.has(v) && !/read by the AWS SDK/.test(row));
    expect(unread.map(([v]) => v)).toStrictEqual([]);
  });

  it('documents every stage parameter with its default and the variables it sets, and no other', () => {
    const table = configurationTable('## Stage parameters', 'parameter');
    const rows = new Map(table.rows.map((r) => [ticked(r[0] ?? '')[0] as string, r]));
    const params = sls.params.default;
    expect([...rows.keys()].sort()).toStrictEqual(Object.keys(params).sort());
    for (const [name, value] of Object.entries(params)) {
      const shown = String(value) === '' ? '""' : String(value);
      expect({ name, default: rows.get(name)?.[1] }).toStrictEqual({ name, default: `\`${shown}\`` });
    }
    for (const [variable, fromParams] of variablesSet()) {
      for (const param of fromParams) {
        expect({ param, sets: rows.get(param)?.[2]?.includes(`\`${variable}\``) }).toStrictEqual({
          param,
          sets: true,
        });
      }
    }
  });

  it('lists the stack outputs the template has', () => {
    const table = configurationTable('## Stack outputs', 'output');
    const documented = table.rows.map((r) => ticked(r[0] ?? '')[0]);
    expect(documented.sort()).toStrictEqual(Object.keys(sls.resources.Outputs).sort());
  });
});

// ---------- the CLI ----------

const CLI = 'docs/cli.md';
const program = createProgram(
  {
    stdout: { write: () => true },
    stderr: { write: () => true },
    stdin: process.stdin,
    env: {},
    stdoutIsTTY: false,
    stderrIsTTY: false,
  },
  () => undefined,
);
const flag = (o: Option) => o.long ?? o.short ?? '';
const commandNamed = (name: string) => program.commands.find((c) => c.name() === name);

/** Problems with one `restore-pipeline ...` command line: its command and options must exist. */
function commandLineProblems(line: string): string[] {
  const tokens = line
    .split(/\s+/)
    .map((t) => t.replace(/^\[|\]$|\.\.\.\]?$/g, ''))
    .filter((t) => t !== '');
  const stop = tokens.findIndex((t) => ['<', '>', '|', '&&', '\\'].includes(t) || t.startsWith('#'));
  let command: Command | undefined;
  const problems: string[] = [];
  const rest = tokens.slice(0, stop < 0 ? undefined : stop);
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i] as string;
    if (token.startsWith('--')) {
      const name = token.split('=')[0];
      const option = [...program.options, ...(command?.options ?? [])].find((o) => flag(o) === name);
      if (option === undefined && name !== '--help')
        problems.push(`${name} is not an option${command ? ` of ${command.name()}` : ''}`);
      const value = option?.required || option?.optional ? rest[i + 1] : undefined;
      if (value !== undefined && !token.includes('=')) {
        i++;
        const choices = option?.argChoices;
        if (choices !== undefined && /^[a-z-]+$/.test(value) && !choices.includes(value))
          problems.push(`${value} is not a choice of ${name} (${choices.join(', ')})`);
      }
    } else if (command === undefined) {
      command = commandNamed(token);
      if (command === undefined) problems.push(`${token} is not a command`);
    }
  }
  return problems.map((p) => `${p}: ${line}`);
}

/** The shell lines and code spans of a page. */
const commandsOf = (text: string) => [
  ...codeBlocks(text).flatMap((b) => b.text.split('\n')),
  ...codeSpans(text),
];

/** Every `restore-pipeline ...` command line of a page, from its code blocks and code spans. */
function commandLines(text: string): string[] {
  const pieces = [...codeBlocks(text).flatMap((b) => b.text.split('\n')), ...codeSpans(text)];
  return pieces.flatMap((piece) =>
    [...piece.matchAll(/(?:^|[\s$])restore-pipeline\s+([^`\n]*)/g)].map((m) => m[1] as string),
  );
}

describe('the CLI (docs/cli.md, against the program)', () => {
  const page = PAGES[CLI] as string;

  it('gives every command a section that names each of its options', () => {
    for (const command of program.commands) {
      const text = section(page, `## \`${command.name()}\``, CLI);
      const missing = command.options.map(flag).filter((f) => !text.includes(`\`${f}`));
      expect({ command: command.name(), missing }).toStrictEqual({ command: command.name(), missing: [] });
    }
    const globals = section(page, '## Global options', CLI);
    expect(program.options.map(flag).filter((f) => !globals.includes(`\`${f}`))).toStrictEqual([]);
  });

  it('names no command or option the program does not have', () => {
    const sections = headings(page).filter((h) => h.startsWith('## `'));
    const unknown = sections.map((h) => ticked(h)[0] as string).filter((name) => !commandNamed(name));
    expect(unknown).toStrictEqual([]);
    const flags = new Set(['--help', ...program.options.map(flag)]);
    for (const c of program.commands) for (const o of c.options) flags.add(flag(o));
    const cliFlags = codeSpans(page)
      .concat(codeBlocks(page).map((b) => b.text))
      .flatMap((t) => [...t.matchAll(/(?<![\w-])--[a-z][a-z-]*/g)].map((m) => m[0]));
    expect([...new Set(cliFlags)].filter((f) => !flags.has(f))).toStrictEqual([]);
  });

  it('writes every restore-pipeline command line, on every page, as the program reads it', () => {
    const lines = OWN_PAGES.flatMap((p) => commandLines(PAGES[p] as string));
    expect(lines.length).toBeGreaterThan(20);
    expect(lines.flatMap(commandLineProblems)).toStrictEqual([]);
  });

  it('explains every exit code the program uses, and no other', () => {
    const table = tableStarting(page, 'exit code', CLI);
    const documented = table.rows.map((r) => Number(r[0])).sort();
    expect(documented).toStrictEqual(Object.values(EXIT).sort());
  });
});

// ---------- metrics and the dashboard ----------

/** The metrics the code emits: counts, seconds, the durations of time to recovery, and EMF members. */
function metricsEmitted(): Set<string> {
  const names = new Set(Object.values(DURATION_METRICS));
  for (const file of sourceFiles('src')) {
    const text = read(file);
    for (const m of text.matchAll(/\b(?:count|seconds|metricFields)\((?:\w+,\s*)?'([A-Z][A-Za-z]+)'/g))
      names.add(m[1] as string);
    // An EMF line written in full (the pacer's): its metric definitions.
    for (const m of text.matchAll(/\{ Name: '([A-Z][A-Za-z]+)', Unit: '/g)) names.add(m[1] as string);
  }
  return names;
}

describe('metrics (against the code and the dashboard in serverless.yml)', () => {
  it('documents every metric the code emits', () => {
    const emitted = [...metricsEmitted()];
    expect(emitted.length).toBeGreaterThan(15);
    const said = OWN_PAGES.map((p) => PAGES[p]).join('\n');
    expect(emitted.filter((m) => !said.includes(`\`${m}\``))).toStrictEqual([]);
  });

  it('lists what each dashboard graph shows, as the dashboard has it', () => {
    const body = JSON.stringify(sls.resources.Resources.Dashboard?.Properties?.DashboardBody);
    const graphed = new Set([...body.matchAll(/MetricName=\\+"(\w+)\\+"/g)].map((m) => m[1] as string));
    const table = tableStarting(PAGES['docs/alarms.md'] as string, 'graph', 'docs/alarms.md');
    // The pipeline's metrics a graph's row names: each must be on that dashboard.
    const emitted = metricsEmitted();
    const documented = new Set(table.rows.flatMap((r) => ticked(r[1] ?? '')).filter((t) => emitted.has(t)));
    expect(graphed.size).toBeGreaterThan(10);
    expect([...graphed].filter((m) => !documented.has(m))).toStrictEqual([]);
    expect([...documented].filter((m) => !graphed.has(m))).toStrictEqual([]);
  });

  it('lists the alarms the template has', () => {
    const resources = sls.resources.Resources;
    const alarms = Object.keys(resources).filter((k) => resources[k]?.Type === 'AWS::CloudWatch::Alarm');
    const table = tableStarting(PAGES['docs/alarms.md'] as string, 'alarm', 'docs/alarms.md');
    expect(table.rows.map((r) => ticked(r[0] ?? '')[0]).sort()).toStrictEqual(alarms.sort());
  });
});

// ---------- the StartRestoreJob budget ----------

describe('the StartRestoreJob budget (docs/performance.md, against src/runner/priority.ts)', () => {
  it("names the StartRestoreJob budget's priorities as the code has them, most urgent first", () => {
    const budget = section(
      PAGES['docs/performance.md'] as string,
      '## The StartRestoreJob budget',
      'docs/performance.md',
    );
    const listed =
      /\*\*Alarms first, then recoveries, then drills\.\*\*[^\n]*\n(?:[^\n]*\n){0,3}/.exec(budget)?.[0] ?? '';
    const named = codeSpans(listed).filter((t) => (PRIORITIES as readonly string[]).includes(t));
    expect(named).toStrictEqual([...PRIORITIES]);
  });
});

// ---------- failure kinds, resource types ----------

describe('failure kinds (docs/dead-letters.md, against LETTER_FAILURES)', () => {
  const page = PAGES['docs/dead-letters.md'] as string;

  it('explains each failure kind, and no other', () => {
    const table = tableStarting(page, 'failure', 'docs/dead-letters.md');
    expect(table.rows.map((r) => ticked(r[0] ?? '')[0])).toStrictEqual([...LETTER_FAILURES]);
  });

  it('has a runbook entry for each failure kind', () => {
    const runbook = section(page, '## Runbook: a dead letter of each kind', 'docs/dead-letters.md');
    const entries = headings(runbook).map((h) => ticked(h)[0]);
    expect(entries).toStrictEqual([...LETTER_FAILURES]);
  });
});

describe('resource types (docs/requests.md and docs/alarms.md, against src/resources/rules.ts)', () => {
  it('lists the resource types a request may name', () => {
    const fields = tableStarting(PAGES['docs/requests.md'] as string, 'field', 'docs/requests.md');
    const row = fields.rows.find((r) => r[0] === '`ResourceType`') ?? [];
    expect(ticked(row[2] ?? '').sort()).toStrictEqual([...RESOURCE_TYPES].sort());
  });

  it('lists the metadata keys each type needs', () => {
    const table = tableStarting(PAGES['docs/requests.md'] as string, 'type', 'docs/requests.md');
    const documented: Record<string, string[]> = {};
    for (const [types = '', keys = ''] of table.rows)
      for (const type of types.split(/,\s*/)) documented[type] = ticked(keys);
    const expected = Object.fromEntries(
      RESOURCE_TYPES.map((t) => [t, [...(REQUIRED_METADATA_KEYS[t] ?? [])]]),
    );
    expect(documented).toStrictEqual(expected);
  });

  it('lists the key of each type restored to a moment', () => {
    const table = tableStarting(PAGES['docs/alarms.md'] as string, 'type', 'docs/alarms.md');
    const documented = Object.fromEntries(table.rows.map(([type = '', key = '']) => [type, ticked(key)[0]]));
    expect(documented).toStrictEqual({ ...POINT_IN_TIME_KEYS });
  });
});

// ---------- drills ----------

const DRILLS = 'docs/validation-and-drills.md';

/** The one table of `text` whose second column is headed `second`. */
function tableWithSecond(text: string, second: string, where: string): Table {
  const found = tables(text).filter((t) => t.header[1] === second);
  if (found.length !== 1) throw new Error(`${where}: expected one table with a "${second}" column second`);
  return found[0] as Table;
}

/** Each type of a table's first column ("Aurora, DocumentDB, Neptune" is three) with its row. */
const rowsByType = (table: Table) =>
  new Map(table.rows.flatMap((r) => (r[0] ?? '').split(/,\s*/).map((type) => [type, r] as const)));

/** The IAM actions of a role in serverless.yml, its shared statements (`${self:custom.iam.x}`) resolved. */
function roleActions(role: string): string[] {
  const iam = (sls.custom.iam ?? {}) as Record<string, { Action?: string[] }>;
  const statements = sls.resources.Resources[role]?.Properties?.Policies.flatMap(
    (p: { PolicyDocument: { Statement: unknown[] } }) => p.PolicyDocument.Statement,
  ) as unknown[];
  return statements.flatMap((s) => {
    const shared = typeof s === 'string' ? /^\$\{self:custom\.iam\.(\w+)\}$/.exec(s)?.[1] : undefined;
    const statement = shared === undefined ? (s as { Action?: string[] }) : iam[shared];
    return statement?.Action ?? [];
  });
}

describe('drills (docs/validation-and-drills.md, against src/resources/rules.ts, src/drills/ and serverless.yml)', () => {
  const page = PAGES[DRILLS] as string;
  const drills = section(page, '## Drills', DRILLS);

  it('lists the drillable types and the target keys the pipeline sets for each, as the code has them', () => {
    const table = rowsByType(tableWithSecond(drills, 'target keys the pipeline sets for a drill', DRILLS));
    expect([...table.keys()].sort()).toStrictEqual([...DRILL_TYPES].sort());
    for (const [type, row] of table) {
      const keys = ticked(row[1] ?? '');
      expect({ type, keys }).toStrictEqual({
        type,
        keys: [...(TARGET_KEYS[type as keyof typeof TARGET_KEYS] ?? [])],
      });
    }
  });

  it('names the types that are never drilled', () => {
    const never = /The others \(([^)]+)\) are never drilled/.exec(drills.replace(/\s+/g, ' '))?.[1] ?? '';
    const expected = RESOURCE_TYPES.filter((t) => !DRILL_TYPES.has(t));
    expect(never.split(/,\s*/).sort()).toStrictEqual([...expected].sort());
  });

  it('gives cleanup steps for exactly the types the cleanup handles', async () => {
    const cleanup = section(page, '### Cleanup of drills only, and only what the drill created', DRILLS);
    const table = rowsByType(tableWithSecond(cleanup, 'steps', DRILLS));
    const handled = await typesTheCleanupHandles();
    expect(handled.length).toBeGreaterThan(5);
    expect([...table.keys()].sort()).toStrictEqual(handled.sort());
  });

  it("names every IAM action of the cleanup's role", () => {
    const cleanup = section(page, '### Cleanup of drills only, and only what the drill created', DRILLS);
    const said = new Set(codeSpans(cleanup.slice(cleanup.indexOf('**IAM they add.**'))));
    const actions = [...new Set(roleActions('CleanupDrillsRole'))].filter((a) => !a.startsWith('logs:'));
    expect(actions.length).toBeGreaterThan(20);
    expect(actions.filter((a) => !said.has(a) && !said.has(a.replace(/^\w+:/, '')))).toStrictEqual([]);
  });
});

// ---------- sample requests ----------

/** The deployment the docs' samples are written for (docs/requests.md says so). */
const EXAMPLE_DEPLOYMENT = loadConfig({
  DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dead-letters',
  RESTORE_JOBS_TABLE: 'restore-jobs',
  AWS_REGION: 'eu-west-1',
  RESTORE_ROLE_ARN: 'arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole',
  ALLOWED_RESTORE_ROLE_ARNS: [
    'service-role/AWSBackupDefaultServiceRole',
    'BackupRestoreOperator',
    'RestoreOperator',
  ]
    .map((name) => `arn:aws:iam::123456789012:role/${name}`)
    .join(','),
  ALLOWED_SOURCE_ACCOUNT_IDS: '444455556666,555566667777',
});

/** The type of each recovery point the local stack holds. */
const SEED_TYPES = new Map(
  (
    JSON.parse(read('local/seed.json')).recoveryPoints as { RecoveryPointArn: string; ResourceType: string }[]
  ).map((p) => [p.RecoveryPointArn, p.ResourceType]),
);

interface Sample {
  readonly where: string;
  readonly value: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isRequest = (v: unknown): v is Record<string, unknown> =>
  isObject(v) && ('RecoveryPointArn' in v || 'ResourceArn' in v);

/** JSON a file reference or an inline message body in a shell line stands for. */
function shellSamples(page: string, line: string): Sample[] {
  const out: Sample[] = [];
  for (const m of line.matchAll(/--(message-body|entries)\s+file:\/\/(\S+)/g)) {
    const file = m[2] as string;
    if (!existsSync(join(ROOT, file))) {
      out.push({ where: `${page}: ${file}`, value: 'no such file' });
      continue;
    }
    const value = JSON.parse(read(file));
    if (m[1] === 'message-body') out.push({ where: `${page}: ${file}`, value });
    else for (const e of value) out.push({ where: `${page}: ${file}`, value: JSON.parse(e.Detail) });
  }
  for (const m of line.matchAll(/--message-body\s+'([^']+)'/g))
    out.push({ where: `${page}: --message-body`, value: JSON.parse(m[1] as string) });
  return out;
}

/** Every JSON sample of a page: fenced `json` blocks, inline JSON objects, shell lines that send one. */
function samples(page: string): Sample[] {
  const text = PAGES[page] as string;
  const out: Sample[] = [];
  for (const block of codeBlocks(text)) {
    const where = `${page}:${block.line}`;
    if (block.lang === 'json') out.push({ where, value: JSON.parse(block.text) });
    if (block.lang === 'sh')
      out.push(...block.text.split(/(?<!\\)\n/).flatMap((l) => shellSamples(where, l)));
  }
  for (const span of codeSpans(text)) {
    if (!span.startsWith('{')) continue;
    try {
      out.push({ where: `${page}: \`${span.slice(0, 40)}...\``, value: JSON.parse(span) });
    } catch {
      // Prose written like JSON ("{"error": {"code", "message"}}") is not a sample.
    }
  }
  return out;
}

/** Why a sample request would be refused, or why it does not match its recovery point's type. */
function requestProblems(value: Record<string, unknown>): string[] {
  // restore-pipeline validate and submit drop a top-level $schema, as docs/requests.md says.
  const { $schema: _, ...request } = value;
  const checked = checkRestoreRequest(request, EXAMPLE_DEPLOYMENT);
  if (checked.kind !== 'ok') return [`${checked.kind}: ${checked.problems.join('; ')}`];
  const point = request.RecoveryPointArn;
  const seeded = typeof point === 'string' ? SEED_TYPES.get(point) : undefined;
  if (seeded !== undefined && request.ResourceType !== undefined && request.ResourceType !== seeded)
    return [
      `ResourceType ${String(request.ResourceType)}, but ${String(point)} is an ${seeded} recovery point`,
    ];
  return [];
}

/** Why an ALARM_TARGETS sample would stop the functions at cold start. */
const alarmTargetProblems = (value: Record<string, unknown>) =>
  parseAlarmTargets(JSON.stringify(value), EXAMPLE_DEPLOYMENT).problems;

function sampleProblems(sample: Sample): string[] {
  const { value } = sample;
  if (value === 'no such file') return [value];
  if (isRequest(value)) return requestProblems(value);
  if (isObject(value) && Object.values(value).some((t) => isObject(t) && 'resourceArn' in t))
    return alarmTargetProblems(value);
  if (isObject(value) && value.kind === 'restore-dead-letter')
    return (LETTER_FAILURES as readonly unknown[]).includes(value.failure)
      ? []
      : [`failure ${String(value.failure)}`];
  return [];
}

describe("sample requests, on every page (against the pipeline's own checks)", () => {
  const all = OWN_PAGES.flatMap(samples);

  it('finds the samples, and says which deployment they are written for', () => {
    expect(all.filter((s) => isRequest(s.value)).length).toBeGreaterThan(8);
    const said = PAGES['docs/requests.md'] as string;
    const facts = [
      EXAMPLE_DEPLOYMENT.accountId,
      EXAMPLE_DEPLOYMENT.region,
      ...EXAMPLE_DEPLOYMENT.sourceAccountIds,
      ...EXAMPLE_DEPLOYMENT.allowedRoleArns.map((arn) => arn.replace(/^.*:role\//, '')),
    ];
    expect(facts.filter((f) => !said.includes(`\`${f}\``))).toStrictEqual([]);
  });

  it('writes every sample request so the pipeline accepts it, and of the type of its recovery point', () => {
    const problems = all.flatMap((s) => sampleProblems(s).map((p) => `${s.where}: ${p}`));
    expect(problems).toStrictEqual([]);
  });
});

// ---------- the local stack ----------

describe('the local stack (npm start, npm run serve, against local/start.ts)', () => {
  const lines = OWN_PAGES.flatMap((p) => commandsOf(PAGES[p] as string).map((l) => ({ page: p, l })));
  const local = lines.filter(({ l }) => /npm (start|run serve)\b/.test(l));

  it('uses only the flags local/start.ts reads', () => {
    const known = new Set([...read('local/start.ts').matchAll(/'(--[a-z-]+)'/g)].map((m) => m[1] as string));
    const used = local.flatMap(({ page, l }) =>
      [...(l.split(/\s--\s/)[1] ?? '').matchAll(/(?<![\w-])--[a-z][a-z-]*/g)].map((m) => ({
        page,
        flag: m[0],
      })),
    );
    expect(local.length).toBeGreaterThan(3);
    expect(used.filter(({ flag }) => !known.has(flag))).toStrictEqual([]);
  });

  it('shows only fault plans the local endpoint accepts', () => {
    const plans = lines.flatMap(({ l }) =>
      [...l.matchAll(/--faults\s+"([^"]+)"/g)].map((m) => m[1] as string),
    );
    expect(plans.length).toBeGreaterThan(0);
    for (const plan of plans) expect(() => checkedFaultPlan(plan)).not.toThrow();
  });
});

// ---------- the pages as a whole ----------

/** GitHub's anchor of a heading. */
const anchorOf = (heading: string) =>
  heading
    .replace(/^#+\s*/, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

describe('the pages as a whole', () => {
  it('links only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const [page, text] of Object.entries(PAGES)) {
      const prose = text.replace(/^\s*```[\s\S]*?^\s*```\s*$/gm, '');
      for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
        const [path = '', anchor] = (m[1] as string).split('#');
        if (/^[a-z]+:/.test(path)) continue;
        const target = path === '' ? page : join(dirname(page), path);
        if (!existsSync(join(ROOT, target))) {
          broken.push(`${page}: ${m[1]}`);
        } else if (anchor !== undefined && target.endsWith('.md')) {
          const anchors = headings(PAGES[target] ?? read(target)).map(anchorOf);
          if (!anchors.includes(anchor)) broken.push(`${page}: ${m[1]} (no such heading)`);
        }
      }
    }
    expect(broken).toStrictEqual([]);
  });

  it('names only files that exist, and only functions serverless.yml has', () => {
    const missing: string[] = [];
    for (const page of OWN_PAGES) {
      const text = PAGES[page] as string;
      const code = [...codeSpans(text), ...codeBlocks(text).map((b) => b.text)].join('\n');
      for (const m of code.matchAll(
        /(?<![\w./-])((?:src|handlers|cli|local|test|bench|deploy|schema|events)\/[\w./-]*\w)/g,
      ))
        if (!existsSync(join(ROOT, m[1] as string))) missing.push(`${page}: ${m[1]}`);
      for (const m of code.matchAll(/invoke local -f (\w+)/g))
        if (!((m[1] as string) in sls.functions)) missing.push(`${page}: function ${m[1]}`);
    }
    expect(missing).toStrictEqual([]);
  });

  it('describes the layout with files and folders that exist', () => {
    const layout = section(PAGES['docs/development.md'] as string, '## Layout', 'docs/development.md');
    const files = ['src', 'handlers', 'cli', 'local'].flatMap(sourceFiles);
    const basenames = new Set(files.map((f) => f.replace(/^.*\//, '')));
    const folders = new Set(
      files.flatMap((f) =>
        f
          .split('/')
          .slice(1, -1)
          .map((d) => `${d}/`),
      ),
    );
    const named = codeSpans(layout);
    const missing = [
      ...named.filter((n) => /^[\w-]+\.ts$/.test(n) && !basenames.has(n)),
      ...named.filter((n) => /^[\w-]+\/$/.test(n) && !folders.has(n) && !existsSync(join(ROOT, n))),
    ];
    expect(named.length).toBeGreaterThan(30);
    expect(missing).toStrictEqual([]);
  });

  it('shows a sample file as it is, where a page introduces one', () => {
    const differ: string[] = [];
    for (const page of OWN_PAGES) {
      const lines = (PAGES[page] as string).split('\n');
      for (const block of codeBlocks(PAGES[page] as string).filter((b) => b.lang === 'json')) {
        // The paragraph just before the block.
        let end = block.line - 2;
        while (end > 0 && lines[end]?.trim() === '') end--;
        let start = end;
        while (start > 0 && lines[start - 1]?.trim() !== '') start--;
        const named = /^`(events\/[\w-]+\.json)` is /.exec(
          lines
            .slice(start, end + 1)
            .join(' ')
            .trim(),
        );
        if (named === null) continue;
        const file = JSON.parse(read(named[1] as string));
        if (JSON.stringify(JSON.parse(block.text)) !== JSON.stringify(file))
          differ.push(`${page}:${block.line}`);
      }
    }
    expect(differ).toStrictEqual([]);
  });

  it('keeps the README a front door', () => {
    expect((PAGES['README.md'] as string).split('\n').length).toBeLessThanOrEqual(250);
  });

  it('names no issue numbers', () => {
    const found = OWN_PAGES.flatMap((page) =>
      [...(PAGES[page] as string).matchAll(/\bissues? #?\d+|(?<![\w&/])#\d+\b/gi)].map(
        (m) => `${page}: ${m[0]}`,
      ),
    );
    expect(found).toStrictEqual([]);
  });
});
