/**
 * Completions under faults, through the real SDK clients against the local endpoint: the job
 * table loses half the answers to the tracker's outcome write (the write lands, the caller sees a
 * dropped connection). Every completion is still logged and counted exactly once, delivered again
 * as Lambda does when the tracker throws.
 */

import { DescribeRestoreJobCommand } from '@aws-sdk/client-backup';
import { createHandler, type RestoreJobStateChange } from '../../handlers/track-restore-job';
import { context, loadEvent, testConfig, testDeps } from '../helpers/fixtures';
import { restoreAndLink, startValidationEnv, type ValidationEnv } from './validation/local-env';

let env: ValidationEnv;
afterEach(async () => env?.close());

const JOBS = 20;

it(`logs and counts each of ${JOBS} completions exactly once when the outcome write loses half its answers`, async () => {
  env = await startValidationEnv();
  const events: RestoreJobStateChange[] = [];
  for (let i = 0; i < JOBS; i++) {
    const { restoreJobId } = await restoreAndLink(env, {
      RecoveryPointArn: 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718',
      ResourceType: 'EBS',
      Metadata: { availabilityZone: 'eu-west-1a', volumeSize: '100' },
    });
    const job = await env.backup.send(new DescribeRestoreJobCommand({ RestoreJobId: restoreJobId }));
    const event = loadEvent<RestoreJobStateChange>('restore-job-completed.json');
    Object.assign(event.detail, {
      restoreJobId,
      resourceType: 'EBS',
      createdResourceArn: job.CreatedResourceArn,
      creationDate: job.CreationDate?.toISOString(),
      completionDate: job.CompletionDate?.toISOString(),
    });
    events.push(event);
  }
  const deps = testDeps({
    backup: env.backup,
    ddb: env.deps.ddb,
    sqs: async () => env.sqs,
    config: testConfig({ DEAD_LETTER_QUEUE_URL: env.deadLetterQueueUrl }),
    now: () => new Date(),
  });
  env.aws.faults.set({ PutItem: { errorRates: { LostResponse: 0.5 } } });
  const handler = createHandler(deps);
  for (const event of events) {
    // Lambda delivers an event whose invocation failed again (twice); the reconciler after that.
    for (let delivery = 0; delivery < 6; delivery++) {
      try {
        await handler(event, context);
        break;
      } catch {
        // delivered again
      }
    }
  }
  const logged = deps.lines.map((l) => JSON.parse(l)).filter((l) => l.message === 'Restore job completed');
  const counted = deps.metricLines.map((l) => JSON.parse(l)).filter((m) => m.RestoreJobsCompleted === 1);
  expect(env.aws.faults.counts.PutItem?.LostResponse ?? 0).toBeGreaterThan(0);
  expect(new Set(logged.map((l) => l.restoreJobId)).size).toBe(JOBS);
  expect(logged).toHaveLength(JOBS);
  expect(counted).toHaveLength(JOBS);
});
