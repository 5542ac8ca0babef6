/**
 * A drill cleanup call that gets no answer is cut off at the invocation's deadline, although the
 * drill's resource clients are built without throwOnRequestTimeout (src/drills/clients.ts): put
 * under the deadline, their handler throws on the shortened request timeout instead of only
 * warning and waiting on. A local server on port 0 accepts the connection and never answers.
 */

import { createServer, type Server, type Socket } from 'node:net';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { DeadlineExceededError } from '../../src/errors';
import { runInvocation } from '../../src/invocation';
import { cleanupDepsFromEnv } from '../../src/wiring/cleanup';
import { DLQ_URL } from '../helpers/fixtures';

const saved = { ...process.env };
const sockets: Socket[] = [];
let server: Server;

beforeAll(async () => {
  server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  process.env.AWS_ENDPOINT_URL_EC2 = `http://127.0.0.1:${address.port}`;
  process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY = 'secret';
});

afterAll(async () => {
  process.env = saved;
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

it('cuts a hung EC2 call of the drill cleanup off at the deadline, not at the server', async () => {
  const deps = cleanupDepsFromEnv({
    AWS_REGION: 'eu-west-1',
    RESTORE_JOBS_TABLE: 'jobs',
    DEAD_LETTER_QUEUE_URL: DLQ_URL,
  });
  const began = Date.now();
  // 1.6 s left: the work may take 1.2 s of it, 0.4 s are kept for the dead letter.
  const error = await runInvocation({ getRemainingTimeInMillis: () => 1_600 }, [], () =>
    deps.clients
      .ec2()
      .send(new DescribeInstancesCommand({}))
      .then(
        () => undefined,
        (e: unknown) => e,
      ),
  );
  const took = Date.now() - began;
  expect(error).toBeInstanceOf(DeadlineExceededError);
  expect((error as Error).message).toMatch(/had no answer within \d+ ms and was cut off/);
  expect(sockets.length).toBeGreaterThan(0);
  expect(took).toBeLessThan(1_600);
}, 15_000);
