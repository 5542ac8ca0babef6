/**
 * `npm run chaos`: the fault campaign. Drives requests through the whole local pipeline (queue and
 * EventBridge paths, local triggers, real handlers, local endpoint) while faults hit a third of the
 * calls, runs until the queues drain, and accounts for every request exactly once: its restore job
 * started once, or it is in the dead-letter queue with a reason. Zero lost, zero duplicates.
 *
 * What it injects: errors, throttling, resets, hangs and lost answers on StartRestoreJob, on every
 * DynamoDB call (PutItem, GetItem, UpdateItem, Query, BatchWriteItem) and on the dead-letter send;
 * hangs longer than the function timeout (Lambda ends the invocation); SQS delivering a message
 * twice and "Restore Requested" events emitted twice at once; job end events late, twice or never
 * (the reconciler settles the lost ones); opted-in alarms flapping (several ALARM transitions of
 * one alarm at once: one active restore per resource); and, once the requests have drained, forged
 * envelopes through the request queue (each must be refused with a reason and start nothing).
 *
 *   npm run chaos                      2,000 requests
 *   npm run chaos -- --requests 500 --seed 7
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { EventBridgeEvent } from 'aws-lambda';
import { backlogChaosMain } from './chaos-backlog.js';
import { drillChaosOk, formatDrillTally, runDrillChaos } from './chaos-drills.js';
import { formatReadyTally, readyChaosOk, runReadyChaos } from './chaos-ready.js';
import { type FaultPlan, prng } from './faults.js';
import {
  ACCOUNT,
  type LocalPipeline,
  OPERATOR_ROLE,
  REGION,
  REQUEST_QUEUE,
  RESTORE_JOBS_TABLE,
  startLocalPipeline,
} from './pipeline.js';
import { settledWithin } from './settled-within.js';

/** Options of a campaign. */
export interface ChaosOptions {
  requests: number;
  seed?: number;
  /** Share of requests sent as EventBridge events rather than queue messages. */
  eventShare?: number;
  /** The whole campaign's deadline (default 10 minutes): past it, it fails naming what it waited for. */
  timeoutMs?: number;
  /** Share of queue requests SQS delivers twice, and of events emitted twice at once. */
  duplicateShare?: number;
  /** Alarms that flap: each goes into ALARM this many times at once. */
  flaps?: number;
  progress?: (line: string) => void;
}

/** What one forged envelope became. */
export interface ForgedOutcome {
  name: string;
  /** "dead-lettered (rejected, ForbiddenRequestError): <reason>" or "ignored: <the pipeline's log line>". */
  became: string;
  jobsStarted: number;
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
  /**
   * Started, but what followed the start (the job link) ran out of retries: dead-lettered as
   * retries-exhausted. The job runs; a redrive reuses its token, so AWS starts no second one.
   */
  startedThenExhausted: number;
  /**
   * Failed jobs whose end event the tracker gave up on (Lambda's on-failure record, beside the
   * pipeline's own letter for the job): redriven, such a record is read from AWS and ignored.
   */
  trackerRecords: number;
  /**
   * Failed jobs whose dead letter waits for a claim to lapse (its sender died mid-send): the
   * reconciler's next run sends it, after the campaign has ended.
   */
  pendingClaims: number;
  /** Requests that started more than one restore job. */
  secondRestores: number;
  /** Requests with more than one dead letter id (a job that failed after it started excepted). */
  duplicateDeadLetters: number;
  /** Per request: how many had 0 and 1 jobs, 0 and 1 distinct dead letters. */
  perRequest: { jobs: Record<string, number>; deadLetterIds: Record<string, number> };
  /** Duplicates injected: SQS deliveries of one message twice, events emitted twice at once. */
  duplicatesInjected: { sqsDeliveries: number; events: number };
  /** Job end events: delivered, lost, delivered twice; what the reconciler did with the jobs it read. */
  jobEvents: { delivered: number; lost: number; duplicated: number; reconciler: Record<string, number> };
  /** Hangs longer than the function timeout injected, and invocations Lambda ended at the timeout. */
  timeouts: { longHangs: number; invocationsTimedOut: number };
  /** Alarm events (flapping), jobs they started, and resources with two restores running at once. */
  alarms: { events: number; jobsStarted: number; overlappingRestores: number };
  forged: ForgedOutcome[];
  retries: { sqsRedeliveries: number; asyncRetries: number };
  faults: { calls: number; injected: number; share: number; byKind: Record<string, number> };
  seconds: number;
  problems: string[];
}

/** The function timeout of every local function in a campaign (the deployed ones are 30 s and more). */
export const CHAOS_FUNCTION_TIMEOUT_MS = 8_000;
/** How long a long hang lasts: longer than the function timeout, so Lambda would end the invocation. */
export const CHAOS_LONG_HANG_MS = 9_000;

const ddbFaults = {
  errorRates: {
    ServiceUnavailable: 0.12,
    ConnectionReset: 0.06,
    Throttling: 0.05,
    LostResponse: 0.05,
    Timeout: 0.004,
  },
  timeoutMs: CHAOS_LONG_HANG_MS,
};

/**
 * The fault plan: about a third of the pipeline's calls fail. DynamoDB calls and the dead-letter
 * send also lose answers (the call is carried out, the caller never hears), and a few DynamoDB
 * calls hang longer than the function timeout.
 */
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
  PutItem: ddbFaults,
  GetItem: ddbFaults,
  UpdateItem: ddbFaults,
  Query: ddbFaults,
  BatchWriteItem: ddbFaults,
  'SendMessage:restore-dead-letters': {
    errorRates: { ServiceUnavailable: 0.1, LostResponse: 0.05, ConnectionReset: 0.03 },
  },
};
const FAULTED = [
  'StartRestoreJob',
  'BatchWriteItem',
  'PutItem',
  'GetItem',
  'UpdateItem',
  'Query',
  'SendMessage',
];
const LONG_HANG_OPS = ['BatchWriteItem', 'PutItem', 'GetItem', 'UpdateItem', 'Query'];

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

/** The id of a Lambda on-failure record: its function and the event's id. */
function lambdaRecordId(body: string): string | undefined {
  try {
    const o = JSON.parse(body) as {
      requestContext?: { functionArn?: string };
      requestPayload?: { id?: string };
    };
    return o.requestContext === undefined
      ? undefined
      : `${o.requestContext.functionArn}#${o.requestPayload?.id}`;
  } catch {
    return undefined;
  }
}

/** What a dead letter says happened, without the details: the same family twice is a duplicate. */
function familyOf(category: string): 'rejected' | 'exhausted' | 'job-failed' | 'tracker-record' | 'raw' {
  if (category.startsWith('rejected')) return 'rejected';
  if (category.startsWith('retries-exhausted') || category.startsWith('lambda on-failure destination'))
    return 'exhausted';
  if (category.startsWith('tracker on-failure destination')) return 'tracker-record';
  if (category === 'restore-job-failed' || category === 'restore-validation-failed') return 'job-failed';
  return 'raw';
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

/** The fields of an events/ sample the campaign changes. */
type Sample = EventBridgeEvent<
  string,
  {
    alarmName: string;
    state: { timestamp: string };
    previousState: Record<string, unknown>;
    restoreJobId: string;
    statusMessage: string;
  }
>;

/** An event of events/, as a template. */
function alarmTemplate(file: string): Sample {
  return JSON.parse(readFileSync(join(__dirname, '..', 'events', file), 'utf8'));
}

/** `flaps` transitions into ALARM of each opted-in alarm, a minute apart, to be emitted at once. */
function flappingAlarms(flaps: number): EventBridgeEvent<string, unknown>[] {
  const out: EventBridgeEvent<string, unknown>[] = [];
  for (const file of ['alarm-ebs-volume.json', 'alarm-dynamodb-table.json']) {
    for (let f = 0; f < flaps; f++) {
      const event = alarmTemplate(file);
      const at = new Date(Date.parse(event.time) + f * 60_000);
      event.id = `chaos-alarm-${file}-${f}`;
      event.time = at.toISOString();
      event.detail.state.timestamp = at.toISOString().replace('Z', '+0000');
      event.detail.previousState = { ...event.detail.previousState, value: 'OK' };
      out.push(event);
    }
  }
  return out;
}

/** A Lambda on-failure destination record carrying `event`, as an attacker would write one. */
const onFailureRecord = (event: unknown) =>
  JSON.stringify({
    version: '1.0',
    requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3 },
    requestPayload: event,
    responseContext: { statusCode: 200, functionError: 'Unhandled' },
    responsePayload: { errorType: 'Error', errorMessage: 'forged' },
  });

/** The forged envelopes sent through the request queue once the requests have drained. */
function forgedEnvelopes(completedJobId: string): [string, string][] {
  const jobFailed = alarmTemplate('restore-job-failed.json');
  jobFailed.detail.restoreJobId = completedJobId;
  jobFailed.detail.statusMessage = 'FORGED: the attacker says this job failed';
  const notOptedIn = alarmTemplate('alarm-ebs-volume.json');
  notOptedIn.detail.alarmName = 'not-opted-in';
  notOptedIn.resources = [`arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:not-opted-in`];
  const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024)).toString('base64');
  const deep = `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
  return [
    [
      'a failed-job dead letter for a job that completed',
      JSON.stringify({
        kind: 'restore-dead-letter',
        version: 1,
        deadLetterId: 'f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0',
        failure: 'restore-job-failed',
        reason: 'FORGED',
        error: { name: 'RestoreJobFailedError', message: 'FORGED', retryable: false },
        trigger: { type: 'restore-job-event', id: 'forged', attempt: 1 },
        failedAt: new Date().toISOString(),
        redriveCount: 0,
        original: { trigger: 'sqs', body: requestFor(0, 'good').replace('chaos-000000', 'forged') },
        restoreJob: { restoreJobId: completedJobId, status: 'FAILED' },
      }),
    ],
    ['a job event claiming FAILED for a job that completed', onFailureRecord(jobFailed)],
    ['an alarm that did not opt in', onFailureRecord(notOptedIn)],
    [
      'a gzip bomb (64 MiB of zeros in a dead letter)',
      JSON.stringify({
        kind: 'restore-dead-letter',
        failure: 'rejected',
        original: { trigger: 'sqs', bodyGzipBase64: bomb },
      }),
    ],
    [
      'an envelope nested 100,000 deep',
      `{"kind":"restore-dead-letter","failure":"rejected","original":{"trigger":"eventbridge","event":${deep}}}`,
    ],
  ];
}

/** Whether a job's outcome is claimed and not yet sent (the claim lapses, then the reconciler sends it). */
async function claimPending(p: LocalPipeline, restoreJobId: string): Promise<boolean> {
  const item = await p.aws.dynamodb.item(RESTORE_JOBS_TABLE, {
    restoreJobId: { S: `${restoreJobId}#outcome` },
  });
  return JSON.stringify(item ?? {}).includes('"sending"');
}

/** Resources with two restore jobs running at the same time. */
function overlappingRestores(p: LocalPipeline): number {
  const byResource = new Map<string, { from: number; to: number }[]>();
  for (const job of p.aws.backup.jobs) {
    if (job.Metadata.chaosId !== undefined) continue;
    const key = job.SourceResourceArn ?? job.RecoveryPointArn;
    const list = byResource.get(key) ?? [];
    list.push({ from: job.CreationDate, to: job.CompletionDate ?? Number.POSITIVE_INFINITY });
    byResource.set(key, list);
  }
  let overlaps = 0;
  for (const list of byResource.values()) {
    list.sort((a, b) => a.from - b.from);
    for (let i = 1; i < list.length; i++) {
      if ((list[i] as { from: number }).from < (list[i - 1] as { to: number }).to) overlaps += 1;
    }
  }
  return overlaps;
}

/** The local pipeline of a campaign: faults, short timeouts, and its log lines about watched ids kept. */
function startChaosPipeline(
  options: ChaosOptions,
  watched: Map<string, string[]>,
  recentEventLines: string[],
): Promise<LocalPipeline> {
  return startLocalPipeline({
    faults: CHAOS_FAULTS,
    random: prng((options.seed ?? 1) + 1),
    // Longer than the function timeout, so a batch comes back only once its invocation has ended.
    visibilityTimeoutS: 8,
    maxReceiveCount: 5,
    pollers: 4,
    restoreConcurrency: 10,
    asyncRetryDelaysMs: [100, 200],
    functionTimeoutMs: CHAOS_FUNCTION_TIMEOUT_MS,
    logSink: (line) => {
      // The event function's last lines, for a campaign that stalls (what its attempts were doing).
      if (line.includes('restoreFromEvent')) {
        recentEventLines.push(line.slice(0, 400));
        if (recentEventLines.length > 12) recentEventLines.shift();
      }
      if (watched.size === 0) return;
      for (const [id, lines] of watched) if (line.includes(id)) lines.push(line);
    },
  });
}

/** The kind of request a roll of the dice makes: mostly good, some bad in each way. */
function kindOf(roll: number): Kind {
  return roll < 0.8
    ? 'good'
    : roll < 0.85
      ? 'invalid'
      : roll < 0.88
        ? 'forbidden'
        : roll < 0.94
          ? 'unknown-point'
          : 'fails-later';
}

/** Request `i` as a "Restore Requested" event. */
function requestEvent(i: number, body: string): EventBridgeEvent<string, unknown> {
  let detail: unknown;
  try {
    detail = JSON.parse(body);
  } catch {
    detail = body;
  }
  return {
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
}

/** What the campaign sent: each request's kind, the sends in flight, the duplicates it injected. */
interface Submitted {
  kinds: Kind[];
  sends: Promise<unknown>[];
  duplicatesInjected: { sqsDeliveries: number; events: number };
}

/** Sends every request, by the queue or as an event, some of them twice as AWS may deliver them. */
function submitRequests(pipeline: LocalPipeline, options: ChaosOptions, random: () => number): Submitted {
  const requestQueue = pipeline.aws.sqs.queues.get(REQUEST_QUEUE);
  const submitted: Submitted = { kinds: [], sends: [], duplicatesInjected: { sqsDeliveries: 0, events: 0 } };
  const { sends, duplicatesInjected } = submitted;
  const duplicateShare = options.duplicateShare ?? 0.1;
  for (let i = 0; i < options.requests; i++) {
    const kind = kindOf(random());
    submitted.kinds.push(kind);
    const body = requestFor(i, kind);
    const twice = random() < duplicateShare;
    if (random() < (options.eventShare ?? 0.3)) {
      const event = requestEvent(i, body);
      sends.push(pipeline.emit(event));
      // EventBridge delivers at least once: the same event, twice, at the same time.
      if (twice) {
        duplicatesInjected.events += 1;
        sends.push(pipeline.emit(event));
      }
    } else {
      sends.push(
        pipeline.submit(body).then((messageId) => {
          if (!twice || requestQueue === undefined) return;
          // SQS delivers at least once: the same message (same id) comes a second time.
          const message = requestQueue.messages.find((m) => m.MessageId === messageId);
          if (message === undefined) return;
          duplicatesInjected.sqsDeliveries += 1;
          requestQueue.messages.push({
            ...message,
            ReceiveCount: 0,
            visibleAt: Date.now(),
            receiptHandle: undefined,
          });
        }),
      );
    }
  }
  return submitted;
}

/** What one forged envelope (sent as message `id`) became: its dead letter, else the pipeline's last word on it. */
function forgedOutcome(pipeline: LocalPipeline, watched: ReadonlyMap<string, string[]>, id: string): string {
  const letter = pipeline
    .deadLetters()
    .map(
      (m) =>
        JSON.parse(m.body) as {
          trigger?: { id?: string };
          failure?: string;
          error?: { name?: string };
          reason?: string;
        },
    )
    .find((l) => l.trigger?.id === id);
  const lines = (watched.get(id) ?? []).map((l) => JSON.parse(l) as { message?: string; reason?: string });
  const lastLine = lines[lines.length - 1];
  return letter !== undefined
    ? `dead-lettered (${letter.failure}, ${letter.error?.name}): ${String(letter.reason).slice(0, 160)}`
    : lastLine !== undefined
      ? `ignored: ${lastLine.message}${lastLine.reason === undefined ? '' : ` (${lastLine.reason})`}`
      : 'no trace';
}

/**
 * Forged envelopes, once the requests have drained: each must be refused and start nothing, and
 * none may mark a completed job as failed. Returns what each became, and the message ids they had.
 */
async function sendForged(
  pipeline: LocalPipeline,
  watched: Map<string, string[]>,
  idle: () => Promise<void>,
  problems: string[],
): Promise<{ forged: ForgedOutcome[]; forgedIds: [string, string][] }> {
  const completed = pipeline.aws.backup.jobs.find(
    (j) => j.Status === 'COMPLETED' && j.Metadata.chaosId !== undefined,
  );
  const jobsBefore = pipeline.aws.backup.jobs.length;
  const forgedIds: [string, string][] = [];
  for (const [name, body] of forgedEnvelopes(completed?.RestoreJobId ?? 'none')) {
    const id = await pipeline.submit(body);
    watched.set(id, []);
    forgedIds.push([name, id]);
  }
  await idle();
  const forged: ForgedOutcome[] = forgedIds.map(([name, id]) => {
    const became = forgedOutcome(pipeline, watched, id);
    if (became === 'no trace') problems.push(`forged envelope "${name}" left no trace`);
    return { name, became, jobsStarted: 0 };
  });
  const jobsAfter = pipeline.aws.backup.jobs.length;
  if (jobsAfter !== jobsBefore) {
    problems.push(`forged envelopes started ${jobsAfter - jobsBefore} restore job(s)`);
    for (const f of forged) f.jobsStarted = jobsAfter - jobsBefore;
  }
  if (completed !== undefined) {
    const link = await pipeline.aws.dynamodb.item(RESTORE_JOBS_TABLE, {
      restoreJobId: { S: completed.RestoreJobId },
    });
    if (link !== undefined && JSON.stringify(link).includes('FAILED'))
      problems.push(`a forged envelope marked completed job ${completed.RestoreJobId} as failed`);
  }
  return { forged, forgedIds };
}

/** The dead letters per request (by its chaos id), their categories, and letters sent again under one id. */
interface LettersByRequest {
  lettersById: Map<string, string[]>;
  deadLetteredByReason: Record<string, number>;
  repeatedDeadLetters: number;
}

function lettersByRequest(
  pipeline: LocalPipeline,
  jobOwner: ReadonlyMap<string, string>,
  forgedMessageIds: ReadonlySet<string>,
  problems: string[],
): LettersByRequest {
  const out: LettersByRequest = { lettersById: new Map(), deadLetteredByReason: {}, repeatedDeadLetters: 0 };
  const seenLetterIds = new Set<string>();
  for (const m of pipeline.deadLetters()) {
    // The same failure sent twice carries one dead-letter id: an operator (and the redrive) sees one.
    // Lambda's on-failure records have no dead-letter id: one per event (an event delivered twice is one).
    const letterId = /"deadLetterId":"([0-9a-f]{32})"/.exec(m.body)?.[1] ?? lambdaRecordId(m.body);
    if (letterId !== undefined && seenLetterIds.has(letterId)) {
      out.repeatedDeadLetters += 1;
      continue;
    }
    if (letterId !== undefined) seenLetterIds.add(letterId);
    const triggerId = /"trigger":\{"type":"sqs","id":"([^"]+)"/.exec(m.body)?.[1];
    if (triggerId !== undefined && forgedMessageIds.has(triggerId)) continue;
    const category = categoryOf(m.body);
    out.deadLetteredByReason[category] = (out.deadLetteredByReason[category] ?? 0) + 1;
    let id = /chaos-\d{6}/.exec(m.body)?.[0];
    // A tracker event that ran out of retries carries the job id, not the request.
    if (id === undefined) id = jobOwner.get(/"restoreJobId":"([^"]+)"/.exec(m.body)?.[1] ?? '');
    if (id === undefined || id === '') {
      if (/chaos-alarm-/.test(m.body)) continue;
      problems.push(`a dead letter belongs to no request: ${m.body.slice(0, 200)}`);
      continue;
    }
    out.lettersById.set(id, [...(out.lettersById.get(id) ?? []), category]);
  }
  return out;
}

/** The tally before the requests are counted: what the pipeline's counters and the letters say. */
function tallyOf(
  pipeline: LocalPipeline,
  options: ChaosOptions,
  submitted: Submitted,
  alarms: number,
  letters: LettersByRequest,
  forged: ForgedOutcome[],
  problems: string[],
): ChaosTally {
  const reconciler: Record<string, number> = {};
  for (const report of pipeline.reconciled) {
    for (const [outcome, n] of Object.entries(report.outcomes))
      reconciler[outcome] = (reconciler[outcome] ?? 0) + (n ?? 0);
  }
  return {
    requests: options.requests,
    started: 0,
    startedThenFailed: 0,
    deadLettered: 0,
    deadLetteredByReason: letters.deadLetteredByReason,
    duplicates: 0,
    repeatedDeadLetters: letters.repeatedDeadLetters,
    lost: 0,
    secondRestores: 0,
    duplicateDeadLetters: 0,
    startedThenExhausted: 0,
    trackerRecords: 0,
    pendingClaims: 0,
    perRequest: { jobs: {}, deadLetterIds: {} },
    duplicatesInjected: submitted.duplicatesInjected,
    jobEvents: { ...pipeline.jobEventStats, reconciler },
    timeouts: {
      longHangs: 0,
      invocationsTimedOut: pipeline.source.stats.timeouts + pipeline.invoker.timeouts,
    },
    alarms: {
      events: alarms,
      jobsStarted: pipeline.aws.backup.jobs.filter((j) => j.Metadata.chaosId === undefined).length,
      overlappingRestores: overlappingRestores(pipeline),
    },
    forged,
    retries: {
      sqsRedeliveries: pipeline.source.stats.failedRecords,
      asyncRetries: pipeline.invoker.stats.retries,
    },
    faults: { calls: 0, injected: 0, share: 0, byKind: {} },
    seconds: 0,
    problems,
  };
}

/** Counts each request once: started, started then failed or exhausted, dead-lettered, lost, or duplicated. */
async function accountRequests(
  pipeline: LocalPipeline,
  kinds: readonly Kind[],
  lettersById: ReadonlyMap<string, string[]>,
  tally: ChaosTally,
): Promise<void> {
  const problems = tally.problems;
  const jobsById = new Map<string, number>();
  for (const job of pipeline.aws.backup.jobs) {
    const id = job.Metadata.chaosId ?? '';
    jobsById.set(id, (jobsById.get(id) ?? 0) + 1);
  }
  const failedJobIds = new Map(
    pipeline.aws.backup.jobs
      .filter((j) => j.Status === 'FAILED')
      .map((j) => [j.Metadata.chaosId ?? '', j.RestoreJobId]),
  );
  const bump = (into: Record<string, number>, n: number) => {
    into[String(n)] = (into[String(n)] ?? 0) + 1;
  };
  for (let i = 0; i < tally.requests; i++) {
    const id = marker(i);
    const jobs = jobsById.get(id) ?? 0;
    const letters = lettersById.get(id) ?? [];
    bump(tally.perRequest.jobs, jobs);
    bump(tally.perRequest.deadLetterIds, letters.length);
    const families = letters.map(familyOf);
    const asyncFailures = families.filter((f) => f === 'job-failed');
    const repeatedFamily = families.some((f, k) => f !== 'tracker-record' && families.indexOf(f) !== k);
    const rejectedAfterStart = jobs > 0 && families.includes('rejected');
    if (jobs > 1) tally.secondRestores += 1;
    if (repeatedFamily) tally.duplicateDeadLetters += 1;
    if (families.includes('tracker-record')) tally.trackerRecords += 1;
    if (jobs > 1 || repeatedFamily || rejectedAfterStart) {
      tally.duplicates += 1;
      problems.push(`${id} (${kinds[i]}): ${jobs} jobs, dead letters ${JSON.stringify(letters)}`);
    } else if (jobs === 1 && asyncFailures.length > 0) tally.startedThenFailed += 1;
    else if (jobs === 1 && families.includes('exhausted')) tally.startedThenExhausted += 1;
    else if (jobs === 1) tally.started += 1;
    else if (families.some((f) => f !== 'tracker-record')) tally.deadLettered += 1;
    else {
      tally.lost += 1;
      problems.push(`${id} (${kinds[i]}) was lost: no job, no dead letter`);
    }
    // A job that failed after it started must be reported, whether its end event came or not.
    // (When the start's answer never came and the retries ran out, the request's own letter is that report.)
    if (failedJobIds.has(id) && asyncFailures.length === 0 && !families.includes('exhausted')) {
      // A claim on the outcome whose sender died (a hang past the function timeout) holds for
      // OUTCOME_CLAIM_MS, then the reconciler's next run (every 15 minutes) takes it over: late,
      // not lost. The campaign does not wait that long; it counts such jobs.
      if (await claimPending(pipeline, failedJobIds.get(id) ?? '')) tally.pendingClaims += 1;
      else problems.push(`${id}: its restore job failed and nobody was told (no dead letter)`);
    }
    // A good request may only end in the dead-letter queue because its retries ran out.
    const exhausted = (l: string) =>
      l.startsWith('retries-exhausted') || l.startsWith('lambda on-failure destination');
    if (kinds[i] === 'good' && jobs === 0 && letters[0] !== undefined && !exhausted(letters[0])) {
      problems.push(`${id} was a good request but ended ${letters[0]}`);
    }
  }
}

/** What the endpoint was asked in the last `ms` (calls by operation, injected faults by kind): for a campaign that stalls. */
export function recentCalls(pipeline: LocalPipeline, ms: number): string {
  const since = Date.now() - ms;
  const calls = Object.entries(pipeline.aws.faults.arrivals)
    .map(([op, at]) => [op, at.filter((t) => t >= since).length] as const)
    .filter(([, n]) => n > 0)
    .map(([op, n]) => `${op} ${n}`);
  return `calls in the last ${ms / 1000} s: ${calls.join(', ') || 'none'}; faults so far: ${JSON.stringify(pipeline.aws.faults.counts)}; refused keys: ${pipeline.aws.refused.unknownKey}`;
}

/** The faults the endpoint injected, by kind, and the hangs longer than the function timeout. */
function countFaults(pipeline: LocalPipeline, tally: ChaosTally): void {
  for (const op of FAULTED) {
    const counts = pipeline.aws.faults.counts[op] ?? {};
    tally.faults.calls += counts.calls ?? 0;
    for (const [kind, n] of Object.entries(counts)) {
      if (kind === 'calls') continue;
      tally.faults.injected += n;
      tally.faults.byKind[kind] = (tally.faults.byKind[kind] ?? 0) + n;
      if (kind === 'Timeout' && LONG_HANG_OPS.includes(op)) tally.timeouts.longHangs += n;
    }
  }
  tally.faults.share = tally.faults.calls === 0 ? 0 : tally.faults.injected / tally.faults.calls;
}

/** Runs one campaign. */
export async function runChaos(options: ChaosOptions): Promise<ChaosTally> {
  const started = Date.now();
  const random = prng(options.seed ?? 1);
  const say = options.progress ?? (() => undefined);
  // Log lines that name a forged envelope's message id (what the pipeline did with it).
  const watched = new Map<string, string[]>();
  const recentEventLines: string[] = [];
  const pipeline = await startChaosPipeline(options, watched, recentEventLines);
  const problems: string[] = [];
  try {
    const submitted = submitRequests(pipeline, options, random);
    // Opted-in alarms flapping while the requests run.
    const alarms = flappingAlarms(options.flaps ?? 3);
    for (const alarm of alarms) submitted.sends.push(pipeline.emit(alarm));
    say(
      `${options.requests} requests and ${alarms.length} alarm transitions submitted; running until the queues drain...`,
    );
    let last = 0;
    const onProgress = () => {
      if (Date.now() - last < 2000) return;
      last = Date.now();
      say(
        `  ${pipeline.aws.backup.jobs.length} jobs, ${pipeline.deadLetters().length} dead letters, ${pipeline.source.stats.failedRecords} redeliveries`,
      );
    };
    // One deadline for the whole campaign: past it, it fails saying what it was waiting for.
    const deadline = started + (options.timeoutMs ?? 600_000);
    const left = () => Math.max(1, deadline - Date.now());
    const idle = () => pipeline.runUntilIdle({ timeoutMs: left(), onProgress });
    await settledWithin(Promise.all(submitted.sends), left(), 'the requests sent and events emitted', () => [
      ...pipeline.waitingFor(),
      recentCalls(pipeline, 20_000),
      `the event function's last lines: ${recentEventLines.join(' | ')}`,
    ]);
    await idle();
    const { forged, forgedIds } = await sendForged(pipeline, watched, idle, problems);

    // Account for every request.
    const jobOwner = new Map(pipeline.aws.backup.jobs.map((j) => [j.RestoreJobId, j.Metadata.chaosId ?? '']));
    const letters = lettersByRequest(pipeline, jobOwner, new Set(forgedIds.map(([, id]) => id)), problems);
    const tally = tallyOf(pipeline, options, submitted, alarms.length, letters, forged, problems);
    if (tally.alarms.overlappingRestores > 0)
      problems.push(`${tally.alarms.overlappingRestores} resource(s) had two restores running at once`);
    await accountRequests(pipeline, submitted.kinds, letters.lettersById, tally);
    countFaults(pipeline, tally);
    tally.seconds = (Date.now() - started) / 1000;
    return tally;
  } finally {
    await pipeline.close();
  }
}

/** The tally as a person reads it. */
export function formatTally(t: ChaosTally): string {
  const counts = (r: Record<string, number>) =>
    Object.entries(r)
      .sort()
      .map(([k, n]) => `${k}: ${n}`)
      .join(', ');
  const lines = [
    `requests            ${t.requests}`,
    `started             ${t.started}`,
    `started, then failed and dead-lettered  ${t.startedThenFailed}`,
    `started, then its link ran out of retries (dead-lettered; a redrive reuses the token)  ${t.startedThenExhausted}`,
    `failed jobs whose end event the tracker gave up on (Lambda's record too; read from AWS if redriven)  ${t.trackerRecords}`,
    `failed jobs whose letter waits for a lapsed claim (the reconciler's next run sends it)  ${t.pendingClaims}`,
    `dead-lettered       ${t.deadLettered}`,
    ...Object.entries(t.deadLetteredByReason)
      .sort()
      .map(([reason, n]) => `    ${String(n).padStart(5)}  ${reason}`),
    `per request         jobs started (${counts(t.perRequest.jobs)}); dead letter ids (${counts(t.perRequest.deadLetterIds)})`,
    `duplicates sent     ${t.duplicatesInjected.sqsDeliveries} SQS messages delivered twice, ${t.duplicatesInjected.events} events emitted twice at once`,
    `job end events      ${t.jobEvents.delivered} delivered, ${t.jobEvents.lost} lost, ${t.jobEvents.duplicated} delivered twice; the reconciler read the unsettled jobs: ${counts(t.jobEvents.reconciler) || 'none'}`,
    `function timeouts   ${t.timeouts.longHangs} calls hung longer than the function timeout; ${t.timeouts.invocationsTimedOut} invocations ended at the timeout`,
    `alarms              ${t.alarms.events} ALARM transitions (flapping, at once): ${t.alarms.jobsStarted} restores started, ${t.alarms.overlappingRestores} resources with two restores at once`,
    'forged envelopes',
    ...t.forged.map(
      (f) => `    ${f.name}: ${f.became}${f.jobsStarted > 0 ? ` (STARTED ${f.jobsStarted})` : ''}`,
    ),
    `retries             ${t.retries.sqsRedeliveries} SQS redeliveries, ${t.retries.asyncRetries} asynchronous retries`,
    `faults injected     ${t.faults.injected} of ${t.faults.calls} calls (${(t.faults.share * 100).toFixed(1)}%): ${Object.entries(
      t.faults.byKind,
    )
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
    `second restores     ${t.secondRestores}`,
    `duplicate dead letters by id  ${t.duplicateDeadLetters} (the same letter sent again under its id, recognised: ${t.repeatedDeadLetters})`,
    `lost                ${t.lost}`,
    `time                ${t.seconds.toFixed(1)} s`,
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  // Alarms during a backlog, the job table cut off from one instance (local/chaos-backlog.ts).
  if (argv.includes('--backlog')) process.exit((await backlogChaosMain(argv)) ? 0 : 1);
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
  const drills = await runDrillChaos({ seed: value('--seed', 1), progress: (line) => console.log(line) });
  console.log(`\n${formatDrillTally(drills)}`);
  for (const p of drills.problems.slice(0, 20)) console.log(`problem: ${p}`);
  const first = value('--seed', 1);
  const ready = await runReadyChaos([first, first + 1, first + 2]);
  console.log(`\n${formatReadyTally(ready)}`);
  for (const p of ready.problems.slice(0, 20)) console.log(`problem: ${p}`);
  const ok =
    drillChaosOk(drills) &&
    readyChaosOk(ready) &&
    tally.lost === 0 &&
    tally.duplicates === 0 &&
    tally.secondRestores === 0 &&
    tally.duplicateDeadLetters === 0 &&
    tally.problems.length === 0;
  console.log(ok ? '\nEvery request accounted for exactly once.' : '\nFAILED: requests lost or duplicated.');
  process.exit(ok ? 0 : 1);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
