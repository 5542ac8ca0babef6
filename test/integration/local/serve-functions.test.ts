/**
 * The local stack runs every function the deployment has: the validator on its queue, the
 * reconciler and the drill cleanup on a schedule; and serve's console shows each job's end and
 * each dead letter as they happen.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LocalPipeline, startSchedules } from '../../../local/pipeline';
import { defaultInputs, run, watchOutcomes } from '../../../local/start';
import { sleep } from '../../../local/time';
import { parseDeadLetter } from '../../helpers/dead-letters';
import { localPipelines } from '../../helpers/pipeline';

const EBS_POINT = 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718';
const EBS = {
  RecoveryPointArn: EBS_POINT,
  ResourceType: 'EBS',
  Metadata: { availabilityZone: 'eu-west-1a' },
};
/** The local endpoint fails restores into this zone after they start. */
const FAILS_LATER = { ...EBS, Metadata: { availabilityZone: 'eu-west-1z' } };

const logs: string[] = [];
const start = localPipelines(() => {
  logs.length = 0;
  return {
    allFunctions: { scheduleEveryMs: 200 },
    visibilityTimeoutS: 1,
    maxReceiveCount: 3,
    logSink: (line) => logs.push(line),
  };
});

async function eventually<T>(check: () => T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms; logs:\n${logs.join('\n')}`);
    await sleep(50);
  }
}

const letters = (p: LocalPipeline) => p.deadLetters().map((m) => parseDeadLetter(m.body));

describe('the local stack with every function', () => {
  it('names in serve every function serverless.yml deploys', () => {
    const yaml = readFileSync(join(__dirname, '..', '..', '..', 'serverless.yml'), 'utf8');
    const section = yaml.slice(yaml.indexOf('\nfunctions:\n'), yaml.indexOf('\nresources:\n'));
    const functions = [...section.matchAll(/^ {2}([A-Za-z0-9]+):\s*$/gm)].map((m) => m[1] as string);
    expect(functions).toHaveLength(8);
    const start = readFileSync(join(__dirname, '..', '..', '..', 'local', 'start.ts'), 'utf8');
    const banner = start.slice(start.indexOf('Every function of serverless.yml runs'));
    for (const fn of functions) expect(banner.slice(0, 600)).toContain(fn);
  });

  it('runs the reconciler on its schedule: a FAILED job whose end event was lost is dead-lettered unasked', async () => {
    const p = await start({ jobEvents: { lossRate: 1, duplicateRate: 0, maxDelayMs: 0 } });
    await p.submit(FAILS_LATER);
    // Nobody calls runUntilIdle or reconcile: the schedule finds the job's end.
    const letter = await eventually(() => letters(p).find((l) => l.failure === 'restore-job-failed'));
    expect(letter.reason).toMatch(/ended FAILED/);
    // The reconciler logs after the settling it reports (the letter is sent during it): wait for it.
    await eventually(() => logs.find((l) => l.includes('A restore job end was found by the reconciler')));
    expect(logs.some((l) => l.includes('A restore job end was found by the reconciler'))).toBe(true);
  });

  it('runs validateRestore on its queue: a COMPLETED job is checked without anyone invoking it', async () => {
    const p = await start();
    await p.submit(EBS);
    const job = await eventually(() => p.aws.backup.jobs.find((j) => j.Status === 'COMPLETED'));
    expect(p.env.VALIDATION_QUEUE_URL).toMatch(/\/restore-validations$/);
    await eventually(() =>
      logs.find(
        (l) =>
          l.includes(job.RestoreJobId) &&
          /Restored resource (validated|not usable yet|not validated)/.test(l),
      ),
    );
  });

  it('runs cleanupDrills on its schedule', async () => {
    await start();
    await eventually(() => logs.find((l) => l.includes('"message":"Drill cleanup run"')));
  });

  it("prints each job's end and each dead letter as they happen, naming the request", async () => {
    const p = await start();
    const out: string[] = [];
    const requestOfJob = new Map<string, string>();
    const stop = watchOutcomes(p, requestOfJob, (line) => out.push(line), 50);
    try {
      const failing = await p.submit(FAILS_LATER);
      const job = await eventually(() => p.aws.backup.jobs[0]);
      requestOfJob.set(job.RestoreJobId, `message ${failing}`);
      await eventually(() => out.find((l) => l.includes('ended FAILED')));
      const letter = await eventually(() => out.find((l) => l.includes('(restore-job-failed)')));
      expect(letter).toContain(`for message ${failing}`);
      // AWS's message quotes the request's zone: the console shows the scrubbed reason only.
      expect(out.join('\n')).not.toContain('eu-west-1z');
    } finally {
      stop();
    }
  });
});

describe('startSchedules', () => {
  it('runs each function every period, one run at a time, and waits for runs in progress when stopped', async () => {
    let runs = 0;
    let running = 0;
    let most = 0;
    const stop = startSchedules(20, [
      async () => {
        runs++;
        running++;
        most = Math.max(most, running);
        await sleep(70);
        running--;
      },
    ]);
    await sleep(300);
    await stop();
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(most).toBe(1);
    expect(running).toBe(0);
  });
});

describe('faults only when asked for', () => {
  it('npm start delivers every job event once without --faults, and as AWS may (late, twice, lost) with it', async () => {
    const quiet = { out: () => undefined };
    const kind = await run(defaultInputs(), quiet);
    expect(kind.pipeline.jobEventStats.delivered).toBeGreaterThan(30);
    expect(kind.pipeline.jobEventStats).toMatchObject({ lost: 0, duplicated: 0 });
    const unkind = await run(defaultInputs(), { ...quiet, faults: 'DescribeRestoreJob=latency:0' });
    const { lost, duplicated } = unkind.pipeline.jobEventStats;
    expect(lost + duplicated).toBeGreaterThan(0);
  }, 120_000);
});
