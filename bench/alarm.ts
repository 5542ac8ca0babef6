/**
 * "Alarm to job accepted": wall time of the real alarm handler for one alarm, against a bare
 * sequence of the three calls a restore needs (ListRecoveryPointsByResource,
 * GetRecoveryPointRestoreMetadata, StartRestoreJob), every AWS Backup and SQS call answering in
 * 100 ms and DynamoDB in 10 ms. Both run in this process against the local endpoint, in turn.
 */

import {
  BackupClient,
  GetRecoveryPointRestoreMetadataCommand,
  ListRecoveryPointsByResourceCommand,
  StartRestoreJobCommand,
} from '@aws-sdk/client-backup';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type AlarmStateChange, createHandler } from '../handlers/restore-on-alarm.js';
import { DYNAMODB_OPERATIONS, startLocalAws } from '../local/endpoint.js';
import type { FaultPlan } from '../local/faults.js';
import { defaultSeed, OPERATOR_ROLE, RESTORE_ROLE } from '../local/pipeline.js';
import { createRestoreJobsTable } from '../local/setup.js';
import { depsFromEnv } from '../src/wiring/restore.js';
import { type Paired, runPaired } from './stats.js';

/** AWS Backup and SQS calls answer in 100 ms, DynamoDB calls in 10 ms. */
export const BACKUP_LATENCY_MS = 100;
export const DYNAMODB_LATENCY_MS = 10;

/** The fault plan of this measure: latency only, per operation. */
export const ALARM_LATENCIES: FaultPlan = {
  '*': { latencyMs: BACKUP_LATENCY_MS },
  ...Object.fromEntries([...DYNAMODB_OPERATIONS].map((op) => [op, { latencyMs: DYNAMODB_LATENCY_MS }])),
};

/** The resource the alarm guards: an RDS instance of the default seed. */
const ALARM_NAME = 'restore-billing-db-corruption';
const RESOURCE_ARN = 'arn:aws:rds:eu-west-1:123456789012:db:billing-db';
/** The vault of its recovery point in the default seed. */
const BASELINE_VAULT = 'Default';

/** One AWS call as the handler's SDK clients made it, in ms from the start of the invocation. */
export interface CallSpan {
  service: 'backup' | 'dynamodb';
  operation: string;
  startMs: number;
  endMs: number;
}

/** The result of the measure. */
export interface AlarmResult {
  paired: Paired;
  /** Every call of one traced invocation, in start order, and its wall time. */
  trace: { calls: CallSpan[]; totalMs: number };
}

let sequence = 0;

/** An alarm going into ALARM now: each one is a new transition (a new idempotency token). */
export function alarmEvent(): AlarmStateChange {
  sequence += 1;
  const at = new Date(Date.now() + sequence).toISOString();
  return {
    version: '0',
    id: `bench-alarm-${process.pid}-${sequence}`,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: '123456789012',
    time: at,
    region: 'eu-west-1',
    resources: [`arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${ALARM_NAME}`],
    detail: {
      alarmName: ALARM_NAME,
      state: { value: 'ALARM', timestamp: at },
      previousState: { value: 'OK', timestamp: at },
      configuration: {
        metrics: [
          {
            id: 'm1',
            metricStat: {
              metric: {
                namespace: 'AWS/RDS',
                name: 'FreeStorageSpace',
                dimensions: { DBInstanceIdentifier: 'billing-db' },
              },
            },
          },
        ],
      },
    },
  };
}

type Stack = BackupClient['middlewareStack'];

/** True for the StartRestoreJob pacer's budget item (its key starts with `pace#`). */
const isSlot = (args: unknown) => {
  const input = (args as { input?: { Item?: Key; Key?: Key } }).input;
  return (input?.Key ?? input?.Item)?.restoreJobId?.S?.startsWith('pace#') === true;
};
type Key = { restoreJobId?: { S?: string } };

/** Records every call `client` makes (from the SDK's first step to its answer) into `sink`. */
function traceCalls(
  client: BackupClient | DynamoDBClient,
  service: CallSpan['service'],
  sink: () => { calls: CallSpan[]; t0: number } | undefined,
): void {
  (client.middlewareStack as unknown as Stack).add(
    (next, context) => async (args) => {
      const trace = sink();
      const start = performance.now();
      try {
        return await next(args);
      } finally {
        trace?.calls.push({
          service,
          operation: `${(context.commandName ?? 'unknown').replace(/Command$/, '')}${isSlot(args) ? ' (pacing budget)' : ''}`,
          startMs: start - trace.t0,
          endMs: performance.now() - trace.t0,
        });
      }
    },
    { step: 'initialize', name: 'benchCallTrace' },
  );
}

/** Records the budget item's calls of any DynamoDB client into `sink`; returns the undo. */
function tracePacerCalls(sink: () => { calls: CallSpan[]; t0: number } | undefined): () => void {
  const proto = DynamoDBClient.prototype as unknown as { send: (command: unknown) => Promise<unknown> };
  const send = proto.send;
  proto.send = async function (this: unknown, command: unknown) {
    const trace = isSlot(command) ? sink() : undefined;
    const start = performance.now();
    try {
      return await send.call(this, command);
    } finally {
      trace?.calls.push({
        service: 'dynamodb',
        operation: `${(command as object).constructor.name.replace(/Command$/, '')} (pacing budget)`,
        startMs: start - trace.t0,
        endMs: performance.now() - trace.t0,
      });
    }
  };
  return () => {
    proto.send = send;
  };
}

/** The alarm function's environment against the local endpoint; with or without its vault. */
function alarmEnv(url: string, deadLetterQueueUrl: string, vaultKnown: boolean): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: url,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    DEAD_LETTER_QUEUE_URL: deadLetterQueueUrl,
    RESTORE_ROLE_ARN: RESTORE_ROLE,
    ALLOWED_RESTORE_ROLE_ARNS: `${RESTORE_ROLE},${OPERATOR_ROLE}`,
    RESTORE_JOBS_TABLE: 'bench-alarm-jobs',
    ...(vaultKnown
      ? {
          ALARM_TARGETS: JSON.stringify({
            [ALARM_NAME]: { resourceArn: RESOURCE_ARN, backupVaultName: BASELINE_VAULT },
          }),
        }
      : {}),
  };
}

/** The bare calls an alarm needs (search, metadata, start) with the raw SDK: ms to the job. */
async function bareAlarmSequence(client: BackupClient, n: number): Promise<number> {
  const t0 = performance.now();
  const page = await client.send(new ListRecoveryPointsByResourceCommand({ ResourceArn: RESOURCE_ARN }));
  const point = (page.RecoveryPoints ?? [])
    .filter((p) => p.Status === 'COMPLETED')
    .sort((a, b) => (b.CreationDate?.getTime() ?? 0) - (a.CreationDate?.getTime() ?? 0))[0];
  const stored = await client.send(
    new GetRecoveryPointRestoreMetadataCommand({
      // AWS returns BackupVaultName from this list only for EFS and EC2 points: the bare
      // sequence is given the vault (as an operator who knows it); the alarm searches for it.
      BackupVaultName: point?.BackupVaultName ?? BASELINE_VAULT,
      RecoveryPointArn: point?.RecoveryPointArn,
    }),
  );
  const { RestoreJobId } = await client.send(
    new StartRestoreJobCommand({
      RecoveryPointArn: point?.RecoveryPointArn,
      Metadata: { ...stored.RestoreMetadata, DBInstanceIdentifier: `billing-db-b${process.pid}-${n}` },
      IamRoleArn: RESTORE_ROLE,
      ResourceType: stored.ResourceType,
      IdempotencyToken: `bench-alarm-baseline-${process.pid}-${n}`,
    }),
  );
  const ms = performance.now() - t0;
  if (RestoreJobId === undefined) throw new Error('The bare sequence started no job');
  return ms;
}

/**
 * Runs `pairs` pairs (alarm handler, bare sequence) after a warm-up of each; traces one more.
 * With `vaultKnown`, the alarm's target names the vault (ALARM_TARGETS' backupVaultName), as the
 * bare sequence knows it; without, the alarm finds the vault by searching every vault, as it must
 * on AWS for an RDS point when no vault is configured.
 */
export async function alarmToJob(pairs: number, vaultKnown = true): Promise<AlarmResult> {
  const aws = await startLocalAws({
    // Jobs end at once: each alarm finds no restore of the resource running, the usual case.
    seed: { ...defaultSeed(), timing: { runningAfterMs: 1, doneAfterMs: 2 } },
  });
  const saved = { ...process.env };
  const setup = {
    region: 'eu-west-1',
    endpoint: aws.url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const sqs = new SQSClient(setup);
  const ddb = new DynamoDBClient(setup);
  const baselineClient = new BackupClient(setup);
  let trace: { calls: CallSpan[]; t0: number } | undefined;
  let deps: ReturnType<typeof depsFromEnv> | undefined;
  let restoreSend: () => void = () => undefined;
  try {
    const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: 'bench-alarm-dead-letters' }))).QueueUrl;
    await createRestoreJobsTable(ddb, 'bench-alarm-jobs');
    const env = alarmEnv(aws.url, dlq ?? '', vaultKnown);
    // The SDK clients take their endpoint and credentials from the process environment.
    Object.assign(process.env, env);
    deps = depsFromEnv(env, () => undefined);
    traceCalls(deps.backup, 'backup', () => trace);
    traceCalls(deps.ddb, 'dynamodb', () => trace);
    // The pacer has a client of its own (src/wiring/restore.ts), out of reach of Deps: its calls are
    // traced where every DynamoDB client sends.
    restoreSend = tracePacerCalls(() => trace);
    const handler = createHandler(deps);
    const context = {
      functionName: 'restoreOnAlarm',
      awsRequestId: 'bench',
      getRemainingTimeInMillis: () => 30_000,
    } as never;

    aws.faults.set(ALARM_LATENCIES);
    const candidate = async () => {
      const t0 = performance.now();
      const outcome = await handler(alarmEvent(), context);
      const ms = performance.now() - t0;
      if (outcome?.status !== 'started')
        throw new Error(`The alarm started no job: ${JSON.stringify(outcome)}`);
      return ms;
    };
    let n = 0;
    const baseline = () => {
      n += 1;
      return bareAlarmSequence(baselineClient, n);
    };

    // Warm-up: connections, credentials and the code paths of both sides.
    await runPaired(2, candidate, baseline);
    const paired = await runPaired(pairs, candidate, baseline);

    trace = { calls: [], t0: performance.now() };
    const totalMs = await candidate();
    const calls = [...trace.calls].sort((a, b) => a.startMs - b.startMs);
    trace = undefined;
    return { paired, trace: { calls, totalMs } };
  } finally {
    restoreSend();
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    baselineClient.destroy();
    deps?.backup.destroy();
    deps?.ddb.destroy();
    sqs.destroy();
    ddb.destroy();
    await aws.close();
  }
}

/**
 * The calls one after another on the critical path: each call that starts only after the one
 * before it ended (a call that overlaps another is shown with it).
 */
export function criticalPath(calls: readonly CallSpan[]): string[][] {
  const steps: { end: number; names: string[] }[] = [];
  for (const call of [...calls].sort((a, b) => a.startMs - b.startMs)) {
    const last = steps.at(-1);
    if (last !== undefined && call.startMs < last.end) {
      last.names.push(call.operation);
      last.end = Math.max(last.end, call.endMs);
    } else steps.push({ end: call.endMs, names: [call.operation] });
  }
  return steps.map((s) => s.names);
}
