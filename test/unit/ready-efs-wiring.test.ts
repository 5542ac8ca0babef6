/**
 * makeReady's EFS client, as its builder (src/wiring/ready.ts) makes it: one client, built on first
 * use, in the function's Region, working to the invocation's deadline (a call with too little time
 * left is refused before anything is sent; no socket is opened here).
 */

import { DescribeFileSystemsCommand, EFSClient } from '@aws-sdk/client-efs';
import { DeadlineExceededError } from '../../src/errors';
import { runInvocation } from '../../src/invocation';
import { DeadlineHttpHandler } from '../../src/runner/deadline';
import { readyDepsFromEnv } from '../../src/wiring/ready';
import { DLQ_URL, ROLE } from '../helpers/fixtures';

const ENV = {
  AWS_REGION: 'eu-west-1',
  RESTORE_JOBS_TABLE: 'jobs',
  DEAD_LETTER_QUEUE_URL: DLQ_URL,
  VALIDATION_QUEUE_URL: DLQ_URL,
  RESTORE_ROLE_ARN: ROLE,
  ALLOWED_ACCOUNT_ID: '123456789012',
};

const saved = { ...process.env };
beforeAll(() => {
  // Credentials from the environment: nothing is looked up on the network before the refusal.
  process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY = 'secret';
  delete process.env.AWS_PROFILE;
});
afterAll(() => {
  process.env = saved;
});

describe("makeReady's EFS client", () => {
  it('is built once, in the Region, under the deadline, and gives up a call at it', async () => {
    const deps = readyDepsFromEnv(ENV, () => undefined);
    const efs = deps.efs();
    expect(efs).toBeInstanceOf(EFSClient);
    expect(deps.efs()).toBe(efs);
    expect(await efs.config.region()).toBe('eu-west-1');
    expect(efs.config.requestHandler).toBeInstanceOf(DeadlineHttpHandler);
    const outcome = await runInvocation({ getRemainingTimeInMillis: () => 200 }, [], () =>
      efs.send(new DescribeFileSystemsCommand({ FileSystemId: 'fs-0123456789abcdef0' })).then(
        () => 'answered',
        (error: unknown) => (error instanceof DeadlineExceededError ? 'gave up' : String(error)),
      ),
    );
    expect(outcome).toBe('gave up');
  });
});
