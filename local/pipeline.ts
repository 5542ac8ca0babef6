/**
 * The whole pipeline on this machine: the local endpoint, the request and dead-letter queues, the
 * real handler modules wired as in serverless.yml, and the local triggers. Used by `npm start`,
 * the integration tests, the fault campaign and the benchmark.
 */

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { EventBridgeEvent } from 'aws-lambda';
import { createHandler as createCleanupHandler } from '../handlers/cleanup-drills.js';
import { createHandler as createReconcileHandler } from '../handlers/reconcile-restore-jobs.js';
import { createHandler as createEventHandler } from '../handlers/restore-from-event.js';
import { createHandler as createQueueHandler } from '../handlers/restore-from-queue.js';
import { createHandler as createAlarmHandler } from '../handlers/restore-on-alarm.js';
import {
  createHandler as createTrackHandler,
  type RestoreJobStateChange,
} from '../handlers/track-restore-job.js';
import { createHandler as createValidateHandler } from '../handlers/validate-restore.js';
import { snsAlerter } from '../src/alerts.js';
import { createLogger, type LogSink } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import type { TrackDeps } from '../src/outcome/job-event.js';
import type { ReconcileDeps, ReconcileReport } from '../src/runner/reconcile.js';
import type { Deps } from '../src/types.js';
import { cleanupDepsFromEnv } from '../src/wiring/cleanup.js';
import { lambdaReadyAsker } from '../src/wiring/reconcile.js';
import { depsFromEnv, withDrillBucketCheck } from '../src/wiring/restore.js';
import { validateDepsFromEnv } from '../src/wiring/validate.js';
import type { BackupSeed, LocalRestoreJob } from './backup-service.js';
import { LOCAL_ACCESS_KEY_ID, type LocalAws, startLocalAws } from './endpoint.js';
import {
  AsyncInvoker,
  type InvokeResult,
  type LocalHandler,
  lambdaContext,
  SqsEventSource,
} from './event-source.js';
import { type BusEvent, deployedPatterns, type RuleSettings } from './eventbridge.js';
import type { FaultPlan } from './faults.js';
import { MAKE_READY_FUNCTION, routeMakeReady } from './make-ready-rule.js';
import { LOCAL_STACK, localRequestSettings } from './settings.js';
import { createRestoreJobsTable, localClientConfig } from './setup.js';
import { sleep } from './time.js';

/** The default seed: recovery points for the samples in events/. */
export function defaultSeed(): BackupSeed {
  return JSON.parse(readFileSync(join(__dirname, 'seed.json'), 'utf8')) as BackupSeed;
}

/** Options for a local pipeline. */
export interface LocalPipelineOptions {
  seed?: BackupSeed;
  faults?: FaultPlan;
  port?: number;
  maxReceiveCount?: number;
  /** Seconds; may be fractional locally so that retries come back quickly. */
  visibilityTimeoutS?: number;
  restoreConcurrency?: number;
  pollers?: number;
  /** SDK attempts per call (AWS_MAX_ATTEMPTS). */
  maxAttempts?: number;
  /** Where handler logs go (default: dropped). */
  logSink?: LogSink;
  /** Extra environment for the handlers. */
  env?: Record<string, string>;
  /**
   * Function instances as deployed (the queue function's pollers, the event function's reserved
   * concurrency, the alarm function's 1): each instance has its own dependencies, so its own
   * StartRestoreJob pacer at its share of the budget. Absent: one set of dependencies serves every
   * handler and the event function's concurrency is unlimited.
   */
  instances?: { queue: number; event: number; alarm: number };
  /** Publish failure alerts to a local SNS topic. */
  alerts?: boolean;
  /** Milliseconds Lambda waits before each asynchronous retry (Lambda: about 60000, 120000). */
  asyncRetryDelaysMs?: readonly number[];
  /** Function timeout of every local function (default: the deployed ones, from serverless.yml). */
  functionTimeoutMs?: number;
  random?: () => number;
  /**
   * How AWS Backup's job events reach the tracker. AWS sends them "in a best-effort manner"
   * (docs/aws-behaviour.md#b-events-best-effort): by default some come late (so out of order),
   * some twice, and some never; the reconciler, run by runUntilIdle as its schedule would, finds
   * the lost ones.
   */
  jobEvents?: JobEventDelivery;
  /** The deployed rules' settings (source of "Restore Requested" events, alarm name prefix). */
  rules?: RuleSettings;
  /**
   * Every function the deployment has (serverless.yml): also the validator on its own queue
   * (`restore-validations`, VALIDATION_QUEUE_URL set for the tracker), and the two scheduled
   * functions (reconciler, drill cleanup) run every `scheduleEveryMs` instead of every 15 minutes.
   * Absent: the request, event, alarm and tracker functions, and the reconciler when runUntilIdle
   * or reconcile() calls it.
   */
  allFunctions?: {
    scheduleEveryMs: number;
    /** A COMPLETED job without a make-ready record this long after its end is asked for (default 10 s). */
    readyGraceMs?: number;
  };
}

/** The reconciler's timeout (serverless.yml). */
const RECONCILER_TIMEOUT_MS = 300_000;

/** How unkind the local delivery of job events is. */
export interface JobEventDelivery {
  /** Share of events never delivered. */
  lossRate: number;
  /** Share of events delivered twice, at about the same time. */
  duplicateRate: number;
  /** Each delivery waits a random time up to this, so events overtake each other. */
  maxDelayMs: number;
}

/** The default delivery of job events: late, out of order, duplicated and lost now and then. */
export const UNKIND_JOB_EVENTS: JobEventDelivery = { lossRate: 0.05, duplicateRate: 0.1, maxDelayMs: 300 };
/** Every job event delivered once, at once: what a local run sees unless faults are asked for. */
export const KIND_JOB_EVENTS: JobEventDelivery = { lossRate: 0, duplicateRate: 0, maxDelayMs: 0 };

/** What became of an emitted event: the end of the invocations its rules made, or no rule matched. */
export type EmitResult = InvokeResult | 'unmatched';

/** A running local pipeline. */
export interface LocalPipeline {
  readonly aws: LocalAws;
  readonly env: Readonly<Record<string, string>>;
  readonly requestQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** A client for the driver's own calls (submitting requests). */
  readonly sqs: SQSClient;
  readonly deps: Deps;
  readonly source: SqsEventSource;
  readonly invoker: AsyncInvoker;
  /** Sends one request body to the request queue; returns the message id. */
  submit(body: string | object): Promise<string>;
  /**
   * Puts an EventBridge event on the local bus, as `npm run serve`'s PutEvents does: the deployed
   * rules route it (asynchronously) to the functions whose patterns it matches, and only those.
   * Resolves when those invocations end: 'destination' if one ran out of retries, 'unmatched' when
   * no rule matched (EventBridge drops such an event; no function sees it).
   */
  emit(event: EventBridgeEvent<string, unknown>): Promise<EmitResult>;
  /**
   * Waits until the request queue is empty and nothing is in flight, then runs the reconciler (as
   * its schedule would) and waits again, so job ends whose events were lost are settled too.
   */
  runUntilIdle(options?: { timeoutMs?: number; onProgress?: () => void }): Promise<void>;
  /** What keeps the pipeline from being idle now (empty when idle): what runUntilIdle waits for. */
  waitingFor(): string[];
  /** Runs the reconciler once (every ended job is old enough to settle). */
  reconcile(): Promise<ReconcileReport>;
  /** What each run of the reconciler by runUntilIdle reported (the jobs it read and settled). */
  readonly reconciled: ReconcileReport[];
  /** Job events dropped, delivered twice, in all (what the unkind delivery did). */
  readonly jobEventStats: { delivered: number; lost: number; duplicated: number };
  /** The dead-letter queue's messages (read in place, not received). */
  deadLetters(): { messageId: string; body: string; movedFrom?: string }[];
  close(): Promise<void>;
}

export const ACCOUNT = LOCAL_STACK.accountId;
export const REGION = LOCAL_STACK.region;
/** The member account that shares its logically air-gapped vault with the local account (local/seed.json). */
export const SHARING_ACCOUNT = LOCAL_STACK.sharingAccountId;
export const RESTORE_ROLE = LOCAL_STACK.restoreRoleArn;
export const OPERATOR_ROLE = LOCAL_STACK.operatorRoleArn;
export const REQUEST_QUEUE = LOCAL_STACK.requestQueue;
export const DEAD_LETTER_QUEUE = LOCAL_STACK.deadLetterQueue;
export const RESTORE_JOBS_TABLE = LOCAL_STACK.table;
export const ALERT_TOPIC = LOCAL_STACK.alertTopicArn;

/** The EventBridge event AWS Backup sends when a restore job changes state. */
export function restoreJobEvent(job: Readonly<LocalRestoreJob>, created: boolean): RestoreJobStateChange {
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  return {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'Restore Job State Change',
    source: 'aws.backup',
    account: job.AccountId,
    time: new Date().toISOString(),
    region: REGION,
    resources: [job.RecoveryPointArn],
    detail: {
      restoreJobId: job.RestoreJobId,
      // Only the first event of a job carries its state in `state`.
      ...(created ? { state: 'CREATED' } : { status: job.Status, statusMessage: job.StatusMessage ?? '' }),
      percentDone: job.PercentDone ?? '0.0',
      creationDate: iso(job.CreationDate),
      completionDate: iso(job.CompletionDate),
      iamRoleArn: job.IamRoleArn,
      resourceType: job.ResourceType,
      recoveryPointArn: job.RecoveryPointArn,
      sourceResourceArn: job.SourceResourceArn,
      backupVaultArn: job.BackupVaultArn,
      createdResourceArn: job.CreatedResourceArn,
    },
  };
}

/**
 * `count` instances of one function, each built by `make` (its own clients and pacer), as Lambda
 * runs them: an invocation takes a free instance and holds it until its handler has returned.
 */
function instancePool<E, R>(count: number, make: () => LocalHandler<E, R>): LocalHandler<E, R> {
  const free = Array.from({ length: count }, make);
  const waiting: (() => void)[] = [];
  return async (event, context) => {
    let instance = free.pop();
    while (instance === undefined) {
      await new Promise<void>((resolve) => waiting.push(resolve));
      instance = free.pop();
    }
    try {
      return await instance(event, context);
    } finally {
      free.push(instance);
      waiting.shift()?.();
    }
  };
}

/** The queues of serverless.yml, with their URLs. */
interface Queues {
  requestQueueUrl: string;
  deadLetterQueueUrl: string;
  /** Only with `allFunctions`. */
  validationQueueUrl: string | undefined;
}

/** Creates the dead-letter and request queues, the job table, and (with `allFunctions`) the validator's queue. */
async function createQueuesAndTable(
  aws: LocalAws,
  driver: SQSClient,
  options: LocalPipelineOptions,
  maxReceiveCount: number,
): Promise<Queues> {
  const dlq = await driver.send(
    new CreateQueueCommand({
      QueueName: DEAD_LETTER_QUEUE,
      Attributes: { MaximumMessageSize: '1048576', MessageRetentionPeriod: '1209600' },
    }),
  );
  const dlqArn = `arn:aws:sqs:${REGION}:${ACCOUNT}:${DEAD_LETTER_QUEUE}`;
  const requests = await driver.send(
    new CreateQueueCommand({
      QueueName: REQUEST_QUEUE,
      Attributes: {
        VisibilityTimeout: String(options.visibilityTimeoutS ?? 1),
        MaximumMessageSize: '262144',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
      },
    }),
  );
  const tables = new DynamoDBClient(localClientConfig(aws.url, REGION));
  await createRestoreJobsTable(tables, RESTORE_JOBS_TABLE);
  tables.destroy();
  return {
    requestQueueUrl: requests.QueueUrl ?? '',
    deadLetterQueueUrl: dlq.QueueUrl ?? '',
    validationQueueUrl:
      options.allFunctions === undefined
        ? undefined
        : await createValidationQueue(driver, dlqArn, maxReceiveCount, options.visibilityTimeoutS ?? 1),
  };
}

/** The handlers' environment: they reach the endpoint exactly as deployed code reaches AWS. */
function handlerEnv(
  awsUrl: string,
  queues: Queues,
  options: LocalPipelineOptions,
  maxReceiveCount: number,
  accessKeyId: string,
): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: awsUrl,
    // The request rules (region, roles, source accounts): the CLI's --local reads the same ones.
    ...localRequestSettings(),
    // This pipeline's own key: its endpoint refuses any other pipeline's functions (see startLocalPipeline).
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_MAX_ATTEMPTS: String(options.maxAttempts ?? 3),
    DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
    MAX_RECEIVE_COUNT: String(maxReceiveCount),
    RESTORE_CONCURRENCY: String(options.restoreConcurrency ?? 5),
    RESTORE_JOBS_TABLE,
    // Local runs pace StartRestoreJob as an account with a raised quota would (AWS's default is 5
    // a second): the endpoint enforces no quota unless a rate-limit fault is set, and the tests'
    // short visibility timeouts would otherwise redeliver batches still waiting for a slot.
    START_RESTORE_RATE_PER_SECOND: '100',
    ...(queues.validationQueueUrl === undefined ? {} : { VALIDATION_QUEUE_URL: queues.validationQueueUrl }),
    ...options.env,
  };
}

/** How a handler's dependencies are made: one set shared, or (`instances`) one per function instance. */
interface HandlerDeps {
  readonly shared: Deps;
  readonly own: () => Deps;
}

/** The alarm function's dependencies, as deployed (src/wiring/restore.ts alarmDeps): no bucket check. */
function alarmDepsOf(deps: HandlerDeps): HandlerDeps {
  const unchecked = ({ drillBucketProblem: _, ...rest }: Deps): Deps => rest;
  return { shared: unchecked(deps.shared), own: () => unchecked(deps.own()) };
}

/** One handler, or a pool of `count` instances each with its own dependencies when instances are asked for. */
function handlerFor<E, R>(
  count: number | undefined,
  deps: HandlerDeps,
  create: (deps: Deps) => LocalHandler<E, R>,
): LocalHandler<E, R> {
  return count === undefined ? create(deps.shared) : instancePool(count, () => create(deps.own()));
}

/** The function timeout, when a run sets one. */
const functionTimeout = (options: LocalPipelineOptions) =>
  options.functionTimeoutMs === undefined ? {} : { timeoutMs: options.functionTimeoutMs };
/** Lambda's waits before asynchronous retries, when a run sets them. */
const retryDelays = (options: LocalPipelineOptions) =>
  options.asyncRetryDelaysMs === undefined ? {} : { retryDelaysMs: options.asyncRetryDelaysMs };

/** restoreFromQueue polling the request queue. */
function queueFunction(
  driver: SQSClient,
  requestQueueUrl: string,
  options: LocalPipelineOptions,
  deps: HandlerDeps,
): SqsEventSource {
  return new SqsEventSource({
    sqs: driver,
    queueUrl: requestQueueUrl,
    queueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${REQUEST_QUEUE}`,
    region: REGION,
    functionName: 'restoreFromQueue',
    handler: handlerFor(options.instances?.queue, deps, createQueueHandler),
    pollers: options.instances?.queue ?? options.pollers ?? 2,
    ...functionTimeout(options),
  });
}

/** The asynchronous invocations of the functions the EventBridge rules target. */
interface Invokers {
  /** restoreFromEvent at the reserved concurrency of 2 (the one a run without instances uses). */
  readonly invoker: AsyncInvoker;
  readonly eventInvoker: AsyncInvoker;
  readonly trackInvoker: AsyncInvoker;
  readonly alarmInvoker: AsyncInvoker;
}

function asyncInvokers(
  driver: SQSClient,
  deadLetterQueueUrl: string,
  options: LocalPipelineOptions,
): Invokers {
  const common = { sqs: driver, onFailureQueueUrl: deadLetterQueueUrl };
  const instances = options.instances;
  // restoreFromEvent has a reserved concurrency of 2 in serverless.yml: events beyond it wait.
  const invoker = new AsyncInvoker({
    ...common,
    functionName: 'restoreFromEvent',
    concurrency: 2,
    ...functionTimeout(options),
    ...retryDelays(options),
  });
  // The tracker's own invocations (its own timeout; no reserved concurrency).
  const trackInvoker = new AsyncInvoker({
    ...common,
    functionName: 'trackRestoreJob',
    ...functionTimeout(options),
    ...retryDelays(options),
  });
  // restoreFromEvent has a reserved concurrency in serverless.yml; deployed-like runs keep to it.
  const eventInvoker =
    instances === undefined
      ? invoker
      : new AsyncInvoker({
          ...common,
          functionName: 'restoreFromEvent',
          concurrency: instances.event,
          ...functionTimeout(options),
          ...retryDelays(options),
        });
  // restoreOnAlarm has a reserved concurrency of 1 in serverless.yml.
  const alarmInvoker = new AsyncInvoker({
    ...common,
    functionName: 'restoreOnAlarm',
    concurrency: instances?.alarm ?? 1,
    ...retryDelays(options),
  });
  return { invoker, eventInvoker, trackInvoker, alarmInvoker };
}

/**
 * The deployed EventBridge rules: events put on the local bus (PutEvents, and AWS Backup's own
 * state-change events) reach the functions whose rule patterns they match, and only those.
 * Returns `emit`, which puts an event on the bus and waits for the invocations it started.
 */
function routeRules(
  aws: LocalAws,
  options: LocalPipelineOptions,
  invokers: Invokers,
  handlers: {
    event: LocalHandler<never, unknown>;
    alarm: LocalHandler<never, unknown>;
    track: LocalHandler<never, unknown>;
  },
): LocalPipeline['emit'] {
  const patterns = deployedPatterns(options.rules);
  // The invocations one publish starts (publish delivers synchronously), so emit can wait for them.
  let delivered: Promise<InvokeResult>[] | undefined;
  const deliverTo = (run: Promise<InvokeResult>) => {
    delivered?.push(run);
  };
  aws.events.addRule({
    name: 'restoreFromEvent',
    pattern: patterns.restoreFromEvent,
    target: (event: BusEvent) => deliverTo(invokers.eventInvoker.invoke(handlers.event, event as never)),
  });
  aws.events.addRule({
    name: 'restoreOnAlarm',
    pattern: patterns.restoreOnAlarm,
    target: (event: BusEvent) => deliverTo(invokers.alarmInvoker.invoke(handlers.alarm, event as never)),
  });
  aws.events.addRule({
    name: 'trackRestoreJob',
    pattern: patterns.trackRestoreJob,
    target: (event: BusEvent) => deliverTo(invokers.trackInvoker.invoke(handlers.track, event as never)),
  });
  return async (event) => {
    const runs: Promise<InvokeResult>[] = [];
    delivered = runs;
    try {
      aws.events.publish(event as BusEvent);
    } finally {
      delivered = undefined;
    }
    if (runs.length === 0) return 'unmatched';
    const results = await Promise.all(runs);
    return results.includes('destination') ? 'destination' : 'succeeded';
  };
}

/**
 * AWS Backup's state-change events reach the bus at best effort, then the tracker's rule: each
 * late by a random wait, some lost, some twice. Returns what was done, and how many wait.
 */
function deliverJobEvents(aws: LocalAws, options: LocalPipelineOptions) {
  const delivery = options.jobEvents ?? UNKIND_JOB_EVENTS;
  const random = options.random ?? Math.random;
  const stats = { delivered: 0, lost: 0, duplicated: 0 };
  let inFlight = 0;
  const deliver = (event: RestoreJobStateChange) => {
    inFlight++;
    setTimeout(() => {
      inFlight--;
      stats.delivered++;
      aws.events.publish(event as BusEvent);
    }, random() * delivery.maxDelayMs);
  };
  aws.backup.onJobStateChange((job, previous) => {
    if (random() < delivery.lossRate) {
      stats.lost++;
      return;
    }
    const event = restoreJobEvent(job, previous === 'CREATED');
    deliver(event);
    if (random() < delivery.duplicateRate) {
      stats.duplicated++;
      deliver(event);
    }
  });
  return { stats, inFlight: () => inFlight };
}

/** The dead-letter queue's messages, read in place. */
function deadLettersOf(aws: LocalAws): ReturnType<LocalPipeline['deadLetters']> {
  return (aws.sqs.queues.get(DEAD_LETTER_QUEUE)?.messages ?? []).map((m) => ({
    messageId: m.MessageId,
    body: m.Body,
    ...(m.movedFrom === undefined ? {} : { movedFrom: m.movedFrom }),
  }));
}

/** Sends one request body to the request queue; returns the message id. */
function submitTo(driver: SQSClient, requestQueueUrl: string): LocalPipeline['submit'] {
  return async (body) => {
    const out = await driver.send(
      new SendMessageCommand({
        QueueUrl: requestQueueUrl,
        MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    );
    return out.MessageId ?? '';
  };
}

/**
 * Waits until nothing is waited for three checks in a row (50 ms apart); fails past `deadline`,
 * naming what it was still waiting for.
 */
async function quiet(
  waitingFor: () => string[],
  deadline: number,
  timeoutMs: number,
  onProgress: (() => void) | undefined,
): Promise<void> {
  let quietRounds = 0;
  while (quietRounds < 3) {
    if (Date.now() > deadline)
      throw new Error(
        `The local pipeline was not idle after ${timeoutMs} ms; still waiting for: ${waitingFor().join('; ')}`,
      );
    await sleep(50);
    onProgress?.();
    quietRounds = waitingFor().length === 0 ? quietRounds + 1 : 0;
  }
}

/**
 * The functions the EventBridge rules invoke (restoreFromEvent, restoreOnAlarm, trackRestoreJob)
 * with their invokers, routed by the deployed rules; and the reconciler, with the tracker's
 * dependencies (its alerts to a local SNS topic when asked for).
 */
function eventFunctions(
  aws: LocalAws,
  driver: SQSClient,
  queues: Queues,
  options: LocalPipelineOptions,
  handlerDeps: HandlerDeps,
) {
  const invokers = asyncInvokers(driver, queues.deadLetterQueueUrl, options);
  const alertClient = new SNSClient({ region: REGION });
  const trackDeps: TrackDeps = options.alerts
    ? { ...handlerDeps.shared, alerts: snsAlerter(async () => alertClient, ALERT_TOPIC) }
    : handlerDeps.shared;
  const emit = routeRules(aws, options, invokers, {
    event: handlerFor(options.instances?.event, handlerDeps, createEventHandler),
    alarm: handlerFor(options.instances?.alarm, alarmDepsOf(handlerDeps), createAlarmHandler),
    track: createTrackHandler(trackDeps),
  });
  // With every function, makeReady is there to ask (by name, on the local Lambda), as deployed.
  const lambda = new LambdaClient(localClientConfig(aws.url, REGION));
  const reconcileDeps: ReconcileDeps =
    options.allFunctions === undefined
      ? trackDeps
      : { ...trackDeps, askReady: lambdaReadyAsker(() => lambda, MAKE_READY_FUNCTION) };
  const reconcileHandler = createReconcileHandler(reconcileDeps, {
    lookBackHours: 24,
    settleAfterMinutes: 0,
    readyGraceMs: options.allFunctions?.readyGraceMs ?? 10_000,
  });
  const reconcile = () =>
    reconcileHandler(
      { id: 'local-schedule' } as never,
      lambdaContext('reconcileRestoreJobs', RECONCILER_TIMEOUT_MS),
    );
  return { invokers, clients: [alertClient, lambda], emit, reconcile };
}

/**
 * The functions' dependencies, as deployed (src/wiring/restore.ts defaultDeps: an S3 drill's bucket
 * is checked before its start; the alarm function's go through alarmDepsOf): one set shared, and a
 * builder of a function's own.
 */
function functionDeps(env: Record<string, string>, logSink: LogSink | undefined) {
  const build = () => withDrillBucketCheck(depsFromEnv(env, logSink ?? (() => undefined)));
  return { shared: build(), own: build };
}

/** What the local pipeline still waits for before it is idle: nothing, when it is (pure of the state it reads). */
function waitsOf(
  aws: LocalAws,
  parts: {
    source: { readonly busy: boolean };
    validator: { readonly busy: boolean } | undefined;
    invokers: { readonly [name: string]: { readonly pending: number; describe(): string } };
    jobEvents: { inFlight(): number };
  },
): string[] {
  const { source, validator, invokers, jobEvents } = parts;
  const waits: string[] = [];
  const queued = aws.sqs.queues.get(REQUEST_QUEUE)?.messages.length ?? 0;
  if (queued > 0) waits.push(`${queued} message(s) in ${REQUEST_QUEUE}`);
  if (source.busy) waits.push('the request function handling a batch');
  if (validator?.busy ?? false) waits.push('the validator handling a batch');
  for (const [name, invoker] of Object.entries(invokers))
    if (invoker.pending > 0)
      waits.push(`${invoker.pending} asynchronous invocation(s) of ${name} (${invoker.describe()})`);
  if (jobEvents.inFlight() > 0) waits.push(`${jobEvents.inFlight()} job event(s) on their way`);
  const open = aws.backup.jobs.filter((j) => j.Status === 'PENDING' || j.Status === 'RUNNING');
  if (open.length > 0)
    waits.push(
      `${open.length} job(s) not ended: ${open.map((j) => `${j.RestoreJobId} ${j.Status}`).join(', ')}`,
    );
  return waits;
}

/**
 * The pipeline's endpoint, and the access key its functions sign with. An invocation still running
 * when its pipeline closes (Lambda would have ended it) keeps calling the port it knew; a later
 * pipeline on that port refuses its key, so it never writes there.
 */
async function startPipelineEndpoint(options: LocalPipelineOptions) {
  const accessKeyId = `local-${randomUUID().slice(0, 8)}`;
  const aws = await startLocalAws({
    seed: options.seed ?? defaultSeed(),
    port: options.port ?? 0,
    accessKeyIds: [LOCAL_ACCESS_KEY_ID, accessKeyId],
    ...(options.faults === undefined ? {} : { faults: options.faults }),
    ...(options.random === undefined ? {} : { random: options.random }),
  });
  return { aws, accessKeyId };
}

/** Starts the endpoint, creates the queues, and wires the handlers to the local triggers. */
export async function startLocalPipeline(options: LocalPipelineOptions = {}): Promise<LocalPipeline> {
  const { aws, accessKeyId } = await startPipelineEndpoint(options);
  const maxReceiveCount = options.maxReceiveCount ?? 5;
  const driver = new SQSClient(localClientConfig(aws.url, REGION));
  const queues = await createQueuesAndTable(aws, driver, options, maxReceiveCount);
  const { requestQueueUrl, deadLetterQueueUrl } = queues;
  const env = handlerEnv(aws.url, queues, options, maxReceiveCount, accessKeyId);
  Object.assign(process.env, env);
  const handlerDeps = functionDeps(env, options.logSink);
  const deps = handlerDeps.shared;
  const source = queueFunction(driver, requestQueueUrl, options, handlerDeps);
  const { invokers, clients, emit, reconcile } = eventFunctions(aws, driver, queues, options, handlerDeps);
  const jobEvents = deliverJobEvents(aws, options);
  const readyInvoker =
    options.allFunctions === undefined
      ? undefined
      : routeMakeReady(aws, driver, deadLetterQueueUrl, env, options.logSink);
  const reconciled: ReconcileReport[] = [];
  source.start();
  const { validator, stopSchedules } = startRestOfDeployment(
    options,
    driver,
    queues.validationQueueUrl,
    env,
    reconcile,
  );

  const waitingFor = () =>
    waitsOf(aws, {
      source,
      validator,
      invokers: { ...invokers, ...(readyInvoker === undefined ? {} : { makeReady: readyInvoker }) },
      jobEvents,
    });

  return {
    aws,
    env,
    requestQueueUrl,
    deadLetterQueueUrl,
    sqs: driver,
    deps,
    source,
    invoker: invokers.invoker,
    submit: submitTo(driver, requestQueueUrl),
    emit,
    runUntilIdle: async ({ timeoutMs = 120_000, onProgress } = {}) => {
      const deadline = Date.now() + timeoutMs;
      await quiet(waitingFor, deadline, timeoutMs, onProgress);
      reconciled.push(await reconcile());
      await quiet(waitingFor, deadline, timeoutMs, onProgress);
    },
    waitingFor,
    reconcile,
    jobEventStats: jobEvents.stats,
    reconciled,
    deadLetters: () => deadLettersOf(aws),
    close: async () => {
      // First what starts work: nothing of this pipeline calls its endpoint once it is gone.
      for (const invoker of new Set([...Object.values(invokers), readyInvoker])) invoker?.close();
      await stopSchedules();
      await validator?.stop();
      await source.stop();
      deps.backup.destroy();
      (await deps.sqs()).destroy();
      deps.ddb.destroy();
      for (const client of clients) client.destroy();
      driver.destroy();
      await aws.close();
    },
  };
}

/** The validator's queue as serverless.yml declares it (ValidationQueue), with a local visibility timeout. */
async function createValidationQueue(
  driver: SQSClient,
  dlqArn: string,
  maxReceiveCount: number,
  visibilityTimeoutS: number,
): Promise<string> {
  const out = await driver.send(
    new CreateQueueCommand({
      QueueName: LOCAL_STACK.validationQueue,
      Attributes: {
        VisibilityTimeout: String(visibilityTimeoutS),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
      },
    }),
  );
  return out.QueueUrl ?? '';
}

/**
 * With `allFunctions`: validateRestore on its queue, and the reconciler and the drill cleanup on
 * their (shortened) schedule. Without: nothing (the reconciler runs when asked).
 */
function startRestOfDeployment(
  options: LocalPipelineOptions,
  driver: SQSClient,
  validationQueueUrl: string | undefined,
  env: Record<string, string>,
  reconcile: () => Promise<unknown>,
): { validator: SqsEventSource | undefined; stopSchedules: () => Promise<void> } {
  if (options.allFunctions === undefined || validationQueueUrl === undefined)
    return { validator: undefined, stopSchedules: async () => undefined };
  const logSink = options.logSink ?? (() => undefined);
  return {
    validator: startValidator(driver, validationQueueUrl, env, logSink, options.functionTimeoutMs),
    stopSchedules: startSchedules(options.allFunctions.scheduleEveryMs, [
      reconcile,
      cleanupRun(env, logSink),
    ]),
  };
}

/** validateRestore on its queue, as deployed (its own dependencies; its logs to the pipeline's sink). */
function startValidator(
  driver: SQSClient,
  queueUrl: string,
  env: Record<string, string>,
  logSink: LogSink,
  timeoutMs: number | undefined,
): SqsEventSource {
  const deps = { ...validateDepsFromEnv(env), logger: createLogger({ sink: logSink }), metricsSink: logSink };
  const validator = new SqsEventSource({
    sqs: driver,
    queueUrl,
    queueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${LOCAL_STACK.validationQueue}`,
    region: REGION,
    functionName: 'validateRestore',
    handler: createValidateHandler(deps),
    pollers: 2,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  validator.start();
  return validator;
}

/** One run of cleanupDrills, as its schedule makes it (its own dependencies; its logs to the sink). */
function cleanupRun(env: Record<string, string>, logSink: LogSink): () => Promise<unknown> {
  const handler = createCleanupHandler({
    ...cleanupDepsFromEnv(env),
    logger: createLogger({ sink: logSink }),
    metrics: createMetrics(logSink),
  });
  return () =>
    handler({ id: 'local-schedule' } as never, lambdaContext('cleanupDrills', RECONCILER_TIMEOUT_MS));
}

/**
 * Runs each scheduled function every `everyMs`, one run at a time each (reserved concurrency 1 in
 * serverless.yml); a run that fails is the next run's work, as deployed (maximumRetryAttempts 0).
 * Returns how to stop them (waits for the runs in progress).
 */
export function startSchedules(
  everyMs: number,
  runs: readonly (() => Promise<unknown>)[],
): () => Promise<void> {
  const inProgress = runs.map(() => Promise.resolve() as Promise<unknown>);
  const busy = runs.map(() => false);
  const timer = setInterval(() => {
    runs.forEach((run, i) => {
      if (busy[i]) return;
      busy[i] = true;
      inProgress[i] = run()
        .catch(() => undefined)
        .finally(() => {
          busy[i] = false;
        });
    });
  }, everyMs);
  return async () => {
    clearInterval(timer);
    await Promise.all(inProgress);
  };
}
