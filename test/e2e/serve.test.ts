/**
 * `npm run serve` as a person runs it: the real command in its own process, driven by real
 * clients (the project's SDK clients, PutEvents and SQS's query protocol on the wire as botocore
 * sends them, and Debian's boto3 or AWS CLI when installed), stopped with SIGTERM.
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { BackupClient, DescribeRestoreJobCommand, ListRestoreJobsCommand } from '@aws-sdk/client-backup';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { localClientConfig } from '../../local/setup';
import { sleep } from '../../local/time';
import { parseDeadLetter } from '../helpers/dead-letters';
import { loadEvent } from '../helpers/fixtures';
import { underPackagingLock } from '../helpers/package-stack';

const ROOT = join(__dirname, '..', '..');
const EBS_POINT = 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718';
let server: ChildProcess;
let output = '';
let url = '';
let requestQueue = '';
let deadLetterQueue = '';
let sqs: SQSClient;
let backup: BackupClient;
let ddb: DynamoDBClient;

/** Waits until `check` returns a value (not undefined), or fails after `ms`. */
async function eventually<T>(check: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms; serve printed:\n${output}`);
    await sleep(100);
  }
}

/**
 * A test that needs a Debian package: skipped where it is not installed, but failed in CI
 * (.ci/run installs awscli and python3-boto3), so the serve flow with real clients always runs there.
 */
function requiredInCi(what: string) {
  return process.env.CI
    ? (name: string, _fn: unknown, timeout?: number) =>
        it(
          name,
          () => {
            throw new Error(`${what} is not installed: apt-get install -y awscli python3-boto3`);
          },
          timeout,
        )
    : it.skip;
}

function runServe(...args: string[]): ChildProcess {
  return spawn('npm', ['run', '--silent', 'serve', '--', ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

beforeAll(async () => {
  server = runServe('--port', '0');
  server.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  server.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  url = await eventually(
    async () => output.match(/Local restore pipeline on (http:\/\/127\.0\.0\.1:\d+)/)?.[1],
    60_000,
  );
  await eventually(async () => (output.includes('__local/state') ? true : undefined));
  requestQueue = `${url}/123456789012/restore-requests`;
  deadLetterQueue = `${url}/123456789012/restore-dead-letters`;
  const config = localClientConfig(url, 'eu-west-1');
  sqs = new SQSClient(config);
  backup = new BackupClient(config);
  ddb = new DynamoDBClient(config);
}, 90_000);

afterAll(() => {
  sqs?.destroy();
  backup?.destroy();
  ddb?.destroy();
  if (server.exitCode === null) server.kill('SIGKILL');
});

async function jobsOf(recoveryPointArn: string) {
  const out = await backup.send(new ListRestoreJobsCommand({}));
  return (out.RestoreJobs ?? []).filter((j) => j.RecoveryPointArn === recoveryPointArn);
}

async function deadLetterOf(triggerId: string) {
  const out = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: deadLetterQueue, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
  );
  return (out.Messages ?? []).map((m) => parseDeadLetter(m.Body)).find((l) => l.trigger.id === triggerId);
}

describe('npm run serve', () => {
  it('prints the commands that drive it, with its port', () => {
    expect(output).toContain(`aws --endpoint-url ${url} sqs send-message --queue-url ${requestQueue}`);
    expect(output).toContain(`aws --endpoint-url ${url} events put-events`);
    expect(output).toContain(`npm run --silent cli -- --endpoint-url ${url} status <message id>`);
    for (const fn of [
      'restoreFromQueue',
      'restoreFromEvent',
      'restoreOnAlarm',
      'trackRestoreJob',
      'reconcileRestoreJobs',
      'validateRestore',
    ])
      expect(output).toMatch(
        new RegExp(`npx serverless invoke local -f ${fn} -p /\\S+/restore-pipeline-events-\\w+/\\S+\\.json`),
      );
    expect(output).toContain('ALERT_TOPIC_ARN=');
  });

  it("restores what the project's SDK clients send to its queue, and dead-letters a bad request", async () => {
    const before = (await jobsOf(EBS_POINT)).length;
    const body = JSON.stringify({
      RecoveryPointArn: EBS_POINT,
      ResourceType: 'EBS',
      Metadata: { availabilityZone: 'eu-west-1a', volumeType: 'io2' },
    });
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: requestQueue, MessageBody: body }));
    const job = await eventually(async () => {
      const jobs = await jobsOf(EBS_POINT);
      return jobs.length > before ? jobs.find((j) => j.Status === 'COMPLETED') : undefined;
    });
    const described = await backup.send(new DescribeRestoreJobCommand({ RestoreJobId: job.RestoreJobId }));
    expect(described.Status).toBe('COMPLETED');
    // The job is linked to the message that asked for it.
    const link = await ddb.send(
      new GetItemCommand({ TableName: 'restore-jobs', Key: { restoreJobId: { S: job.RestoreJobId ?? '' } } }),
    );
    expect(JSON.parse(link.Item?.trigger?.S ?? '{}')).toMatchObject({ type: 'sqs', id: sent.MessageId });

    const bad = await sqs.send(
      new SendMessageCommand({ QueueUrl: requestQueue, MessageBody: '{"Metadata": {}}' }),
    );
    const letter = await eventually(() => deadLetterOf(bad.MessageId ?? ''));
    expect(letter).toMatchObject({ kind: 'restore-dead-letter', failure: 'rejected' });
  });

  it('routes PutEvents as the deployed rules do', async () => {
    const requested = loadEvent<{ source: string; 'detail-type': string; detail: unknown }>(
      'restore-requested.json',
    );
    const ok = loadEvent<{ source: string; 'detail-type': string; detail: unknown }>('alarm-ok.json');
    const res = await fetch(`${url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
      body: JSON.stringify({
        Entries: [requested, ok].map((e) => ({
          Source: e.source,
          DetailType: e['detail-type'],
          Detail: JSON.stringify(e.detail),
        })),
      }),
    });
    const out = (await res.json()) as { FailedEntryCount: number; Entries: { EventId: string }[] };
    expect(out.FailedEntryCount).toBe(0);
    const [requestedId, okId] = out.Entries.map((e) => e.EventId);
    // The "Restore Requested" event started a job; the OK alarm matched no rule, so nothing ran.
    await eventually(async () => (output.includes(`event ${requestedId}: job `) ? true : undefined));
    const state = (await (await fetch(`${url}/__local/state`)).json()) as {
      events: { id: string; matched: string[] }[];
    };
    expect(state.events.find((e) => e.id === requestedId)?.matched).toStrictEqual(['restoreFromEvent']);
    expect(state.events.find((e) => e.id === okId)?.matched).toStrictEqual([]);
    expect(output).not.toContain(`event ${okId}`);
  });

  /** A query-protocol call exactly as botocore (before it moved SQS to JSON) sends it. */
  async function query(params: Record<string, string>) {
    const res = await fetch(`${url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: new URLSearchParams({ Version: '2012-11-05', ...params }).toString(),
    });
    return { status: res.status, type: res.headers.get('content-type'), xml: await res.text() };
  }

  it("speaks SQS's query protocol, with the XML answers of botocore's model", async () => {
    const body = JSON.stringify({
      RecoveryPointArn: EBS_POINT,
      ResourceType: 'EBS',
      Metadata: { availabilityZone: 'eu-west-1b', note: '<&>"\'' },
    });
    const sent = await query({ Action: 'SendMessage', QueueUrl: requestQueue, MessageBody: body });
    expect(sent.status).toBe(200);
    expect(sent.type).toBe('text/xml');
    const md5 = createHash('md5').update(body).digest('hex');
    expect(sent.xml).toMatch(
      new RegExp(
        `^<\\?xml version="1.0"\\?><SendMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><SendMessageResult><MessageId>[0-9a-f-]{36}</MessageId><MD5OfMessageBody>${md5}</MD5OfMessageBody></SendMessageResult><ResponseMetadata><RequestId>[0-9a-f-]{36}</RequestId></ResponseMetadata></SendMessageResponse>$`,
      ),
    );
    const messageId = sent.xml.match(/<MessageId>([^<]+)</)?.[1] ?? '';
    // Unknown metadata keys are fine for EBS here: the request is restored.
    await eventually(async () => (output.includes(`message ${messageId}: job `) ? true : undefined));

    const batch = await query({
      Action: 'SendMessageBatch',
      QueueUrl: requestQueue,
      'SendMessageBatchRequestEntry.1.Id': 'a',
      'SendMessageBatchRequestEntry.1.MessageBody': 'not json',
      'SendMessageBatchRequestEntry.2.Id': 'b',
      'SendMessageBatchRequestEntry.2.MessageBody': '',
    });
    expect(batch.xml).toContain('<SendMessageBatchResultEntry><Id>a</Id><MessageId>');
    expect(batch.xml).toContain('<BatchResultErrorEntry><Id>b</Id><SenderFault>true</SenderFault><Code>');
    const badId = batch.xml.match(/<Id>a<\/Id><MessageId>([^<]+)</)?.[1] ?? '';
    await eventually(() => deadLetterOf(badId));

    const received = await query({
      Action: 'ReceiveMessage',
      QueueUrl: deadLetterQueue,
      MaxNumberOfMessages: '10',
      VisibilityTimeout: '0',
      'AttributeName.1': 'All',
    });
    expect(received.status).toBe(200);
    const messages = [...received.xml.matchAll(/<Message>(.*?)<\/Message>/g)].map((m) => m[1] as string);
    expect(messages.length).toBeGreaterThan(0);
    for (const m of messages) {
      const text = (m.match(/<Body>(.*?)<\/Body>/)?.[1] ?? '')
        .replace(/&quot;/g, '"')
        .replace(/&apos;/g, "'")
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&#xD;/g, '\r')
        .replace(/&amp;/g, '&');
      expect(m).toContain(`<MD5OfBody>${createHash('md5').update(text).digest('hex')}</MD5OfBody>`);
      expect(m).toMatch(/<Attribute><Name>ApproximateReceiveCount<\/Name><Value>\d+<\/Value><\/Attribute>/);
      expect(JSON.parse(text).kind).toBe('restore-dead-letter');
    }

    const missing = await query({ Action: 'GetQueueUrl', QueueName: 'no-such-queue' });
    expect(missing.status).toBe(400);
    expect(missing.xml).toMatch(
      /<ErrorResponse xmlns="http:\/\/queue.amazonaws.com\/doc\/2012-11-05\/"><Error><Type>Sender<\/Type><Code>AWS.SimpleQueueService.NonExistentQueue<\/Code>/,
    );
  });

  const debianBoto3 = (() => {
    try {
      // botocore moved SQS to the JSON protocol in 1.31; Debian 12's is older and speaks query.
      return execFileSync('/usr/bin/python3', ['-c', 'import botocore; print(botocore.__version__)'], {
        encoding: 'utf8',
      }).trim();
    } catch {
      return undefined;
    }
  })();
  const itWithBoto3 = debianBoto3 === undefined ? requiredInCi("Debian's python3-boto3") : it;

  itWithBoto3(`works with Debian's boto3 (botocore ${debianBoto3}) over the query protocol`, () => {
    const script = `
import boto3, json, sys
sqs = boto3.client('sqs', endpoint_url=sys.argv[1], region_name='eu-west-1',
                   aws_access_key_id='local', aws_secret_access_key='local')
print(sqs.meta.service_model.protocol)
url = sqs.get_queue_url(QueueName='restore-requests')['QueueUrl']
sent = sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"not": "a request"}),
                        MessageAttributes={"origin": {"DataType": "String", "StringValue": "boto3"}})
print(sent['MessageId'])
try:
    sqs.get_queue_url(QueueName='no-such-queue')
except sqs.exceptions.QueueDoesNotExist:
    print('QueueDoesNotExist')
`;
    const [protocol, messageId, missing] = execFileSync('/usr/bin/python3', ['-c', script, url], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n');
    const [major = 0, minor = 0] = (debianBoto3 ?? '').split('.').map(Number);
    expect(protocol).toBe(major === 1 && minor < 31 ? 'query' : 'json');
    expect(messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(missing).toBe('QueueDoesNotExist');
  });

  const debianCli = existsSync('/usr/bin/aws') ? it : requiredInCi('/usr/bin/aws (Debian awscli)');
  const awsEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_DEFAULT_REGION: 'eu-west-1',
  };
  const aws = (...args: string[]) =>
    JSON.parse(
      execFileSync('/usr/bin/aws', ['--endpoint-url', url, '--output', 'json', ...args], {
        cwd: ROOT,
        env: awsEnv,
        encoding: 'utf8',
      }) || '{}',
    );
  /** `restore-pipeline --endpoint-url <serve> ...args`, as serve prints it (npm run cli). */
  const restorePipeline = (...args: string[]) => {
    try {
      const stdout = execFileSync('npm', ['run', '--silent', 'cli', '--', '--endpoint-url', url, ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      });
      return { code: 0, stdout };
    } catch (error) {
      const e = error as { status: number; stdout: string; stderr: string };
      return { code: e.status, stdout: `${e.stdout}${e.stderr}` };
    }
  };

  debianCli('works with the AWS CLI Debian packages, as the printed commands show', () => {
    const sent = aws(
      'sqs',
      'send-message',
      '--queue-url',
      requestQueue,
      '--message-body',
      'file://events/request-ebs.json',
    );
    expect(sent.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    const put = aws('events', 'put-events', '--entries', 'file://events/put-events-restore-requested.json');
    expect(put.FailedEntryCount).toBe(0);
    // The queues can be listed and found by name, as on AWS.
    expect(aws('sqs', 'list-queues').QueueUrls).toStrictEqual([
      deadLetterQueue,
      requestQueue,
      `${url}/123456789012/restore-validations`,
    ]);
    expect(aws('sqs', 'list-queues', '--queue-name-prefix', 'restore-dead').QueueUrls).toStrictEqual([
      deadLetterQueue,
    ]);
    expect(aws('sqs', 'get-queue-url', '--queue-name', 'restore-requests').QueueUrl).toBe(requestQueue);
  });

  debianCli(
    "a newcomer's first requests with awscli: the job's end on the console, status by message id, a failure's dead letter within a minute",
    async () => {
      // The sample's request, to a zone of its own: a request sent before is the same job.
      const body = readFileSync(join(ROOT, 'events', 'request-ebs.json'), 'utf8').replace(
        'eu-west-1a',
        'eu-west-1c',
      );
      const sent = aws('sqs', 'send-message', '--queue-url', requestQueue, '--message-body', body);
      const ended = await eventually(
        async () => output.match(new RegExp(`message ${sent.MessageId}: job (\\S+) ended COMPLETED`))?.[1],
      );
      const status = restorePipeline('status', sent.MessageId);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(`${ended}  COMPLETED`);
      expect(status.stdout).toContain(`request:   sqs ${sent.MessageId}`);

      const failing = JSON.stringify({
        RecoveryPointArn: EBS_POINT,
        ResourceType: 'EBS',
        Metadata: { availabilityZone: 'eu-west-1z' },
      });
      const bad = aws('sqs', 'send-message', '--queue-url', requestQueue, '--message-body', failing);
      const letter = await eventually(
        async () =>
          output.split('\n').find((l) => l.includes(`(restore-job-failed) for message ${bad.MessageId}`)),
        60_000,
      );
      expect(letter).toMatch(/ended FAILED: Invalid availability zone/);
      // The request's Metadata value is not on the console, nor in what status prints.
      expect(output).not.toContain('eu-west-1z');
      const failed = restorePipeline('status', bad.MessageId);
      expect(failed.stdout).toMatch(/FAILED/);
      expect(failed.stdout).not.toContain('eu-west-1z');
    },
    90_000,
  );

  itWithBoto3(
    "the same first request with Debian's boto3: its job's end on the console",
    async () => {
      const script = `
import boto3, sys
sqs = boto3.client('sqs', endpoint_url=sys.argv[1], region_name='eu-west-1',
                   aws_access_key_id='local', aws_secret_access_key='local')
url = sqs.get_queue_url(QueueName='restore-requests')['QueueUrl']
assert url in sqs.list_queues()['QueueUrls'], 'list_queues'
with open('events/request-ebs.json') as f:
    body = f.read().replace('eu-west-1a', 'eu-west-1b')
print(sqs.send_message(QueueUrl=url, MessageBody=body)['MessageId'])
`;
      const messageId = execFileSync('/usr/bin/python3', ['-c', script, url], {
        cwd: ROOT,
        encoding: 'utf8',
      }).trim();
      const job = await eventually(
        async () => output.match(new RegExp(`message ${messageId}: job (\\S+) ended COMPLETED`))?.[1],
      );
      expect(restorePipeline('status', messageId).stdout).toContain(job);
    },
    60_000,
  );

  it('runs the tracker with serverless invoke local and the environment it prints', async () => {
    // The export block under "serverless invoke local", exactly as printed.
    const block = output.slice(
      output.indexOf('Run one handler against it'),
      output.indexOf('npx serverless invoke local'),
    );
    const env = Object.fromEntries(
      [...block.matchAll(/\b([A-Z_]+)=(\S+)/g)].map((m) => [m[1] as string, m[2] as string]),
    );
    expect(Object.keys(env).sort()).toStrictEqual([
      'ALERT_TOPIC_ARN',
      'ALLOWED_RESTORE_ROLE_ARNS',
      'AWS_ACCESS_KEY_ID',
      'AWS_ENDPOINT_URL',
      'AWS_SECRET_ACCESS_KEY',
      'DEAD_LETTER_QUEUE_URL',
      'RESTORE_JOBS_TABLE',
      'RESTORE_ROLE_ARN',
      // serverless.yml reads it for every function (from the stack unless set).
      'VALIDATION_QUEUE_URL',
    ]);
    // It builds in the project's .esbuild folder, as serverless package does: one at a time.
    const out = await underPackagingLock(async () =>
      execFileSync(
        join('node_modules', '.bin', 'serverless'),
        ['invoke', 'local', '-f', 'trackRestoreJob', '-p', 'events/restore-job-completed.json'],
        {
          cwd: ROOT,
          env: { ...process.env, ...env, SLS_TELEMETRY_DISABLED: '1' },
          encoding: 'utf8',
          stdio: 'pipe',
        },
      ),
    );
    // The sample's job was not started by this pipeline: the tracker read the link table and ignored it.
    expect(out).toContain('Ignored an event for a restore job this pipeline did not start');
    expect(out.trim().endsWith('"not-ours"')).toBe(true);
  }, 90_000);

  it('refuses a port in use with a message that says what to do', () => {
    const port = new URL(url).port;
    let stderr = '';
    let status: number | null = 0;
    try {
      execFileSync('npm', ['run', '--silent', 'serve', '--', '--port', port], {
        cwd: ROOT,
        stdio: 'pipe',
        encoding: 'utf8',
      });
    } catch (error) {
      ({ stderr, status } = error as { stderr: string; status: number | null });
    }
    expect(status).toBe(1);
    expect(stderr).toContain(`Port ${port} on 127.0.0.1 is already in use`);
    expect(stderr).toContain('--port');
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('stops on SIGTERM sent to npm, and frees its port', async () => {
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    await eventually(async () => (output.includes('Stopped.') ? true : undefined), 5_000);
    // Nothing listens any more: the port can be bound again.
    const port = Number(new URL(url).port);
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
    });
  }, 20_000);
});
