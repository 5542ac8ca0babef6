/** The HTML report, pure: targets, chart data, escaping, the page's policy. No sockets, no browser. */

import { createHash } from 'node:crypto';
import type { LetterInfo } from '../../cli/dead-letters';
import { type ReportRow, summarise } from '../../cli/report';
import {
  chartData,
  esc,
  type HtmlReportInput,
  inlineScript,
  lettersByKind,
  PAGE_SCRIPT,
  parseTtrTargets,
  reportHtml,
  scriptJson,
  targetState,
} from '../../cli/report-html';
import { chartLibrary } from '../../cli/report-page';
import { LETTER_FAILURES } from '../../src/letters/dead-letters';
import { recoveryDurations } from '../../src/validation/timing';
import { runCli } from '../helpers/cli';

const HOSTILE = '</script><img src=x onerror="document.title=1">';
const NOW = new Date('2026-12-06T12:00:00.000Z');
const at = (minutesBefore: number) => new Date(NOW.getTime() - minutesBefore * 60_000).toISOString();

function row(
  id: string,
  type: string,
  status: string,
  t: { needed?: number; accepted?: number; completed?: number; validated?: number },
  verdict?: ReportRow['verdict'],
): ReportRow {
  const times = {
    ...(t.needed === undefined ? {} : { neededAt: at(t.needed) }),
    ...(t.accepted === undefined ? {} : { acceptedAt: at(t.accepted) }),
    ...(t.completed === undefined ? {} : { completedAt: at(t.completed) }),
    ...(t.validated === undefined ? {} : { validatedAt: at(t.validated) }),
  };
  return {
    restoreJobId: id,
    resourceType: type,
    drill: false,
    status,
    ...(verdict === undefined ? {} : { verdict }),
    durations: recoveryDurations(times),
    times,
    recoveryPointArn: `arn:aws:backup:eu-west-1:123456789012:recovery-point:${id}`,
  };
}

function letter(failure: string, reason: string, failedAt = at(5)): LetterInfo {
  return {
    messageId: `m-${failure}`,
    kind: 'restore-dead-letter',
    failure,
    reason,
    failedAt,
    ageSeconds: 300,
    triggerId: 't-1',
    triggerType: 'sqs',
    redriveCount: 0,
    deadLetterId: 'd-1',
    restoreJobId: undefined,
    receiveCount: 1,
  };
}

const ROWS = [
  // 50 min need -> validated, target 30 min: missed.
  row('rds-slow', 'RDS', 'COMPLETED', { needed: 60, accepted: 59, completed: 30, validated: 10 }, 'pass'),
  // 5 min: met.
  row('ebs-fast', 'EBS', 'COMPLETED', { needed: 20, accepted: 19, completed: 17, validated: 15 }, 'pass'),
  // Failed validation: no validated time (the report keeps validatedAt of passes only), no time to recovery.
  row('ebs-bad', 'EBS', 'COMPLETED', { needed: 40, accepted: 39, completed: 35 }, 'fail'),
  // Still running: drawn up to now.
  row(HOSTILE, 'EFS', 'RUNNING', { needed: 8, accepted: 7 }),
];

/** Every known failure kind with its count (0 unless given), then the unknown ones given. */
const kinds = (counts: Record<string, number>) => [
  ...LETTER_FAILURES.map((kind) => ({ kind, count: counts[kind] ?? 0 })),
  ...Object.entries(counts)
    .filter(([kind]) => !(LETTER_FAILURES as readonly string[]).includes(kind))
    .map(([kind, count]) => ({ kind, count })),
];

function input(over: Partial<HtmlReportInput> = {}): HtmlReportInput {
  return {
    generatedAt: NOW,
    since: new Date(NOW.getTime() - 7 * 86_400_000),
    source: 'the local endpoint http://127.0.0.1:4566',
    targets: parseTtrTargets('1h,RDS=30m'),
    rows: ROWS,
    summaries: summarise(ROWS),
    letters: [
      letter('rejected', `Invalid restore request: ResourceType "${HOSTILE}"`),
      letter('x-new', 'other'),
    ],
    chartScript: 'window.Chart = function () {};\n//# sourceMappingURL=chart.umd.min.js.map\n',
    ...over,
  };
}

describe('--ttr-target', () => {
  it('takes one target, targets per type, or both', () => {
    expect(parseTtrTargets('4h')).toStrictEqual({ all: 14_400, byType: {} });
    expect(parseTtrTargets('RDS=30m, EBS=2h')).toStrictEqual({ all: 3600, byType: { RDS: 1800, EBS: 7200 } });
    expect(parseTtrTargets('2h,Storage Gateway=1d')).toStrictEqual({
      all: 7200,
      byType: { 'Storage Gateway': 86_400 },
    });
    expect(parseTtrTargets('')).toStrictEqual({ all: 3600, byType: {} });
  });

  it('names every part it cannot read', () => {
    expect(() => parseTtrTargets('4 hours,RDS=soon')).toThrow(
      '--ttr-target cannot read "4 hours" (a duration is a number and m, h, d or w: 30m, 4h), "RDS=soon" (a duration is a number and m, h, d or w: 30m, 4h)',
    );
  });
});

describe('report --ttr-target on the command line', () => {
  it('refuses a target it cannot read before reaching any deployment (exit 2)', async () => {
    const r = await runCli(['--local', 'report', '--html', 'page.html', '--ttr-target', 'RDS=soon']);
    expect(r.stderr).toBe(
      `error: option '--ttr-target <targets>' argument 'RDS=soon' is invalid. --ttr-target cannot read "RDS=soon" (a duration is a number and m, h, d or w: 30m, 4h)\n(run with --help for usage)\n`,
    );
    expect(r.code).toBe(2);
  });
});

describe('against the target', () => {
  it('is met within the type target, missed over it, not measured without a passed validation', () => {
    const targets = parseTtrTargets('1h,RDS=30m');
    expect(ROWS.map((r) => targetState(r, targets))).toStrictEqual([
      'missed',
      'met',
      'not measured',
      'not measured',
    ]);
  });
});

describe('dead letters by kind', () => {
  it('lists every known kind, with 0 where there is none, then the kinds a newer pipeline wrote', () => {
    expect(
      lettersByKind([letter('rejected', 'a'), letter('rejected', 'b'), letter('x-new', 'c')]),
    ).toStrictEqual(kinds({ rejected: 2, 'x-new': 1 }));
    expect(kinds({}).slice(0, 3)).toStrictEqual([
      { kind: 'rejected', count: 0 },
      { kind: 'retries-exhausted', count: 0 },
      { kind: 'restore-job-failed', count: 0 },
    ]);
  });
});

describe('the charts data', () => {
  it('holds the timeline segments, the times to recovery against targets, and the letters by kind', () => {
    const ms = (minutesBefore: number) => NOW.getTime() - minutesBefore * 60_000;
    expect(chartData(input())).toStrictEqual({
      timeline: {
        labels: ['RDS rds-slow', 'EBS ebs-bad', 'EBS ebs-fast', 'EFS </script…'],
        min: ms(60),
        max: ms(0),
        format: 'time',
        datasets: [
          { name: 'waiting', data: [ms(60), ms(40), ms(20), ms(8)].map((n) => [n, n + 60_000]) },
          { name: 'restoring', data: [[ms(59), ms(30)], [ms(39), ms(35)], [ms(19), ms(17)], null] },
          { name: 'running', data: [null, null, null, [ms(7), ms(0)]] },
          { name: 'validating', data: [[ms(30), ms(10)], null, [ms(17), ms(15)], null] },
        ],
        shown: 4,
        total: 4,
      },
      ttr: {
        labels: ['RDS rds-slow', 'EBS ebs-fast'],
        unit: 'minutes',
        scale: 'linear',
        values: [50, 5],
        targets: [30, 60],
        met: [false, true],
        shown: 2,
        total: 2,
      },
      letters: kinds({ rejected: 1, 'x-new': 1 }),
    });
  });
});

describe('many restores', () => {
  it('draws the latest 100 on each chart, says so, and lists them all in the table', () => {
    const rows = Array.from({ length: 150 }, (_, i) =>
      row(
        `job-${String(i).padStart(3, '0')}`,
        'EBS',
        'COMPLETED',
        { needed: 300 - i, accepted: 299 - i, completed: 298 - i, validated: 297 - i },
        'pass',
      ),
    );
    const many = input({ rows, summaries: summarise(rows) });
    const data = chartData(many);
    expect([data.timeline.shown, data.timeline.total, data.ttr.shown, data.ttr.total]).toStrictEqual([
      100, 150, 100, 150,
    ]);
    expect([data.timeline.labels[0], data.ttr.labels[99]]).toStrictEqual(['EBS job-050', 'EBS job-149']);
    expect(data.ttr.scale).toBe('linear');
    const wide = [
      row('a', 'RDS', 'COMPLETED', { needed: 120, validated: 0 }, 'pass'),
      row('b', 'RDS', 'COMPLETED', { needed: 1, validated: 0 }, 'pass'),
    ];
    // 120 minutes beside 1: a logarithmic axis, or the short bar would not show.
    expect(chartData(input({ rows: wide })).ttr).toMatchObject({
      unit: 'hours',
      scale: 'logarithmic',
      values: [2, 0.02],
    });
    const page = reportHtml(many);
    expect(page).toContain('the latest 100 of 150 restores are drawn, the table lists all');
    expect(page).toContain('the latest 100 of 150 are drawn');
    expect(page.match(/<td class="id">job-/g)).toHaveLength(150);
  });
});

describe('the page', () => {
  const page = reportHtml(input());
  const scripts = [...page.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];

  it('has three scripts: the data as JSON, the library and its own; nothing is loaded from anywhere', () => {
    expect(scripts.map((s) => s[1])).toStrictEqual([' type="application/json" id="report-data"', '', '']);
    expect(page).not.toMatch(/<[a-z]+\s[^>]*\b(src|href)=/i);
    expect(page).not.toContain('sourceMappingURL');
    expect(page).not.toMatch(/https?:\/\/(?!127\.0\.0\.1:4566)/);
  });

  it('lets only its own two scripts run (by hash) and connects nowhere', () => {
    const csp = (
      /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(page)?.[1] ?? ''
    ).replace(/&#39;/g, "'");
    const sha = (t: string) => `'sha256-${createHash('sha256').update(t).digest('base64')}'`;
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)?.[1] ?? '';
    expect(csp.split('; ')).toStrictEqual([
      "default-src 'none'",
      `script-src ${sha(scripts[1]?.[2] ?? '')} ${sha(PAGE_SCRIPT)}`,
      `style-src ${sha(style)}`,
      'img-src data:',
      "base-uri 'none'",
      "form-action 'none'",
    ]);
    expect(scripts[2]?.[2]).toBe(PAGE_SCRIPT);
  });

  it('keeps a hostile job id and reason inert: escaped text in the tables, escaped JSON in the data', () => {
    expect(page).not.toContain('<img');
    expect(page).not.toContain('onerror="');
    expect(page).toContain(
      '<td class="id">&lt;/script&gt;&lt;img src=x onerror=&quot;document.title=1&quot;&gt;</td>',
    );
    expect(page).toContain(
      'Invalid restore request: ResourceType &quot;&lt;/script&gt;&lt;img src=x onerror=&quot;document.title=1&quot;&gt;&quot;',
    );
    const json = scripts[0]?.[2] ?? '';
    expect(json).not.toMatch(/[<>&]/);
    expect(JSON.parse(json)).toStrictEqual(chartData(input()));
  });

  it('shows the numbers: cards, the summary per type against its target, each restore, letters by kind', () => {
    const cards = [...page.matchAll(/<div class="card" data-card="([^"]+)"><b>(\d+)<\/b>/g)].map((m) => [
      m[1],
      Number(m[2]),
    ]);
    expect(cards).toStrictEqual([
      ['restores', 4],
      ['completed', 3],
      ['failed', 0],
      ['validated (passed)', 2],
      ['target met', 1],
      ['target missed', 1],
      ['dead letters', 2],
    ]);
    const summary = /<table id="summary">([\s\S]*?)<\/table>/.exec(page)?.[1] ?? '';
    const rds = summary.split('<tr>').find((r) => r.startsWith('<td>RDS</td>')) ?? '';
    expect(rds.replace(/<[^>]+>/g, '|').replace(/\|+/g, '|')).toBe(
      '|RDS|1|0|1|0|100% (1/1)|50m 0s|50m 0s|30m 0s|0|1|29m 0s|29m 0s|',
    );
    expect(page).toContain('Target: 1h 0m for every type, RDS 30m 0s.');
    expect(page).toMatch(/<tr><td>rejected<\/td><td class="n">1<\/td><\/tr>/);
    expect(page).toMatch(/<td class="missed">missed<\/td>/);
  });

  it('says so where there is nothing to draw, and draws no chart for it', () => {
    const empty = reportHtml(input({ rows: [], summaries: [], letters: [] }));
    expect(empty).toContain('No restores started in this range.');
    expect(empty).toContain('No restore in this range has a passed validation yet.');
    expect(empty).toContain('No dead letters in this range.');
    expect([...empty.matchAll(/<canvas id="([^"]+)"/g)].map((m) => m[1])).toStrictEqual(['chart-letters']);
    expect([...page.matchAll(/<canvas id="([^"]+)"/g)].map((m) => m[1])).toStrictEqual([
      'chart-timeline',
      'chart-ttr',
      'chart-letters',
    ]);
  });
});

describe('inlining', () => {
  it('inlines the installed Chart.js browser build as it is, less its source map link', () => {
    const library = chartLibrary();
    expect(library).toMatch(/^\/\*!\n \* Chart\.js v4\./);
    expect(inlineScript(library)).toBe(
      library.replace(/\n\/\/# sourceMappingURL=chart\.umd\.min\.js\.map\s*$/, ''),
    );
  });

  it('refuses a library that could end its script element, and drops its source map link', () => {
    expect(() => inlineScript('var a = "</script>";')).toThrow(/cannot be inlined/);
    expect(() => inlineScript('var a = "<!--";')).toThrow(/cannot be inlined/);
    expect(inlineScript('x();\n//# sourceMappingURL=a.map\n')).toBe('x();');
  });

  it('escapes text for HTML and JSON for a script element', () => {
    expect(esc(`<a href='x'>&"`)).toBe('&lt;a href=&#39;x&#39;&gt;&amp;&quot;');
    expect(scriptJson({ s: '</script><!--&\u2028' })).toBe(
      '{"s":"\\u003c/script\\u003e\\u003c!--\\u0026\\u2028"}',
    );
    expect(JSON.parse(scriptJson({ s: '</script><!--&\u2028' }))).toStrictEqual({
      s: '</script><!--&\u2028',
    });
  });
});
