/**
 * The walk of one event through src/ (docs/development.md#the-walk): every call from one file
 * into another, in order, for an alarm restored and for a queued request by recovery point. The
 * data path reads arrival -> checks -> plan -> act -> outcome, the runner above them; the walk
 * says where a request goes back to a step it has left, and which step files it enters twice.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GetRecoveryPointRestoreMetadataCommand,
  ListBackupVaultsCommand,
  ListRecoveryPointsByBackupVaultCommand,
  ListRecoveryPointsByResourceCommand,
  ListRestoreJobsByProtectedResourceCommand,
  StartRestoreJobCommand,
} from '@aws-sdk/client-backup';
import { type Entry, summarize, traceSourceModules, twoWayFolders, type WalkSummary } from '../helpers/walk';

// Registered before anything of src/ is loaded: every module of src/ below is its traced copy.
const entries = traceSourceModules();
const { mockAws, restoreAws } = require('../helpers/mocks') as typeof import('../helpers/mocks');
const { context, loadEvent, sqsRecord } =
  require('../helpers/fixtures') as typeof import('../helpers/fixtures');

const VOLUME = 'arn:aws:ec2:eu-west-1:123456789012:volume/vol-0c3d4e5f6a7b8c9d0';
const SNAPSHOT = 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718';

/** AWS Backup answering one EBS volume's restore: one vault, one point, its metadata, a job. */
function backupOfOneVolume() {
  const mocks = mockAws();
  const point = {
    RecoveryPointArn: SNAPSHOT,
    BackupVaultName: 'Default',
    Status: 'COMPLETED' as const,
    CreationDate: new Date('2026-11-26T09:00:00Z'),
    ResourceArn: VOLUME,
  };
  mocks.backup.on(ListRestoreJobsByProtectedResourceCommand).resolves({ RestoreJobs: [] });
  mocks.backup.on(ListBackupVaultsCommand).resolves({ BackupVaultList: [{ BackupVaultName: 'Default' }] });
  mocks.backup.on(ListRecoveryPointsByResourceCommand).resolves({ RecoveryPoints: [point] });
  mocks.backup.on(ListRecoveryPointsByBackupVaultCommand).resolves({ RecoveryPoints: [point] });
  mocks.backup
    .on(GetRecoveryPointRestoreMetadataCommand)
    .resolves({ RestoreMetadata: { availabilityZone: 'eu-west-1a', volumeType: 'gp3' } });
  mocks.backup.on(StartRestoreJobCommand).resolves({ RestoreJobId: 'job-1' });
  return mocks;
}

/** The entries recorded while `run` runs. */
async function walkOf(run: () => Promise<unknown>): Promise<Entry[]> {
  const before = entries.length;
  await run();
  return entries.slice(before);
}

/** The row of docs/development.md's walk table named `walk`: back-steps, files entered twice, crossings. */
function documented(walk: string): number[] {
  const page = readFileSync(join(__dirname, '..', '..', 'docs', 'development.md'), 'utf8');
  const line = page.split('\n').find((l) => l.startsWith(`| ${walk} |`)) ?? '';
  return line
    .split('|')
    .slice(2, 5)
    .map((cell) => Number(cell.trim()));
}

/** What the walk table says of a walk. */
const counted = (walk: WalkSummary) => [
  walk.backSteps.length,
  Object.keys(walk.revisited).length,
  walk.crossings,
];

/**
 * A restore by resource, from the runner on: planned (plan/, its reads alongside act/'s guard, so
 * its calls are recorded after the runner's call into act/), then started.
 */
const PLANNED_THEN_STARTED = [
  'src/runner/dispatch.ts -> src/plan/resource-restore.ts planResourceRestore',
  'src/runner/dispatch.ts -> src/act/restore-resource.ts restoreByResource',
  'src/plan/resource-restore.ts -> src/plan/window.ts windowOf',
  'src/plan/resource-restore.ts -> src/plan/recovery-point.ts chooseRecoveryPoint',
  'src/plan/resource-restore.ts -> src/plan/metadata.ts restoredMetadata',
  'src/plan/resource-restore.ts -> src/plan/start-input.ts plannedStart',
  'src/act/restore-resource.ts -> src/act/restore-point.ts startRestoreOfPoint',
];

afterEach(restoreAws);

describe('the walk of one event', () => {
  it('an alarm restored: the calls into each step, in order', async () => {
    const mocks = backupOfOneVolume();
    const { createHandler } = require('../../handlers/restore-on-alarm');
    const handler = createHandler(mocks.deps);
    const walk = await walkOf(async () => {
      await expect(handler(loadEvent('alarm-ebs-volume.json'), context)).resolves.toMatchObject({
        status: 'started',
        restoreJobId: 'job-1',
      });
    });
    // The alarm is checked in one call, then planned and started, each step file entered once.
    // The plan (plan/resource-restore.ts: the search, the choice, the stored metadata) runs
    // alongside act/'s guard and claim, so its calls come after the runner has called act/; each
    // is made from plan/ itself (docs/performance.md: the reads run alongside the claim).
    expect(summarize(walk)).toStrictEqual({
      steps: [
        'src/runner/run-item.ts -> src/arrival/decode.ts arriveFromEvent',
        'src/runner/run-item.ts -> src/arrival/secrets.ts namedSecretsOf',
        'src/runner/dispatch.ts -> src/checks/alarm.ts checkAlarm',
        'src/checks/alarm.ts -> src/checks/alarm-target.ts alarmTarget',
        'src/checks/alarm.ts -> src/checks/policy.ts checkTargetPolicy',
        'src/checks/alarm.ts -> src/checks/result.ts combine',
        'src/runner/dispatch.ts -> src/plan/token.ts deriveIdempotencyToken',
        ...PLANNED_THEN_STARTED,
        'src/runner/run-item.ts -> src/outcome/redrives.ts settleRedrive',
      ],
      backSteps: [],
      revisited: {},
      crossings: 81,
    });
    expect(documented('alarm, now')).toStrictEqual(counted(summarize(walk)));
  });

  it('a queued request by recovery point: the calls into each step, in order', async () => {
    const mocks = backupOfOneVolume();
    const { createHandler } = require('../../handlers/restore-from-queue');
    const handler = createHandler(mocks.deps);
    const body = JSON.stringify({
      RecoveryPointArn: SNAPSHOT,
      ResourceType: 'EBS',
      Metadata: { availabilityZone: 'eu-west-1a' },
    });
    const walk = await walkOf(async () => {
      await expect(handler({ Records: [sqsRecord(body, 'm-1')] }, context)).resolves.toStrictEqual({
        batchItemFailures: [],
      });
    });
    expect(mocks.backup.commandCalls(StartRestoreJobCommand)).toHaveLength(1);
    // arrival -> checks -> plan -> act -> outcome, each step file entered once.
    expect(summarize(walk)).toStrictEqual({
      steps: [
        'src/runner/run-item.ts -> src/arrival/decode.ts arriveFromSqs',
        'src/arrival/decode.ts -> src/arrival/redriven.ts unwrapRedriven',
        'src/arrival/decode.ts -> src/arrival/original.ts originalBody',
        'src/runner/run-item.ts -> src/arrival/secrets.ts namedSecretsOf',
        'src/runner/dispatch.ts -> src/checks/redriven.ts checkRedriven',
        'src/runner/dispatch.ts -> src/checks/request.ts parseArrivedRequest',
        'src/checks/request.ts -> src/checks/shape.ts checkShape',
        'src/checks/request.ts -> src/checks/policy.ts requestPolicyVerdicts',
        'src/checks/request.ts -> src/checks/type-rules.ts checkTypeRules',
        'src/checks/request.ts -> src/checks/result.ts combine',
        'src/runner/dispatch.ts -> src/plan/start-input.ts plannedStart',
        'src/plan/start-input.ts -> src/plan/token.ts deriveIdempotencyToken',
        'src/runner/dispatch.ts -> src/act/restore-point.ts startRestoreOfPoint',
        'src/runner/run-item.ts -> src/outcome/redrives.ts settleRedrive',
      ],
      backSteps: [],
      revisited: {},
      crossings: 53,
    });
    expect(documented('queued request, now')).toStrictEqual(counted(summarize(walk)));
  });
});

describe('the walk of one event, by resource', () => {
  it('a queued request by resource: planned, then started, each step file entered once', async () => {
    const mocks = backupOfOneVolume();
    const { createHandler } = require('../../handlers/restore-from-queue');
    const handler = createHandler(mocks.deps);
    const body = JSON.stringify({ ResourceArn: VOLUME });
    const walk = await walkOf(async () => {
      await expect(handler({ Records: [sqsRecord(body, 'm-2')] }, context)).resolves.toStrictEqual({
        batchItemFailures: [],
      });
    });
    expect(mocks.backup.commandCalls(StartRestoreJobCommand)).toHaveLength(1);
    const summary = summarize(walk);
    expect(summary.backSteps).toStrictEqual([]);
    expect(summary.revisited).toStrictEqual({});
    expect(summary.steps.filter((s) => / src\/(plan|act)\//.test(s))).toStrictEqual([
      'src/runner/dispatch.ts -> src/plan/token.ts deriveIdempotencyToken',
      ...PLANNED_THEN_STARTED,
    ]);
  });
});

describe('summarize', () => {
  it('names the calls that go back: to an earlier step, from a helper below, or by the runner', () => {
    const e = (from: string, to: string): Entry => ({ from, to, fn: 'f' });
    expect(
      summarize([
        e('src/runner/run-item.ts', 'src/arrival/decode.ts'),
        e('src/runner/dispatch.ts', 'src/plan/p.ts'),
        e('src/plan/p.ts', 'src/checks/c.ts'),
        e('src/runner/dispatch.ts', 'src/checks/c.ts'),
        e('src/table/links.ts', 'src/act/a.ts'),
        e('src/act/a.ts', 'src/json.ts'),
      ]),
    ).toStrictEqual({
      steps: [
        'src/runner/run-item.ts -> src/arrival/decode.ts f',
        'src/runner/dispatch.ts -> src/plan/p.ts f',
        'src/plan/p.ts -> src/checks/c.ts f',
        'src/runner/dispatch.ts -> src/checks/c.ts f',
        'src/table/links.ts -> src/act/a.ts f',
      ],
      backSteps: [
        'src/plan/p.ts -> src/checks/c.ts f',
        'src/runner/dispatch.ts -> src/checks/c.ts f',
        'src/table/links.ts -> src/act/a.ts f',
      ],
      revisited: { 'src/checks/c.ts': 2 },
      crossings: 6,
    });
  });
});

describe('the direction of src/', () => {
  it('has no two folders that import each other (type imports included)', () => {
    expect(twoWayFolders()).toStrictEqual([]);
  });

  it('finds a two-way pair when there is one', () => {
    const files = {
      'src/a/x.ts': "import type { Y } from '../b/y.js';",
      'src/b/y.ts': "import { x } from '../a/x.js';",
      'src/b/z.ts': "import { w } from '../w.js';",
    };
    expect(twoWayFolders(files)).toStrictEqual([
      'a <-> b: src/a/x.ts -> ../b/y.js | src/b/y.ts -> ../a/x.js',
    ]);
  });
});
