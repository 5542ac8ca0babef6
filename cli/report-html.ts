/**
 * The HTML report (pure: data in, one string out): a self-contained page with each restore's
 * timeline, the time to recovery of each restore against its target, and the dead letters by
 * kind. The charting library's browser build is passed in and inlined; the page loads nothing.
 *
 * Nothing from the data becomes markup or script: text and attributes are HTML-escaped, the
 * charts' data travels as JSON in a `<script type="application/json">` with `<`, `>` and `&`
 * escaped, and the charts draw it on canvases as text. A Content-Security-Policy allows only the
 * page's own two scripts (by hash) and no connection at all.
 */

import { createHash } from 'node:crypto';
import { LETTER_FAILURES } from '../src/letters/dead-letters.js';
import type { LetterInfo } from './dead-letters.js';
import { humanSeconds, parseSince, type ReportRow, type TypeSummary } from './report.js';

/** Time to recovery targets, in seconds: one for every type, and per type. */
export interface TtrTargets {
  readonly all: number;
  readonly byType: Readonly<Record<string, number>>;
}

/** The target when none is given. */
export const DEFAULT_TTR_TARGET = '1h';

/**
 * Parses `1h` (every type), `RDS=30m,EBS=2h` (per type; the others get the default) or both
 * (`2h,RDS=30m`). Throws an Error that lists every part it cannot read.
 */
export function parseTtrTargets(text: string, fallback = DEFAULT_TTR_TARGET): TtrTargets {
  const problems: string[] = [];
  const seconds = (part: string, value: string) => {
    const ms = parseSince(value);
    if (ms === undefined) problems.push(`"${part}" (a duration is a number and m, h, d or w: 30m, 4h)`);
    return (ms ?? 0) / 1000;
  };
  let all = seconds(fallback, fallback);
  const byType: Record<string, number> = {};
  for (const part of text.split(',').map((p) => p.trim())) {
    if (part === '') continue;
    const m = /^([A-Za-z][\w ]{0,40})=(.*)$/.exec(part);
    if (m === null) all = seconds(part, part);
    else byType[(m[1] as string).trim()] = seconds(part, m[2] as string);
  }
  if (problems.length > 0) throw new Error(`--ttr-target cannot read ${problems.join(', ')}`);
  return { all, byType };
}

/** The target of a resource type, in seconds. */
export function targetOf(targets: TtrTargets, resourceType: string): number {
  return targets.byType[resourceType] ?? targets.all;
}

/** What the page is made of. */
export interface HtmlReportInput {
  readonly generatedAt: Date;
  /** The start of the time range (its end is generatedAt). */
  readonly since: Date;
  /** Where the data came from: "stack ... in eu-west-1", "the local endpoint ...". */
  readonly source: string;
  readonly targets: TtrTargets;
  /** The restores of the range, as `collectRows` read them. */
  readonly rows: readonly ReportRow[];
  /** `summarise(rows)`. */
  readonly summaries: readonly TypeSummary[];
  /** The dead letters of the range. */
  readonly letters: readonly LetterInfo[];
  /** The charting library's browser build (Chart.js UMD: defines `window.Chart`). */
  readonly chartScript: string;
}

/** A restore's time to recovery against its target. */
export type TargetState = 'met' | 'missed' | 'not measured';

/** Met when need -> validated is within the type's target; not measured without a passed validation. */
export function targetState(row: ReportRow, targets: TtrTargets): TargetState {
  const ttr = row.durations.timeToValidated;
  if (ttr === undefined) return 'not measured';
  return ttr <= targetOf(targets, row.resourceType) ? 'met' : 'missed';
}

/** Dead letters per failure kind: every known kind (0 when none), then any other kind seen. */
export function lettersByKind(letters: readonly LetterInfo[]): { kind: string; count: number }[] {
  const kinds = [...LETTER_FAILURES, ...new Set(letters.map((l) => l.failure))].filter(
    (k, i, all) => all.indexOf(k) === i,
  );
  return kinds.map((kind) => ({ kind, count: letters.filter((l) => l.failure === kind).length }));
}

/** At most this many restores are drawn on each chart, the latest (the table lists them all). */
export const TIMELINE_MAX = 100;

const ms = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));
const startOf = (r: ReportRow) => ms(r.times?.acceptedAt) ?? ms(r.times?.neededAt) ?? 0;
const byStart = (rows: readonly ReportRow[]) => [...rows].sort((a, b) => startOf(a) - startOf(b));
const RUNNING = new Set(['CREATED', 'PENDING', 'RUNNING']);

/** Chart label of a restore: its type and the start of its job id (the tables show it whole). */
const labelOf = (r: ReportRow) =>
  `${r.resourceType} ${r.restoreJobId.length > 12 ? `${r.restoreJobId.slice(0, 8)}…` : r.restoreJobId}`;

/** The unit a set of durations reads best in. */
function unitFor(maxSeconds: number): { name: string; per: number } {
  if (maxSeconds >= 7200) return { name: 'hours', per: 3600 };
  if (maxSeconds >= 120) return { name: 'minutes', per: 60 };
  return { name: 'seconds', per: 1 };
}

const round = (n: number) => Math.round(n * 100) / 100;

function timelineData(rows: readonly ReportRow[], now: number) {
  const drawn = byStart(rows).slice(-TIMELINE_MAX);
  const segment = (from: number | undefined, to: number | undefined) =>
    from === undefined || to === undefined || to < from ? null : [from, to];
  const span = (r: ReportRow) => {
    const t = r.times ?? {};
    const [needed, accepted, completed, validated] = [
      t.neededAt,
      t.acceptedAt,
      t.completedAt,
      t.validatedAt,
    ].map(ms);
    return {
      waiting: segment(needed, accepted),
      restoring: segment(accepted, completed),
      running: completed === undefined && RUNNING.has(r.status) ? segment(accepted, now) : null,
      validating: segment(completed, validated),
    };
  };
  const spans = drawn.map(span);
  const ends = spans.flatMap((s) => Object.values(s).flatMap((v) => v ?? []));
  const min = ends.length === 0 ? now : Math.min(...ends);
  const max = ends.length === 0 ? now : Math.max(...ends);
  return {
    labels: drawn.map(labelOf),
    min,
    max,
    format: max - min > 86_400_000 ? 'datetime' : 'time',
    datasets: (['waiting', 'restoring', 'running', 'validating'] as const).map((name) => ({
      name,
      data: spans.map((s) => s[name]),
    })),
    shown: drawn.length,
    total: rows.length,
  };
}

function ttrData(rows: readonly ReportRow[], targets: TtrTargets) {
  const all = byStart(rows).filter((r) => r.durations.timeToValidated !== undefined);
  const measured = all.slice(-TIMELINE_MAX);
  const targetsOf = measured.map((r) => targetOf(targets, r.resourceType));
  const unit = unitFor(Math.max(0, ...measured.map((r) => r.durations.timeToValidated ?? 0), ...targetsOf));
  const values = measured.map((r) => round((r.durations.timeToValidated ?? 0) / unit.per));
  const positive = values.filter((v) => v > 0);
  // Seconds beside hours: on a linear axis the short bars would not show.
  const wide = positive.length > 1 && Math.max(...positive) / Math.min(...positive) > 50;
  return {
    labels: measured.map(labelOf),
    unit: unit.name,
    scale: wide ? 'logarithmic' : 'linear',
    values,
    targets: targetsOf.map((t) => round(t / unit.per)),
    met: measured.map((r) => targetState(r, targets) === 'met'),
    shown: measured.length,
    total: all.length,
  };
}

/** The charts' data (pure): what the page's script hands to the charting library. */
export function chartData(input: Omit<HtmlReportInput, 'chartScript'>) {
  return {
    timeline: timelineData(input.rows, input.generatedAt.getTime()),
    ttr: ttrData(input.rows, input.targets),
    letters: lettersByKind(input.letters),
  };
}

/** HTML-escapes text for an element or a quoted attribute. */
export function esc(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

/** JSON that cannot end its script element or open a comment. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The library's script, ready to inline: no source map link; refused if it could end its element. */
export function inlineScript(source: string): string {
  const text = source.replace(/^\/\/# sourceMappingURL=.*$/gm, '').trimEnd();
  if (/<\/script|<!--/i.test(text))
    throw new Error('The charting library contains </script or <!--: it cannot be inlined as it is.');
  return text;
}

const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** The page's own script: reads the JSON and draws the three charts. Holds no data. */
export const PAGE_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var colours = { waiting: '#9aa5b1', restoring: '#2f6fdf', running: '#f0a202', validating: '#2e9e5b' };
  var draw = function (id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options);
    new Chart(canvas, config);
    canvas.setAttribute('data-drawn', 'yes');
  };
  var tl = data.timeline;
  var tick = function (v) {
    var iso = new Date(v).toISOString();
    return tl.format === 'time' ? iso.slice(11, 19) : iso.slice(5, 16).replace('T', ' ');
  };
  draw('chart-timeline', {
    type: 'bar',
    data: {
      labels: tl.labels,
      datasets: tl.datasets.map(function (d) {
        return { label: d.name, data: d.data, backgroundColor: colours[d.name], grouped: false, barPercentage: 0.7 };
      })
    },
    options: {
      indexAxis: 'y',
      scales: { x: { type: 'linear', min: tl.min, max: tl.max, ticks: { callback: tick, maxTicksLimit: 8 }, title: { display: true, text: 'UTC' } } },
      plugins: { tooltip: { callbacks: { label: function (c) { var v = c.raw; return c.dataset.label + ': ' + tick(v[0]) + ' to ' + tick(v[1]); } } } }
    }
  });
  var ttr = data.ttr;
  draw('chart-ttr', {
    type: 'bar',
    data: {
      labels: ttr.labels,
      datasets: [
        { label: 'time to recovery', data: ttr.values, backgroundColor: ttr.met.map(function (m) { return m ? '#2e9e5b' : '#d64545'; }) },
        { type: 'line', label: 'target', data: ttr.targets, borderColor: '#222', borderDash: [6, 4], pointRadius: 0, stepped: 'middle', fill: false }
      ]
    },
    options: { scales: { y: { type: ttr.scale, beginAtZero: true, title: { display: true, text: ttr.scale === 'linear' ? ttr.unit : ttr.unit + ' (log scale)' } } } }
  });
  draw('chart-letters', {
    type: 'bar',
    data: {
      labels: data.letters.map(function (l) { return l.kind; }),
      datasets: [{ label: 'dead letters', data: data.letters.map(function (l) { return l.count; }), backgroundColor: '#d64545' }]
    },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
})();
`;

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1b1f24; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.meta { color: #57606a; margin: 0 0 16px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 14px; min-width: 110px; }
.card b { display: block; font-size: 22px; }
.chart { position: relative; height: 280px; max-width: 1100px; }
#chart-letters-box { height: 220px; max-width: 700px; }
table { border-collapse: collapse; margin-top: 10px; font-size: 13px; }
th, td { border-bottom: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.t { white-space: nowrap; }
.met { color: #1a7f37; } .missed { color: #cf222e; font-weight: 600; }
.reason { max-width: 560px; overflow-wrap: anywhere; }
td.id { max-width: 240px; overflow-wrap: anywhere; font-size: 12px; }
.none { color: #57606a; font-style: italic; }
`;

const time = (iso: string | undefined) => (iso === undefined ? '-' : esc(iso.replace('T', ' ').slice(0, 19)));
const cell = (text: string, cls = '') => `<td${cls === '' ? '' : ` class="${cls}"`}>${text}</td>`;
const timeCell = (iso: string | undefined) => cell(time(iso), 't');
const head = (names: readonly string[]) => `<tr>${names.map((n) => `<th>${esc(n)}</th>`).join('')}</tr>`;

function cardsHtml(input: HtmlReportInput): string {
  const states = input.rows.map((r) => targetState(r, input.targets));
  const count = (s: TargetState) => states.filter((x) => x === s).length;
  const cards: [string, number][] = [
    ['restores', input.rows.length],
    ['completed', input.rows.filter((r) => r.status === 'COMPLETED').length],
    ['failed', input.rows.filter((r) => r.status === 'FAILED' || r.status === 'ABORTED').length],
    ['validated (passed)', input.rows.filter((r) => r.verdict === 'pass').length],
    ['target met', count('met')],
    ['target missed', count('missed')],
    ['dead letters', input.letters.length],
  ];
  return `<div class="cards">${cards
    .map(([name, n]) => `<div class="card" data-card="${esc(name)}"><b>${n}</b>${esc(name)}</div>`)
    .join('')}</div>`;
}

function targetsText(targets: TtrTargets): string {
  const types = Object.entries(targets.byType).map(([t, s]) => `${t} ${humanSeconds(s)}`);
  return [`${humanSeconds(targets.all)} for every type`, ...types].join(', ');
}

function summaryTable(input: HtmlReportInput): string {
  if (input.summaries.length === 0) return '';
  const rows = input.summaries.map((s) => {
    const of = input.rows.filter((r) => r.resourceType === s.resourceType);
    const met = of.filter((r) => targetState(r, input.targets) === 'met').length;
    const missed = of.filter((r) => targetState(r, input.targets) === 'missed').length;
    const pass =
      s.passRate === undefined ? '-' : `${Math.round(s.passRate * 100)}% (${s.passed}/${s.validated})`;
    return `<tr>${[
      cell(esc(s.resourceType)),
      ...[s.restores, s.drills, s.completed, s.failed].map((n) => cell(String(n), 'n')),
      cell(esc(pass), 'n'),
      cell(humanSeconds(s.timeToRecovery.median), 'n'),
      cell(humanSeconds(s.timeToRecovery.worst), 'n'),
      cell(humanSeconds(targetOf(input.targets, s.resourceType)), 'n'),
      cell(String(met), 'n met'),
      cell(String(missed), `n${missed > 0 ? ' missed' : ''}`),
      cell(humanSeconds(s.restoreDuration.median), 'n'),
      cell(humanSeconds(s.restoreDuration.worst), 'n'),
    ].join('')}</tr>`;
  });
  const names = ['type', 'restores', 'drills', 'completed', 'failed', 'pass rate', 'TTR median', 'TTR worst'];
  return `<table id="summary">${head([...names, 'target', 'met', 'missed', 'job median', 'job worst'])}${rows.join('')}</table>`;
}

function restoresTable(input: HtmlReportInput): string {
  if (input.rows.length === 0) return '';
  const rows = byStart(input.rows).map((r) => {
    const state = targetState(r, input.targets);
    const t = r.times ?? {};
    return `<tr>${[
      cell(esc(r.restoreJobId), 'id'),
      cell(esc(r.resourceType) + (r.drill ? ' (drill)' : '')),
      cell(esc(r.verdict === undefined ? r.status : `${r.status}, ${r.verdict}`)),
      ...[t.neededAt, t.acceptedAt, t.completedAt, t.validatedAt].map(timeCell),
      cell(humanSeconds(r.durations.timeToValidated), 'n'),
      cell(humanSeconds(targetOf(input.targets, r.resourceType)), 'n'),
      cell(esc(state), state === 'not measured' ? '' : state),
      cell(esc(r.recoveryPointArn ?? '-'), 'id'),
    ].join('')}</tr>`;
  });
  const names = [
    'restore job',
    'type',
    'status, validation',
    'requested',
    'started',
    'completed',
    'validated',
  ];
  return `<table id="restores">${head([...names, 'TTR', 'target', 'against target', 'recovery point'])}${rows.join('')}</table>`;
}

function lettersHtml(input: HtmlReportInput): string {
  const kinds = lettersByKind(input.letters);
  const counts = `<table id="letter-kinds">${head(['failure kind', 'dead letters'])}${kinds
    .map((k) => `<tr>${cell(esc(k.kind))}${cell(String(k.count), 'n')}</tr>`)
    .join('')}</table>`;
  if (input.letters.length === 0) return `${counts}<p class="none">No dead letters in this range.</p>`;
  const rows = [...input.letters]
    .sort((a, b) => (a.failedAt ?? '').localeCompare(b.failedAt ?? ''))
    .map(
      (l) =>
        `<tr>${[
          timeCell(l.failedAt),
          cell(esc(l.failure)),
          cell(esc(`${l.triggerType ?? '?'} ${l.triggerId ?? '?'}`)),
          cell(esc(l.restoreJobId ?? '-')),
          cell(esc(l.reason), 'reason'),
        ].join('')}</tr>`,
    );
  return `${counts}<table id="letters">${head(['failed (UTC)', 'kind', 'trigger', 'restore job', 'reason'])}${rows.join('')}</table>`;
}

function chartBlock(id: string, label: string, empty: string | undefined): string {
  if (empty !== undefined) return `<p class="none">${esc(empty)}</p>`;
  return `<div class="chart" id="${id}-box"><canvas id="${id}" role="img" aria-label="${esc(label)}"></canvas></div>`;
}

/** The page (pure). */
export function reportHtml(input: HtmlReportInput): string {
  const data = chartData(input);
  const library = inlineScript(input.chartScript);
  const tl = data.timeline;
  // Heights go in the style element: style attributes would need 'unsafe-inline'.
  const style = `${STYLE}#chart-timeline-box { height: ${Math.max(160, 60 + tl.shown * 22)}px; }\n`;
  const csp = [
    "default-src 'none'",
    `script-src ${hash(library)} ${hash(PAGE_SCRIPT)}`,
    `style-src ${hash(style)}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const range = `${time(input.since.toISOString())} to ${time(input.generatedAt.toISOString())} UTC`;
  const notMeasured = input.rows.length - data.ttr.total;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Restore report, ${range}</title>
<style>${style}</style>
</head>
<body>
<h1>Restore report</h1>
<p class="meta">Restores started from ${range}, read from ${esc(input.source)}; generated ${time(input.generatedAt.toISOString())} UTC. Time to recovery (TTR): from the need (request sent, event, alarm) to a validated resource. Target: ${esc(targetsText(input.targets))}.</p>
${cardsHtml(input)}
<h2>Timeline of each restore</h2>
<p class="meta">Requested to started (waiting), started to completed (restoring), completed to validated (validating)${tl.shown < tl.total ? `; the latest ${tl.shown} of ${tl.total} restores are drawn, the table lists all` : ''}.</p>
${chartBlock('chart-timeline', 'Timeline of each restore', tl.total === 0 ? 'No restores started in this range.' : undefined)}
<h2>Time to recovery against its target</h2>
<p class="meta">One bar per validated restore (green: within its target, red: over it); the dashed line is the target${data.ttr.shown < data.ttr.total ? `; the latest ${data.ttr.shown} of ${data.ttr.total} are drawn` : ''}${notMeasured > 0 ? `; ${notMeasured} restore${notMeasured === 1 ? ' has' : 's have'} no passed validation, so no time to recovery` : ''}.</p>
${chartBlock('chart-ttr', 'Time to recovery against target', data.ttr.labels.length === 0 ? 'No restore in this range has a passed validation yet.' : undefined)}
${summaryTable(input)}
${restoresTable(input)}
<h2>Dead letters by kind</h2>
${chartBlock('chart-letters', 'Dead letters by kind', undefined)}
${lettersHtml(input)}
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>${library}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
