/**
 * `restore-pipeline report --html` on data the local pipeline made just now (the samples of
 * `npm start`, with their times moved to now, and one hostile request), opened in headless Chromium
 * (Debian's `chromium`): the three charts are drawn by the inlined Chart.js, the numbers are on the
 * page, the hostile string stays text, no Metadata value is shown, and the page's policy blocks
 * nothing of its own. Without Chromium the test fails in CI and is skipped, saying so, elsewhere.
 */

import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventBridgeEvent } from 'aws-lambda';
import { type LocalPipeline, RESTORE_JOBS_TABLE, startLocalPipeline } from '../../local/pipeline';
import { defaultInputs } from '../../local/start';
import { createLinkWriter } from '../../src/table/links';
import { markJobOutcome } from '../../src/table/outcomes';
import { recordVerdict } from '../../src/table/verdicts';
import { type CliRun, runCli } from '../helpers/cli';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const HOSTILE = '</script><img src=x onerror=document.title=1>';
/** A Metadata value of the hostile request: it must not reach the page. */
const SECRET = 'meta-value-7f3a91';

/** Runs headless Chromium on the page with its own profile; resolves with stdout and stderr. */
function chromium(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const profile = mkdtempSync(join(tmpdir(), 'report-chromium-profile-'));
  const flags = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    `--user-data-dir=${profile}`,
    '--virtual-time-budget=5000',
    '--window-size=1280,2000',
  ];
  return new Promise((resolve, reject) => {
    execFile(
      CHROMIUM as string,
      [...flags, ...args],
      { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        rmSync(profile, { recursive: true, force: true });
        if (error) reject(new Error(`chromium failed: ${error.message}\n${stderr}`));
        else resolve({ stdout, stderr });
      },
    );
  });
}

/** The event as if it happened now (the samples carry fixed times). */
function happenedNow(event: EventBridgeEvent<string, unknown>): EventBridgeEvent<string, unknown> {
  const now = Date.now();
  const copy = JSON.parse(JSON.stringify(event)) as EventBridgeEvent<string, unknown> & {
    detail: { state?: { timestamp?: string }; previousState?: { timestamp?: string } };
  };
  copy.time = new Date(now).toISOString();
  if (copy.detail?.state?.timestamp !== undefined)
    copy.detail.state.timestamp = new Date(now - 1000).toISOString();
  if (copy.detail?.previousState?.timestamp !== undefined)
    copy.detail.previousState.timestamp = new Date(now - 3_600_000).toISOString();
  return copy;
}

/** The samples and a hostile request through the pipeline; then, as the validator would, verdicts on the completed jobs. */
async function makeData(p: LocalPipeline): Promise<void> {
  for (const input of defaultInputs()) {
    if (input.kind === 'sqs') await p.submit(input.body);
    else await p.emit(happenedNow(input.event));
  }
  await p.submit({
    RecoveryPointArn:
      'arn:aws:backup:eu-west-1:123456789012:recovery-point:3c1f7e42-9a0d-4b6e-8f21-5d7a9b0c1e2f',
    ResourceType: HOSTILE,
    Metadata: { availabilityZone: SECRET },
  });
  await p.runUntilIdle();
  const deadline = Date.now() + 10_000;
  while (
    p.aws.backup.jobs.some((j) => j.Status === 'PENDING' || j.Status === 'RUNNING') &&
    Date.now() < deadline
  )
    await new Promise((r) => setTimeout(r, 50));
  const completed = p.aws.backup.jobs.filter((j) => j.Status === 'COMPLETED');
  for (const [i, job] of completed.entries()) {
    await recordVerdict(p.deps.ddb, RESTORE_JOBS_TABLE, job.RestoreJobId, {
      // One failed check, so the pass rate is not always 100 %.
      verdict: i === 0 ? 'fail' : 'pass',
      reason: 'checked',
      validatedAt: new Date().toISOString(),
      checkedBy: 'built-in',
      attempts: 1,
    });
  }
  // A restore of the last hour whose validation came 50 minutes after the need: over a 30-minute target.
  const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
  await createLinkWriter(p.deps.ddb, RESTORE_JOBS_TABLE, () => new Date()).write({
    restoreJobId: 'slow-rds-restore',
    original: { trigger: 'sqs', body: '{"ResourceArn": "arn:aws:rds:eu-west-1:123456789012:db:orders"}' },
    trigger: { type: 'sqs', id: 'm-slow', attempt: 1, neededAt: ago(60) },
    redriveCount: 0,
    recoveryPointArn: 'arn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-slow',
    resourceType: 'RDS',
    startedAt: ago(59),
    fingerprint: 'slow',
  });
  await markJobOutcome(p.deps.ddb, RESTORE_JOBS_TABLE, 'slow-rds-restore', 'COMPLETED', new Date(), {
    completedAt: ago(30),
  });
  await recordVerdict(p.deps.ddb, RESTORE_JOBS_TABLE, 'slow-rds-restore', {
    verdict: 'pass',
    reason: 'checked',
    validatedAt: ago(10),
    checkedBy: 'built-in',
    attempts: 1,
  });
}

const card = (dom: string, name: string) =>
  Number(new RegExp(`data-card="${name.replace(/[()]/g, '\\$&')}"><b>(\\d+)</b>`).exec(dom)?.[1]);

const itWithChromium = CHROMIUM !== undefined || process.env.CI ? it : it.skip;
if (CHROMIUM === undefined && !process.env.CI)
  console.warn('Skipped: no /usr/bin/chromium (apt-get install chromium); in CI this test fails instead.');

describe('report --html', () => {
  let p: LocalPipeline;
  const dir = mkdtempSync(join(tmpdir(), 'report-html-'));
  const page = join(dir, 'report.html');
  let cli: CliRun;
  beforeAll(async () => {
    p = await startLocalPipeline({ visibilityTimeoutS: 2, maxReceiveCount: 3, asyncRetryDelaysMs: [20, 40] });
    await makeData(p);
    cli = await runCli(['--endpoint-url', p.aws.url, 'report', '--html', page, '--ttr-target', '1h,RDS=30m']);
  }, 120_000);
  afterAll(async () => {
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the page and says what it holds; a file it cannot write is a usage error', async () => {
    expect(cli.stderr).toBe('');
    expect(cli.stdout).toBe(
      `Wrote ${page}: ${p.aws.backup.jobs.length + 1} restores, ${p.deadLetters().length} dead letters.\n`,
    );
    expect(cli.code).toBe(0);
    expect(readFileSync(page, 'utf8')).not.toContain(SECRET);
    const nowhere = join(dir, 'no-such-folder', 'report.html');
    const refused = await runCli(['--endpoint-url', p.aws.url, 'report', '--html', nowhere]);
    expect(refused.stderr).toMatch(new RegExp(`^error: Cannot write ${nowhere}: ENOENT`));
    expect(refused.code).toBe(2);
  });

  itWithChromium(
    'draws the charts and shows the numbers of data made just now',
    async () => {
      expect(CHROMIUM).toBeDefined(); // CI=true and no chromium: .ci/run installs Debian's package.
      const jobs = p.aws.backup.jobs;
      const letters = p.deadLetters().length;
      const { stdout: dom, stderr } = await chromium([
        '--enable-logging=stderr',
        '--v=0',
        '--dump-dom',
        `file://${page}`,
      ]);
      // Chart.js sized and drew each canvas; the page's script marked it once the chart was made.
      const canvases = [...dom.matchAll(/<canvas id="([^"]+)"[^>]*>/g)].map((m) => m[0]);
      expect(canvases).toHaveLength(3);
      for (const c of canvases) {
        expect(c).toMatch(
          / width="\d+" height="\d+" style="display: block; box-sizing: border-box; height: \d+px; width: \d+px;" data-drawn="yes"/,
        );
      }
      // The numbers of the data.
      expect(card(dom, 'restores')).toBe(jobs.length + 1);
      expect(card(dom, 'completed')).toBe(jobs.filter((j) => j.Status === 'COMPLETED').length + 1);
      expect(card(dom, 'failed')).toBe(jobs.filter((j) => j.Status === 'FAILED').length);
      expect(card(dom, 'validated (passed)')).toBe(jobs.filter((j) => j.Status === 'COMPLETED').length);
      expect(card(dom, 'target missed')).toBe(1);
      expect(card(dom, 'target met')).toBe(jobs.filter((j) => j.Status === 'COMPLETED').length - 1);
      expect(card(dom, 'dead letters')).toBe(letters);
      expect(dom).toMatch(
        /<td class="id">slow-rds-restore<\/td><td>RDS<\/td><td>COMPLETED, pass<\/td>.*?<td class="n">50m 0s<\/td><td class="n">30m 0s<\/td><td class="missed">missed<\/td>/,
      );
      expect(dom).toMatch(/<tr><td>rejected<\/td><td class="n">[1-9]\d*<\/td><\/tr>/);
      // Every time shown is of the last two hours, not a sample's fixed date.
      const times = [...dom.matchAll(/<td class="t">([\d-]+ [\d:]+)<\/td>/g)].map((m) =>
        Date.parse(`${m[1]}Z`),
      );
      expect(times.length).toBeGreaterThan(jobs.length * 3);
      const old = times.filter((t) => !(t > Date.now() - 2 * 3_600_000 && t <= Date.now()));
      expect(old.map((t) => new Date(t).toISOString())).toStrictEqual([]);
      // The hostile ResourceType is text in the reason, no element; no Metadata value; nothing blocked.
      expect(dom).toContain('Invalid restore request: ResourceType "&lt;/script&gt;&lt;img src=x onerror=');
      expect(dom).not.toMatch(/<img/i);
      expect(dom).toContain('<title>Restore report');
      expect(dom).not.toContain(SECRET);
      expect(stderr).not.toMatch(/Content Security Policy|Uncaught|net::ERR/);

      const shot = join(dir, 'report.png');
      await chromium([`--screenshot=${shot}`, `file://${page}`]);
      const png = readFileSync(shot);
      expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
      expect(png.readUInt32BE(16)).toBe(1280);
      if (process.env.REPORT_SCREENSHOT) copyFileSync(shot, process.env.REPORT_SCREENSHOT);
    },
    180_000,
  );
});
