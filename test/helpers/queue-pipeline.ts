/**
 * The request queue's pipeline on fakes (the attack campaign's and the recovery tests') (no sockets): the queue handler, the job table (dynalite
 * in process), AWS Backup in memory, and the letters sent. What an attacker who can only send to
 * the request queue can do is `send`; bad luck is the table's faults.
 */

import type { SQSEvent } from 'aws-lambda';
import { createHandler } from '../../handlers/restore-from-queue';
import type { DeadLetter } from '../../src/letters/dead-letters';
import { runEvent } from '../../src/runner/run-item';
import { fakeBackup, fakeJobTable, type TableFaults } from './fake-aws';
import { context, loadEvent, ROLE, sqsRecord, testConfig, testDeps } from './fixtures';

export const TABLE = 'jobs';
/** The tests' now (testDeps). */
export const NOW = new Date('2026-11-26T12:00:00.000Z');
export const VOLUME = (n: number) => `vol-0c3d4e5f6a7b8c${String(n).padStart(3, '0')}`;
export const VOLUME_ARN = (n: number) => `arn:aws:ec2:eu-west-1:123456789012:volume/${VOLUME(n)}`;

type AlarmEvent = {
  source?: string;
  time: string;
  resources: string[];
  detail: Record<string, unknown> & {
    alarmName: string;
    state: { timestamp: string };
    configuration: { metrics: { metricStat: { metric: { dimensions: Record<string, string> } } }[] };
  };
};

/** The EBS alarm sample, renamed `name`, guarding volume `n`; `change` edits the event. */
export function alarmEvent(name: string, n: number, change: (e: AlarmEvent) => void = () => {}) {
  const event = loadEvent<AlarmEvent>('alarm-ebs-volume.json');
  event.detail.alarmName = name;
  event.resources = [`arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}`];
  const metric = event.detail.configuration.metrics[0]?.metricStat.metric;
  if (metric !== undefined) metric.dimensions = { VolumeId: VOLUME(n) };
  change(event);
  return event;
}

/** An event in the envelope that brings it to the request queue (Lambda's on-failure record, redriven). */
export const onFailureRecord = (event: unknown) =>
  JSON.stringify({ requestContext: {}, requestPayload: event, responseContext: {}, responsePayload: {} });

const tables: { destroy(): void }[] = [];
/** Stops the tables the tests made (call in afterEach). */
export function stopTables() {
  for (const table of tables.splice(0)) table.destroy();
}

/** A pipeline on fakes restoring `type` points with `stored` metadata. */
export async function pipeline(
  faults: TableFaults = {},
  type = 'EBS',
  stored: Record<string, string> = { availabilityZone: 'eu-west-1a' },
) {
  const ddb = await fakeJobTable(TABLE, faults);
  tables.push(ddb);
  const backup = fakeBackup(type, stored);
  // Every point is in the vault Default (the fake lists one point per resource there).
  const backupSend = backup.send.bind(backup);
  // and every job is the pipeline's (its role), created at the tests' now.
  backup.send = (async (command: Parameters<typeof backupSend>[0]) => {
    if (command.constructor.name === 'DescribeRecoveryPointCommand') return { BackupVaultName: 'Default' };
    const out = (await backupSend(command)) as { RestoreJobs?: object[] };
    if (command.constructor.name !== 'ListRestoreJobsByProtectedResourceCommand') return out;
    const listed = (out.RestoreJobs ?? []).map((j) => ({ ...j, IamRoleArn: ROLE, CreationDate: NOW }));
    return { ...out, RestoreJobs: listed };
  }) as typeof backup.send;
  const letters: DeadLetter[] = [];
  const sqs = {
    send: async (command: { input: { MessageBody?: string } }) => {
      letters.push(JSON.parse(command.input.MessageBody ?? '{}') as DeadLetter);
      return { MessageId: `letter-${letters.length}` };
    },
  };
  const deps = testDeps({
    ddb,
    backup,
    sqs: async () => sqs as never,
    config: testConfig({ RESTORE_JOBS_TABLE: TABLE, ALLOWED_BACKUP_VAULTS: 'Default' }),
  });
  const handler = createHandler(deps);
  let messages = 0;
  /** Sends `bodies` as one batch, and delivers again what it gave back, until none or receive 5. */
  const send = async (...bodies: readonly string[]) => {
    let batch = bodies.map((body) => ({ body, id: `m-${++messages}`, receive: 1 }));
    while (batch.length > 0) {
      const event: SQSEvent = { Records: batch.map((m) => sqsRecord(m.body, m.id, m.receive)) };
      const out = (await handler(event, context)) as { batchItemFailures: { itemIdentifier: string }[] };
      const failed = new Set(out.batchItemFailures.map((f) => f.itemIdentifier));
      batch = batch
        .filter((m) => failed.has(m.id) && m.receive < 5)
        .map((m) => ({ ...m, receive: m.receive + 1 }));
    }
  };
  /** Thrown by `alarm`'s last attempt (what Lambda would hand its on-failure destination). */
  const unsent: unknown[] = [];
  /** Delivers `event` as the alarm rule does: an asynchronous invocation, tried up to 3 times. */
  const alarm = async (event: unknown) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await runEvent(deps, event as { id?: unknown });
      } catch (error) {
        if (attempt === 3) unsent.push(error);
        if (attempt === 3) return undefined;
      }
    }
  };
  return { ddb, backup, letters, send, alarm, unsent, deps, handler };
}
