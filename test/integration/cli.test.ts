/**
 * The restore-pipeline CLI against the local pipeline: every command, --json, exit codes,
 * colours. The CLI's real SDK clients talk to the local endpoint (--endpoint-url).
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { LOCAL } from '../../cli/target';
import { ACCOUNT, type LocalPipeline, REGION, RESTORE_ROLE } from '../../local/pipeline';
import { runCli } from '../helpers/cli';
import { deadLetters } from '../helpers/dead-letters';
import { localPipelines } from '../helpers/pipeline';

const POINT = 'arn:aws:backup:eu-west-1:123456789012:recovery-point:3c1f7e42-9a0d-4b6e-8f21-5d7a9b0c1e2f';
const EBS = { RecoveryPointArn: POINT, ResourceType: 'EBS', Metadata: { availabilityZone: 'eu-west-1a' } };
/** The local endpoint fails restores into this zone after they start. */
const FAILS_LATER = { ...EBS, Metadata: { availabilityZone: 'eu-west-1z' } };
const ROGUE_ROLE = { ...EBS, IamRoleArn: 'arn:aws:iam::123456789012:role/Admin' };

const dir = mkdtempSync(join(tmpdir(), 'cli-test-'));
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const start = localPipelines(() => ({
  // Longer than a loaded machine takes for a batch: a shorter one redelivers batches still in flight.
  visibilityTimeoutS: 2,
  maxReceiveCount: 3,
  asyncRetryDelaysMs: [20, 40],
}));
const at = (p: LocalPipeline) => ['--endpoint-url', p.aws.url];

async function visibleDeadLetters(p: LocalPipeline): Promise<number> {
  const out = await p.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: p.deadLetterQueueUrl,
      AttributeNames: ['ApproximateNumberOfMessages'],
    }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages);
}

describe('the local settings the CLI assumes', () => {
  it('are the ones the local pipeline uses', () => {
    expect(LOCAL.accountId).toBe(ACCOUNT);
    expect(LOCAL.region).toBe(REGION);
    expect(LOCAL.restoreRoleArn).toBe(RESTORE_ROLE);
  });

  it('accept with --local the shared-vault sample the local stack restores (its source account included)', async () => {
    const sample = join(__dirname, '..', '..', 'events', 'request-shared-vault.json');
    const r = await runCli(['--local', '--json', 'validate', sample]);
    expect(r.json()).toMatchObject({ checkedAgainst: 'local', problems: [] });
    expect(r.code).toBe(0);
    const p = await start();
    const { readFileSync } = await import('node:fs');
    const id = await p.submit(readFileSync(sample, 'utf8'));
    await p.runUntilIdle();
    expect(
      p
        .deadLetters()
        .map((l) => l.body)
        .join('\n'),
    ).not.toContain(id);
    expect(p.aws.backup.jobs).toHaveLength(1);
  });
});

describe('validate', () => {
  it('accepts a valid request (exit 0) and says which rules it could not check without settings', async () => {
    const r = await runCli(['validate', file('good.json', EBS)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^valid .*good\.json: an EBS restore of arn:aws:backup:/);
    expect(r.stdout).toMatch(/not checked \(no deployment settings\)/);
  });

  it('lists every problem at once and exits 1', async () => {
    const bad = { RecoveryPointArn: 'nope', ResourceType: 'RDS', Metadata: { a: 1 }, metadata: {} };
    const r = await runCli(['validate', '--json', file('bad.json', bad)]);
    expect(r.code).toBe(1);
    const out = r.json();
    expect(out).toMatchObject({ valid: false, refusal: 'invalid', checkedAgainst: 'none' });
    expect(out.problems).toHaveLength(4);
    expect(out.problems[0]).toMatch(/^unknown field\(s\) "metadata"; accepted fields are/);
    expect(out.problems.join('\n')).toMatch(/Metadata\.a must be a string/);
    expect(out.problems.join('\n')).toMatch(/not a recovery point ARN/);
    expect(out.problems.join('\n')).toMatch(/RDS restore needs DBInstanceIdentifier/);
  });

  it("checks role and scope against the local stack's settings with --local", async () => {
    const r = await runCli(['--local', 'validate', file('rogue.json', ROGUE_ROLE)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^refused by this deployment .*1 problem\n {2}- IamRoleArn .* is not on this deployment's list/,
    );
    const elsewhere = await runCli([
      '--local',
      'validate',
      file('us.json', { ...EBS, RecoveryPointArn: POINT.replace('eu-west-1', 'us-east-1') }),
    ]);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stdout).toMatch(/Region "us-east-1"/);
  });

  it("checks against the functions' own settings in the environment", async () => {
    const env = {
      RESTORE_ROLE_ARN: RESTORE_ROLE,
      ALLOWED_BACKUP_VAULTS: 'prod-vault',
      AWS_REGION: 'eu-west-1',
    };
    const r = await runCli(['validate', '--json', file('novault.json', EBS)], { env });
    expect(r.code).toBe(1);
    expect(r.json()).toMatchObject({
      checkedAgainst: 'environment',
      notChecked: [],
      problems: ['BackupVaultName is required: this deployment restores only from the vaults prod-vault'],
    });
    const ok = await runCli(['validate', file('vault.json', { ...EBS, BackupVaultName: 'prod-vault' })], {
      env,
    });
    expect(ok.code).toBe(0);
    const broken = await runCli(['validate', file('x.json', EBS)], {
      env: { ...env, ALLOWED_RESTORE_ROLE_ARNS: 'not-a-role' },
    });
    // Settings that are not usable are not a wrong command line: their own exit code.
    expect(broken.code).toBe(6);
    expect(broken.stderr).toMatch(/ALLOWED_RESTORE_ROLE_ARNS holds "not-a-role"/);
  });

  it('reads standard input, takes a whole "Restore Requested" event, and refuses what is not JSON', async () => {
    expect((await runCli(['validate', '-'], { stdin: JSON.stringify(EBS) })).code).toBe(0);
    const event = await runCli(['validate', join(__dirname, '..', '..', 'events', 'restore-requested.json')]);
    expect(event.code).toBe(0);
    expect(event.stdout).toMatch(/an EFS restore/);
    const notJson = await runCli(['validate', '-'], { stdin: '{"RecoveryPointArn":' });
    expect(notJson.code).toBe(1);
    expect(notJson.stdout).toMatch(/not valid JSON/);
  });

  it('exits 2 on a missing file and on a wrong command line', async () => {
    const missing = await runCli(['validate', join(dir, 'nothing-here.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/There is no file .*nothing-here\.json/);
    const json = await runCli(['validate', '--json', join(dir, 'nothing-here.json')]);
    expect(json.code).toBe(2);
    expect(json.json()).toMatchObject({ error: { code: 'unreadable-file' } });
    expect((await runCli(['frobnicate'])).code).toBe(2);
    expect((await runCli(['validate'])).code).toBe(2);
    expect((await runCli(['dead-letters', '--failure', 'lost', '--local'])).code).toBe(2);
    expect((await runCli(['--help'])).code).toBe(0);
  });
});

describe('colours', () => {
  const bad = () => file('colour.json', { ...EBS, Metadata: {} });
  it('are used on a terminal', async () => {
    expect((await runCli(['validate', bad()], { tty: true })).stdout).toContain('\u001b[31m');
  });
  it('are off with NO_COLOR, --no-color, TERM=dumb, --json, or when not a terminal', async () => {
    for (const [argv, env, tty] of [
      [[], { NO_COLOR: '1' }, true],
      [['--no-color'], {}, true],
      [[], { TERM: 'dumb' }, true],
      [['--json'], {}, true],
      [[], {}, false],
    ] as const) {
      const r = await runCli([...argv, 'validate', bad()], { env, tty });
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).not.toContain('\u001b[');
    }
  });
});

describe('submit and status', () => {
  it('submits a valid request, and status shows its link, its job and the outcome', async () => {
    const p = await start();
    // An editor's `$schema` line is dropped: the pipeline would refuse it as an unknown field.
    const withSchema = { $schema: '../schema/restore-request.schema.json', ...EBS };
    const sent = await runCli([...at(p), '--json', 'submit', file('submit.json', withSchema)]);
    expect(sent.code).toBe(0);
    const { messageId, queueUrl } = sent.json();
    expect(queueUrl).toBe(p.requestQueueUrl);
    await p.runUntilIdle();
    const job = p.aws.backup.jobs[0];
    expect(p.aws.backup.jobs).toHaveLength(1);

    const status = await runCli([...at(p), '--json', 'status', job?.RestoreJobId ?? '']);
    expect(status.code).toBe(0);
    expect(status.json()).toMatchObject({
      foundBy: 'restore-job-id',
      jobs: [
        {
          restoreJobId: job?.RestoreJobId,
          link: { trigger: { type: 'sqs', id: messageId }, recoveryPointArn: POINT, resourceType: 'EBS' },
          job: { status: 'COMPLETED', resourceType: 'EBS' },
        },
      ],
    });
    const text = await runCli([...at(p), 'status', job?.RestoreJobId ?? '']);
    expect(text.stdout).toContain(`request:   sqs ${messageId}`);
    expect(text.stdout).toMatch(/COMPLETED/);
  });

  it('shows a failed job with the outcome the tracker recorded', async () => {
    const p = await start();
    await runCli([...at(p), 'submit', file('fails.json', FAILS_LATER)]);
    await p.runUntilIdle();
    const job = p.aws.backup.jobs[0];
    const status = await runCli([...at(p), '--json', 'status', job?.RestoreJobId ?? '']);
    expect(status.json().jobs[0]).toMatchObject({
      job: { status: 'FAILED', statusMessage: expect.stringMatching(/Invalid availability zone/) },
      outcome: expect.any(String),
    });
  });

  it('sends nothing when the request is refused (exit 1)', async () => {
    const p = await start();
    const r = await runCli([...at(p), 'submit', file('rogue-submit.json', ROGUE_ROLE)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Not sent\.$/m);
    await p.runUntilIdle();
    expect(p.aws.backup.jobs).toStrictEqual([]);
    expect(p.deadLetters()).toStrictEqual([]);
  });

  it('exits 3 for an unknown id: the local table has the byTriggerId index, so only "nothing found" is said', async () => {
    const p = await start();
    const r = await runCli([...at(p), '--json', 'status', 'e2b0c8f4-0000-4000-8000-000000000000']);
    expect(r.code).toBe(3);
    const notes: string[] = r.json().notes;
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/Nothing found.*dead-letters/);
  });

  it('finds a job by the message id submit printed, as submit tells you to', async () => {
    const p = await start();
    const sent = await runCli([...at(p), 'submit', file('follow.json', EBS)]);
    expect(sent.code).toBe(0);
    const follow = /follow it: restore-pipeline (status \S+)/.exec(sent.stdout)?.[1] ?? '';
    const messageId = follow.split(' ')[1] ?? '';
    await p.runUntilIdle();
    const r = await runCli([...at(p), '--json', ...follow.split(' ')]);
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({
      foundBy: 'trigger-id',
      jobs: [{ link: { trigger: { type: 'sqs', id: messageId } }, job: { status: 'COMPLETED' } }],
      notes: [],
    });
  });
});

describe('status of a refused request', () => {
  it('finds it in the dead-letter queue by its message id, and leaves it there', async () => {
    const p = await start();
    const messageId = await p.submit(ROGUE_ROLE);
    await p.runUntilIdle();
    const r = await runCli([...at(p), '--json', 'status', messageId]);
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({
      foundBy: 'none',
      jobs: [],
      deadLetters: [
        { failure: 'rejected', triggerId: messageId, reason: expect.stringMatching(/IamRoleArn/) },
      ],
    });
    expect(await visibleDeadLetters(p)).toBe(1);
    const skipped = await runCli([...at(p), 'status', '--no-dead-letters', messageId]);
    expect(skipped.code).toBe(3);
  });
});

describe('dead-letters and redrive', () => {
  async function withLetters() {
    const p = await start();
    await p.submit(ROGUE_ROLE);
    await p.submit({ ...EBS, Metadata: {} });
    await p.submit(FAILS_LATER);
    await p.runUntilIdle();
    expect(p.deadLetters()).toHaveLength(3);
    return p;
  }

  it('lists every dead letter with its failure kind, reason, age and ids, and leaves them in the queue', async () => {
    const p = await withLetters();
    const r = await runCli([...at(p), '--json', 'dead-letters']);
    expect(r.code).toBe(0);
    const out = r.json();
    expect(out.read).toBe(3);
    expect(out.counts).toStrictEqual({ rejected: 2, 'restore-job-failed': 1 });
    const byFailure = (f: string) => out.letters.filter((l: any) => l.failure === f);
    expect(
      byFailure('rejected')
        .map((l: any) => l.reason)
        .sort(),
    ).toStrictEqual([
      expect.stringMatching(/^Invalid restore request: Metadata for an EBS restore needs availabilityZone/),
      expect.stringMatching(/^Restore request refused: IamRoleArn/),
    ]);
    expect(byFailure('restore-job-failed')[0]).toMatchObject({
      kind: 'restore-dead-letter',
      triggerType: 'restore-job-event',
      restoreJobId: p.aws.backup.jobs[0]?.RestoreJobId,
      reason: expect.stringMatching(/Invalid availability zone/),
    });
    for (const l of out.letters) {
      expect(l.ageSeconds).toBeGreaterThanOrEqual(0);
      expect(l.ageSeconds).toBeLessThan(60);
      expect(l.messageId).toMatch(/^[0-9a-f-]{36}$/);
    }
    // Read, not consumed: all three are still there and visible again.
    expect(p.deadLetters()).toHaveLength(3);
    expect(await visibleDeadLetters(p)).toBe(3);

    const progress = await runCli([...at(p), '--progress', 'dead-letters']);
    expect(progress.stderr).toContain('read 3 of about 3 dead letters\n');
    expect(progress.stderr).not.toContain('\u001b[');
    const text = await runCli([...at(p), 'dead-letters', '--failure', 'rejected']);
    expect(text.stdout).toMatch(/2 dead letters \(rejected\) of 3 read: 2 rejected, 1 restore-job-failed$/m);
    expect(await visibleDeadLetters(p)).toBe(3);
  });

  it('redrives chosen letters after the cause is fixed: moved, then restored by the pipeline', async () => {
    const p = await withLetters();
    p.aws.backup.clearFailureRules();
    const dry = await runCli([...at(p), '--json', 'redrive', '--failure', 'restore-job-failed', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.json()).toMatchObject({
      dryRun: true,
      moved: [],
      chosen: [{ failure: 'restore-job-failed' }],
    });
    expect(await visibleDeadLetters(p)).toBe(3);

    const r = await runCli([...at(p), '--json', 'redrive', '--failure', 'restore-job-failed']);
    expect(r.code).toBe(0);
    const out = r.json();
    expect(out.moved).toHaveLength(1);
    expect(out.notMoved).toStrictEqual([]);
    expect(p.deadLetters()).toHaveLength(2);
    await p.runUntilIdle();
    // The pipeline recognised the dead letter and started a new job (fresh token after a failed job).
    expect(p.aws.backup.jobs.map((j) => j.Status)).toStrictEqual(['FAILED', 'COMPLETED']);
    expect(deadLetters(p).map((l) => l.failure)).toStrictEqual(['rejected', 'rejected']);
  });

  it('chooses by every failure kind a letter may carry, validation and drill cleanup included', async () => {
    const p = await withLetters();
    for (const failure of ['restore-validation-failed', 'drill-cleanup-failed']) {
      const r = await runCli([...at(p), '--json', 'dead-letters', '--failure', failure]);
      expect(r.code).toBe(0);
      expect(r.json()).toMatchObject({ read: 3, letters: [] });
    }
    const wrong = await runCli([...at(p), '--json', 'dead-letters', '--failure', 'no-such-kind']);
    expect(wrong.code).not.toBe(0);
  });

  it('redrives by id; an unknown id is reported (exit 3 when nothing else moved, 5 when some did)', async () => {
    const p = await withLetters();
    const listed = (await runCli([...at(p), '--json', 'dead-letters', '--failure', 'rejected'])).json();
    const rogue = listed.letters.find((l: any) => /IamRoleArn/.test(l.reason));
    const unknown = await runCli([...at(p), '--json', 'redrive', '--id', 'no-such-id']);
    expect(unknown.code).toBe(3);
    expect(unknown.json()).toMatchObject({ moved: [], idsNotFound: ['no-such-id'] });

    // Found by the id of the request it carries (the SQS message id of the original).
    const r = await runCli([...at(p), 'redrive', '--id', rogue.triggerId, 'no-such-id']);
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(/^moved 1 dead letter to the request queue: /);
    expect(r.stdout).toMatch(/not found no-such-id/);
    await p.runUntilIdle();
    // Still refused (nothing was fixed): back in the dead-letter queue, one redrive further on.
    const again = deadLetters(p).find((l) => /IamRoleArn/.test(l.reason));
    expect(again?.redriveCount).toBe(1);
    expect(p.deadLetters()).toHaveLength(3);
  });

  it('asks what to move, and refuses --all with a selection (exit 2)', async () => {
    const p = await start();
    const none = await runCli([...at(p), 'redrive']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/Say what to move: --id ID/);
    expect((await runCli([...at(p), 'redrive', '--all', '--failure', 'rejected'])).code).toBe(2);
  });

  it('redrive --all moves every letter with a move task to the request queue; the failed job is restored once', async () => {
    const p = await withLetters();
    p.aws.backup.clearFailureRules();
    const r = await runCli([...at(p), '--json', 'redrive', '--all']);
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({
      status: 'COMPLETED',
      moved: 3,
      toMove: 3,
      taskHandle: expect.any(String),
    });
    await p.runUntilIdle();
    // The pipeline took each letter back as it arrived: the failed job's letter restores once; the two refused requests are refused again.
    expect(p.aws.backup.jobs.map((j) => j.Status)).toStrictEqual(['FAILED', 'COMPLETED']);
    expect(deadLetters(p).map((l) => [l.failure, l.redriveCount])).toStrictEqual([
      ['rejected', 1],
      ['rejected', 1],
    ]);

    // A second move while one runs is refused by SQS (one active task per queue); the CLI says so.
    const started = await runCli([...at(p), 'redrive', '--all', '--no-wait', '--rate', '1']);
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(
      /^move task started \(\S+\); follow it with: aws sqs list-message-move-tasks/,
    );
    const second = await runCli([...at(p), 'redrive', '--all']);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(/Only one active task/);
  });
});

describe('reaching the deployment', () => {
  it('explains a local endpoint that is not running (exit 4)', async () => {
    const r = await runCli(['--endpoint-url', 'http://127.0.0.1:9', 'dead-letters']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /nothing answers at the local endpoint http:\/\/127\.0\.0\.1:9\. Start the local stack with `npm run serve`/,
    );
  });

  it('asks for a Region, and for a deployment (exit 2)', async () => {
    const noRegion = await runCli(['--stage', 'prod', 'dead-letters']);
    expect(noRegion.code).toBe(2);
    expect(noRegion.stderr).toMatch(/Say which Region/);
    const noStack = await runCli(['--region', 'eu-west-1', 'dead-letters'], {
      env: { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' },
    });
    expect(noStack.code).toBe(2);
    expect(noStack.stderr).toMatch(/Say which deployment: --stage NAME/);
  });
});
