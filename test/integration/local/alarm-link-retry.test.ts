/**
 * An alarm's job started, but its link could not be written (the table failing past every retry,
 * before the last attempt): the request is given back to be retried, and the claim on the
 * resource keeps naming the job. The retry, while that job still runs, finds the job its own, gets
 * it back from AWS with the same token and writes its link: it neither waits for a link nothing
 * else will write nor ends skipped behind its own restore.
 */

import { GetItemCommand, type PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { restoreByResource } from '../../../src/act/restore-resource';
import { planResourceRestore, type ResourceRestore } from '../../../src/plan/resource-restore';
import { findJobLink } from '../../../src/table/links';
import type { Deps } from '../../../src/types';
import { testConfig, testDeps } from '../../helpers/fixtures';
import { type OutcomeEnv, startOutcomeEnv, TABLE } from '../outcome-env';

const RESOURCE = 'arn:aws:rds:eu-west-1:123456789012:db:billing-db';

let env: OutcomeEnv;
let deps: Deps;
/** While true, every put of a job link fails as a table that does not answer. */
let linksFail = false;

beforeAll(async () => {
  // Jobs run for 60 s: the retry comes while the alarm's job still runs.
  env = await startOutcomeEnv((seed) => ({ ...seed, timing: { runningAfterMs: 1, doneAfterMs: 60_000 } }));
  env.ddb.middlewareStack.add(
    (next, context) => async (args) => {
      const key = (args.input as PutItemCommandInput).Item?.restoreJobId?.S ?? '';
      // A link is keyed by the job's id; claims (active#) and other items carry a '#'.
      if (linksFail && context.commandName === 'PutItemCommand' && !key.includes('#')) {
        throw Object.assign(new Error('We encountered an internal error. Please try again.'), {
          name: 'InternalServerError',
          $fault: 'server',
          $metadata: { httpStatusCode: 500 },
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'failLinks' },
  );
  deps = testDeps({
    backup: env.backup,
    ddb: env.ddb,
    config: testConfig({ RESTORE_JOBS_TABLE: TABLE }),
    now: () => new Date(),
  });
});
afterAll(() => env.close());

const spec: ResourceRestore = {
  resourceArn: RESOURCE,
  backupVaultName: 'Default',
  overrides: {},
  selection: { mode: 'latest' },
  at: new Date('2026-12-07T10:00:00Z'),
  idempotencyToken: `alarm-link-retry-${process.pid}`,
  oneAtATime: true,
};

/** One attempt of the alarm (never its last). */
const attempt = (n: number) =>
  restoreByResource(
    deps,
    spec,
    planResourceRestore(deps, spec, undefined, deps.logger),
    { original: { trigger: 'eventbridge', event: {} }, redriveCount: 0 },
    { trigger: { type: 'eventbridge', id: 'alarm-event', attempt: n }, lastAttempt: false },
    deps.logger,
  );

it('the retry of an alarm whose link could not be written starts nothing new and links its running job', async () => {
  linksFail = true;
  await expect(attempt(1)).rejects.toMatchObject({ retryable: true });
  expect(env.aws.backup.jobs).toHaveLength(1);
  const job = env.aws.backup.jobs[0]?.RestoreJobId ?? '';
  expect(await findJobLink(deps.ddb, TABLE, job)).toBeUndefined();
  // The claim is still this alarm's, and names its job.
  const claim = await deps.ddb.send(
    new GetItemCommand({
      TableName: TABLE,
      Key: { restoreJobId: { S: `active#${RESOURCE}` } },
      ConsistentRead: true,
    }),
  );
  expect(claim.Item?.owner).toStrictEqual({ S: spec.idempotencyToken });
  expect(claim.Item?.job).toStrictEqual({ S: job });

  linksFail = false;
  await expect(attempt(2)).resolves.toStrictEqual({
    status: 'started',
    restoreJobId: job,
    sourceAccountId: '123456789012',
  });
  expect(env.aws.backup.jobs).toHaveLength(1);
  expect(env.aws.backup.jobs[0]?.Status).toBe('RUNNING');
  expect(await findJobLink(deps.ddb, TABLE, job)).toMatchObject({ restoreJobId: job });
});
