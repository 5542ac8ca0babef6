/**
 * `npm run chaos`: the fault campaign. Drives requests through the whole local pipeline (queue and
 * EventBridge paths, local triggers, real handlers, local endpoint) while faults hit a third of the
 * calls, runs until the queues drain, and accounts for every request exactly once: its restore job
 * started once, or it is in the dead-letter queue with a reason. Zero lost, zero duplicates.
 *
 *   npm run chaos                      2,000 requests
 *   npm run chaos -- --requests 500 --seed 7
 */

import type { EventBridgeEvent } from 'aws-lambda';
import type { FaultPlan } from './faults.js';
import { ACCOUNT, OPERATOR_ROLE, REGION, startLocalPipeline } from './pipeline.js';

/** Options of a campaign. */
export interface ChaosOptions {
  requests: number;
  seed?: number;
  /** Share of requests sent as EventBridge events rather than queue messages. */
  eventShare?: number;
  timeoutMs?: number;
  progress?: (line: string) => void;
}

/** What a campaign found. */
export interface ChaosTally {
  requests: number;
  started: number;
  /** Started, then failed asynchronously and dead-lettered (counted once, here). */
  startedThenFailed: number;
  deadLettered: number;
  deadLetteredByReason: Record<string, number>;
  duplicates: number;
  /** Dead letters sent again with an id already seen (a lost answer on the send): recognised, not counted twice. */
  repeatedDeadLetters: number;
  lost: number;
  retries: { sqsRedeliveries: number; asyncRetries: number };
  faults: { calls: number; injected: number; share: number; byKind: Record<string, number> };
  seconds: number;
  problems: string[];
}

/** The fault plan: about a third of the pipeline's calls fail, and the dead-letter queue 10% of sends. */
export const CHAOS_FAULTS: FaultPlan = {
  StartRestoreJob: {
    errorRates: {
      ServiceUnavailable: 0.12,
      Throttling: 0.08,
      ConnectionReset: 0.06,
      Timeout: 0.04,
      LostResponse: 0.07,
    },
    timeoutMs: 200,
  },
  PutItem: {
    errorRates: { ServiceUnavailable: 0.2, ConnectionReset: 0.1, Throttling: 0.05, Timeout: 0.03 },
    timeoutMs: 200,
  },
  GetItem: {
    errorRates: { ServiceUnavailable: 0.2, ConnectionReset: 0.1, Throttling: 0.05, Timeout: 0.03 },
    timeoutMs: 200,
  },
  UpdateItem: {
    errorRates: { ServiceUnavailable: 0.2, ConnectionReset: 0.1, Throttling: 0.05, Timeout: 0.03 },
    timeoutMs: 200,
  },
  'SendMessage:restore-dead-letters': { errorRates: { ServiceUnavailable: 0.1, LostResponse: 0.05 } },
};
const FAULTED = ['StartRestoreJob', 'BatchWriteItem', 'PutItem', 'GetItem', 'UpdateItem', 'SendMessage'];

/** A small deterministic generator (mulberry32), so a campaign can be repeated. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EBS_POINT = `arn:aws:ec2:${REGION}::snapshot/snap-0a1b2c3d4e5f60718`;
const marker = (i: number) => `chaos-${String(i).padStart(6, '0')}`;

type Kind = 'good' | 'invalid' | 'forbidden' | 'unknown-point' | 'fails-later';

function requestFor(i: number, kind: Kind): string {
  const id = marker(i);
  switch (kind) {
    case 'good':
      return JSON.stringify({
        RecoveryPointArn: EBS_POINT,
        ResourceType: 'EBS',
        Metadata: { availabilityZone: 'eu-west-1a', chaosId: id },
      });
    case 'invalid':
      return i % 2 === 0
        ? `{"chaosId": "${id}", "RecoveryPointArn": `
        : JSON.stringify({ RecoveryPointArn: EBS_POINT, ResourceType: 'EBS', Metadata: { chaosId: id } });
    case 'forbidden':
      return JSON.stringify({
        RecoveryPointArn: EBS_POINT,
        Metadata: { availabilityZone: 'eu-west-1a', chaosId: id },
        IamRoleArn: `arn:aws:iam::${ACCOUNT}:role/Admin`,
      });
    case 'unknown-point':
      return JSON.stringify({
        RecoveryPointArn: `${EBS_POINT.slice(0, -3)}fff`,
        Metadata: { availabilityZone: 'eu-west-1a', chaosId: id },
      });
    case 'fails-later':
      return JSON.stringify({
        RecoveryPointArn: EBS_POINT,
        ResourceType: 'EBS',
        Metadata: { availabilityZone: 'eu-west-1z', chaosId: id },
        IamRoleArn: OPERATOR_ROLE,
      });
  }
}

function categoryOf(body: string): string {
  try {
    const o = JSON.parse(body) as {
      kind?: string;
      failure?: string;
      error?: { name?: string };
      requestContext?: unknown;
      requestPayload?: { 'detail-type'?: string };
      responsePayload?: { errorMessage?: string };
    };
    if (o.kind === 'restore-dead-letter')
      return o.failure === 'rejected' ? `rejected: ${o.error?.name}` : String(o.failure);
    if (o.requestContext !== undefined) {
      const message = String(o.responsePayload?.errorMessage);
      if (o.requestPayload?.['detail-type'] === 'Restore Job State Change') {
        return `tracker on-failure destination: ${message.replace(/ [0-9A-F-]{36}.*$/, '').slice(0, 60)}`;
      }
      const what = /^(.*? failed with \w+)/.exec(message)?.[1] ?? message.replace(/ [0-9A-F-]{36}.*$/, '');
      return `lambda on-failure destination: ${what}`;
    }
  } catch {
    // not JSON: a raw request moved by the queue's redrive policy
  }
  return 'raw request moved by the queue redrive policy';
}

/** Runs one campaign. */
export async function runChaos(options: ChaosOptions): Promise<ChaosTally> {
  const started = Date.now();
  const random = prng(options.seed ?? 1);
  const say = options.progress ?? (() => undefined);
  const pipeline = await startLocalPipeline({
    faults: CHAOS_FAULTS,
    random: prng((options.seed ?? 1) + 1),
    visibilityTimeoutS: 5,
    maxReceiveCount: 5,
    pollers: 4,
    restoreConcurrency: 10,
    asyncRetryDelaysMs: [100, 200],
  });
  const problems: string[] = [];
  try {
    const kinds: Kind[] = [];
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < options.requests; i++) {
      const roll = random();
      const kind: Kind =
        roll < 0.8
          ? 'good'
          : roll < 0.85
            ? 'invalid'
            : roll < 0.88
              ? 'forbidden'
              : roll < 0.94
                ? 'unknown-point'
                : 'fails-later';
      kinds.push(kind);
      const body = requestFor(i, kind);
      if (random() < (options.eventShare ?? 0.3)) {
        let detail: unknown;
        try {
          detail = JSON.parse(body);
        } catch {
          detail = body;
        }
        const event: EventBridgeEvent<string, unknown> = {
          version: '0',
          id: `${marker(i)}-event`,
          'detail-type': 'Restore Requested',
          source: 'backup-restore.requests',
          account: ACCOUNT,
          time: new Date().toISOString(),
          region: REGION,
          resources: [],
          detail,
        };
        sends.push(pipeline.emit(event));
      } else {
        sends.push(pipeline.submit(body));
      }
    }
    say(`${options.requests} requests submitted; running until the queues drain...`);
    let last = 0;
    await pipeline.runUntilIdle({
      timeoutMs: options.timeoutMs ?? 600_000,
      onProgress: () => {
        if (Date.now() - last < 2000) return;
        last = Date.now();
        say(
          `  ${pipeline.aws.backup.jobs.length} jobs, ${pipeline.deadLetters().length} dead letters, ${pipeline.source.stats.failedRecords} redeliveries`,
        );
      },
    });
    await Promise.all(sends);

    // Account for every request.
    const jobsById = new Map<string, number>();
    const jobOwner = new Map<string, string>();
    for (const job of pipeline.aws.backup.jobs) {
      const id = job.Metadata.chaosId ?? '';
      jobsById.set(id, (jobsById.get(id) ?? 0) + 1);
      jobOwner.set(job.RestoreJobId, id);
    }
    const lettersById = new Map<string, string[]>();
    const deadLetteredByReason: Record<string, number> = {};
    const seenLetterIds = new Set<string>();
    let repeatedDeadLetters = 0;
    for (const m of pipeline.deadLetters()) {
      // The same failure sent twice carries one dead-letter id: an operator (and the redrive) sees one.
      const letterId = /"deadLetterId":"([0-9a-f]{32})"/.exec(m.body)?.[1];
      if (letterId !== undefined && seenLetterIds.has(letterId)) {
        repeatedDeadLetters += 1;
        continue;
      }
      if (letterId !== undefined) seenLetterIds.add(letterId);
      const category = categoryOf(m.body);
      deadLetteredByReason[category] = (deadLetteredByReason[category] ?? 0) + 1;
      let id = /chaos-\d{6}/.exec(m.body)?.[0];
      // A tracker event that ran out of retries carries the job id, not the request.
      if (id === undefined) id = jobOwner.get(/"restoreJobId":"([^"]+)"/.exec(m.body)?.[1] ?? '');
      if (id === undefined) {
        problems.push(`a dead letter belongs to no request: ${m.body.slice(0, 200)}`);
        continue;
      }
      lettersById.set(id, [...(lettersById.get(id) ?? []), category]);
    }
    const tally: ChaosTally = {
      requests: options.requests,
      started: 0,
      startedThenFailed: 0,
      deadLettered: 0,
      deadLetteredByReason,
      duplicates: 0,
      repeatedDeadLetters,
      lost: 0,
      retries: {
        sqsRedeliveries: pipeline.source.stats.failedRecords,
        asyncRetries: pipeline.invoker.stats.retries,
      },
      faults: { calls: 0, injected: 0, share: 0, byKind: {} },
      seconds: 0,
      problems,
    };
    for (let i = 0; i < options.requests; i++) {
      const id = marker(i);
      const jobs = jobsById.get(id) ?? 0;
      const letters = lettersById.get(id) ?? [];
      const asyncFailures = letters.filter(
        (l) => l === 'restore-job-failed' || l.startsWith('tracker on-failure destination'),
      );
      if (jobs > 1 || letters.length > 1 || (jobs === 1 && letters.length !== asyncFailures.length)) {
        tally.duplicates += 1;
        problems.push(`${id} (${kinds[i]}): ${jobs} jobs, dead letters ${JSON.stringify(letters)}`);
      } else if (jobs === 1 && letters.length === 1) tally.startedThenFailed += 1;
      else if (jobs === 1) tally.started += 1;
      else if (letters.length === 1) tally.deadLettered += 1;
      else {
        tally.lost += 1;
        problems.push(`${id} (${kinds[i]}) was lost: no job, no dead letter`);
      }
      // A good request may only end in the dead-letter queue because its retries ran out.
      const exhausted = (l: string) =>
        l.startsWith('retries-exhausted') || l.startsWith('lambda on-failure destination');
      if (kinds[i] === 'good' && jobs === 0 && letters[0] !== undefined && !exhausted(letters[0])) {
        problems.push(`${id} was a good request but ended ${letters[0]}`);
      }
    }
    for (const op of FAULTED) {
      const counts = pipeline.aws.faults.counts[op] ?? {};
      tally.faults.calls += counts.calls ?? 0;
      for (const [kind, n] of Object.entries(counts)) {
        if (kind === 'calls') continue;
        tally.faults.injected += n;
        tally.faults.byKind[kind] = (tally.faults.byKind[kind] ?? 0) + n;
      }
    }
    tally.faults.share = tally.faults.calls === 0 ? 0 : tally.faults.injected / tally.faults.calls;
    tally.seconds = (Date.now() - started) / 1000;
    return tally;
  } finally {
    await pipeline.close();
  }
}

/** The tally as a person reads it. */
export function formatTally(t: ChaosTally): string {
  const lines = [
    `requests            ${t.requests}`,
    `started             ${t.started}`,
    `started, then failed and dead-lettered  ${t.startedThenFailed}`,
    `dead-lettered       ${t.deadLettered}`,
    ...Object.entries(t.deadLetteredByReason)
      .sort()
      .map(([reason, n]) => `    ${String(n).padStart(5)}  ${reason}`),
    `retries             ${t.retries.sqsRedeliveries} SQS redeliveries, ${t.retries.asyncRetries} asynchronous retries`,
    `faults injected     ${t.faults.injected} of ${t.faults.calls} calls (${(t.faults.share * 100).toFixed(1)}%): ${Object.entries(
      t.faults.byKind,
    )
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
    `duplicates          ${t.duplicates} (dead letters sent again under the same id, recognised: ${t.repeatedDeadLetters})`,
    `lost                ${t.lost}`,
    `time                ${t.seconds.toFixed(1)} s`,
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const value = (name: string, fallback: number) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const tally = await runChaos({
    requests: value('--requests', 2000),
    seed: value('--seed', 1),
    progress: (line) => console.log(line),
  });
  console.log(`\n${formatTally(tally)}`);
  for (const p of tally.problems.slice(0, 20)) console.log(`problem: ${p}`);
  const ok = tally.lost === 0 && tally.duplicates === 0 && tally.problems.length === 0;
  console.log(ok ? '\nEvery request accounted for exactly once.' : '\nFAILED: requests lost or duplicated.');
  process.exit(ok ? 0 : 1);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
