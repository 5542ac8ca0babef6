/**
 * Make-ready end to end on the local endpoint, through the real makeReady handler and SDK clients:
 * an Aurora cluster restored without instances gets one like its source's writer, and a DynamoDB
 * table restored with point-in-time recovery, stream and TTL off gets its source's back. Each
 * shows completed -> ready, its time and the diff against its source, from its `<jobId>#ready` record.
 */

import { DescribeRestoreJobCommand } from '@aws-sdk/client-backup';
import { createHandler, type MakeReadyDeps } from '../handlers/make-ready.js';
import { loadConfig } from '../src/checks/config.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { readReadyRecord } from '../src/table/ready.js';
import { type LocalAws, startLocalAws } from './endpoint.js';
import { lambdaContext } from './event-source.js';
import type { FaultPlan } from './faults.js';
import { MAKE_READY_PATTERN } from './make-ready-rule.js';
import { defaultSeed, restoreJobEvent } from './pipeline.js';
import { tableSettings } from './resources/dynamodb-control.js';
import { addRdsGroup, setInstanceClass } from './resources/rds.js';
import { localRequestSettings } from './settings.js';
import { setUpValidation, startLinkedRestore, type ValidationSetup } from './setup.js';
import { sleep } from './time.js';

const AURORA_POINT =
  'arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:awsbackup:job-0b1c2d3e-3333-4e8f-9a6b-1c2d3e4f5a6b';
const TABLE_POINT = 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/backup/01732617600000-a1b2c3d4';

/**
 * The sources as they run: the Aurora cluster with its writer and their own parameter groups (a
 * restore gets the engine's defaults), the table with its settings on.
 */
function seedSources(aws: LocalAws, account: string, region: string): void {
  const store = aws.resources.store;
  addRdsGroup(store, 'cluster-pg', 'ledger-cluster-params');
  addRdsGroup(store, 'pg', 'ledger-writer-params');
  const writer = store.put({
    kind: 'db',
    id: 'ledger-aurora-1',
    arn: `arn:aws:rds:${region}:${account}:db:ledger-aurora-1`,
    engine: 'aurora-postgresql',
    parameterGroup: 'ledger-writer-params',
    createdAt: 0,
  });
  setInstanceClass(writer, 'db.r6g.large');
  store.put({
    kind: 'cluster',
    id: 'ledger-aurora',
    arn: `arn:aws:rds:${region}:${account}:cluster:ledger-aurora`,
    engine: 'aurora-postgresql',
    members: ['ledger-aurora-1'],
    clusterParameterGroup: 'ledger-cluster-params',
    deletionProtection: true,
    tags: { team: 'ledger' },
    createdAt: 0,
  });
  const table = store.put({
    kind: 'table',
    id: 'orders',
    arn: `arn:aws:dynamodb:${region}:${account}:table/orders`,
    deletionProtection: true,
    tags: { team: 'orders' },
    items: 3,
    createdAt: 0,
  });
  Object.assign(tableSettings(table), {
    pitr: true,
    streamViewType: 'NEW_AND_OLD_IMAGES',
    ttlAttribute: 'expiresAt',
  });
}

/** The handler's dependencies on the local endpoint. */
export function readyDeps(setup: ValidationSetup, region: string): MakeReadyDeps {
  const config = loadConfig({
    ...localRequestSettings(),
    AWS_REGION: region,
    DEAD_LETTER_QUEUE_URL: setup.dlqUrl,
    RESTORE_JOBS_TABLE: setup.table,
  });
  return {
    config,
    backup: setup.backup,
    sqs: async () => setup.sqs,
    ddb: setup.ddb,
    rds: () => setup.resources.rds,
    ec2: () => setup.resources.ec2,
    efs: () => setup.resources.efs,
    logger: createLogger({ sink: () => undefined }),
    metrics: createMetrics(() => undefined),
    now: () => new Date(),
    pollMs: 100,
  };
}

/**
 * makeReady on the bus as deployed: AWS Backup's event reaches it through its rule's pattern, with
 * Lambda's asynchronous delivery (the first try and two retries, then the on-failure destination).
 */
function asyncDelivery(aws: LocalAws, handler: ReturnType<typeof createHandler>) {
  const runs: Promise<unknown>[] = [];
  aws.events.addRule({
    name: 'makeReady',
    pattern: MAKE_READY_PATTERN,
    target: (event) => runs.push(handler(event as never, lambdaContext('makeReady', 900_000))),
  });
  return async (event: unknown): Promise<unknown> => {
    for (let attempt = 1; ; attempt++) {
      runs.length = 0;
      aws.events.publish(event as never);
      try {
        const [outcome = 'not delivered'] = await Promise.all(runs);
        return outcome;
      } catch (error) {
        if (attempt >= 3) return `on-failure destination (${(error as Error).name})`;
      }
    }
  };
}

/** Runs the demo; prints each restore's way to ready. */
export async function readyDemo(
  out: (line: string) => void = (line) => console.log(line),
  options: { faults?: FaultPlan; random?: () => number } = {},
) {
  const seed = { ...defaultSeed(), timing: { runningAfterMs: 50, doneAfterMs: 200 } };
  const aws = await startLocalAws({
    seed,
    resourceTiming: { availableAfterMs: 400, updatingMs: 100 },
    ...(options.random === undefined ? {} : { random: options.random }),
  });
  const setup = await setUpValidation(aws.url, seed.region).catch(async (error: unknown) => {
    await aws.close();
    throw error;
  });
  try {
    seedSources(aws, seed.accountId, seed.region);
    // Faults reach the steps' calls only: the setup above is not under test.
    if (options.faults !== undefined) aws.faults.set(options.faults);
    const deliver = asyncDelivery(aws, createHandler(readyDeps(setup, seed.region)));
    const role = `arn:aws:iam::${seed.accountId}:role/service-role/AWSBackupDefaultServiceRole`;
    const restore = async (label: string, type: string, point: string, metadata: Record<string, string>) => {
      const request = { RecoveryPointArn: point, ResourceType: type, Metadata: metadata };
      const input = { ...request, IamRoleArn: role };
      const id = await startLinkedRestore(setup, request, input, {
        type: 'sqs',
        id: `ready-${label}`,
        attempt: 1,
      });
      let job = await setup.backup.send(new DescribeRestoreJobCommand({ RestoreJobId: id }));
      while (job.Status !== 'COMPLETED' && job.Status !== 'FAILED') {
        await sleep(50);
        job = await setup.backup.send(new DescribeRestoreJobCommand({ RestoreJobId: id }));
      }
      const local = aws.backup.jobs.find((j) => j.RestoreJobId === id);
      if (local === undefined) throw new Error(`No local job ${id}`);
      out(`  ${label}: restore job ${id} COMPLETED: ${job.CreatedResourceArn}`);
      const outcome = await deliver(restoreJobEvent(local, false));
      const record = await readReadyRecord(setup.ddb, setup.table, id);
      out(
        `    completed -> ${outcome}${record?.readySeconds === undefined ? '' : ` in ${record.readySeconds.toFixed(1)} s`}`,
      );
      for (const s of record?.steps ?? []) out(`    step ${s.step}: ${s.status}`);
      for (const d of record?.diff ?? []) out(`    still differs: ${d.setting} (${d.why})`);
      return record;
    };
    out('');
    out('Make-ready (restored copies brought to their source settings):');
    const aurora = await restore('aurora', 'Aurora', AURORA_POINT, {
      dbClusterIdentifier: 'ledger-aurora-restored',
      engine: 'aurora-postgresql',
    });
    const cluster = aws.resources.store.get('cluster', 'ledger-aurora-restored');
    const members = cluster?.members ?? [];
    out(`    instances now: ${members.join(', ') || 'none'}`);
    const writer = members[0] === undefined ? undefined : aws.resources.store.get('db', members[0]);
    out(
      `    parameter groups now: cluster ${cluster?.clusterParameterGroup ?? 'the default'}, writer ${writer?.parameterGroup ?? 'the default'}`,
    );
    const table = await restore('dynamodb', 'DynamoDB', TABLE_POINT, { targetTableName: 'orders-restored' });
    const copy = aws.resources.store.get('table', 'orders-restored');
    if (copy !== undefined) {
      const s = tableSettings(copy);
      out(
        `    PITR ${s.pitr ? 'on' : 'off'}, stream ${s.streamViewType ?? 'off'}, TTL ${s.ttlAttribute ?? 'off'}`,
      );
    }
    return { aurora, table };
  } finally {
    setup.destroy();
    await aws.close();
  }
}
