/**
 * The CLI's promises about what it prints and how it ends: exit codes that mean one thing each
 * (listed by --help), one set of checks (the request queue's size limit included), one list of
 * failure kinds, no Metadata value in what it prints, and nothing from data that a terminal would
 * act on.
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { EXIT, EXIT_MEANINGS, safe, safeJson } from '../../cli/output';
import type { LocalPipeline } from '../../local/pipeline';
import { localClientConfig } from '../../local/setup';
import { FAILURE_KINDS } from '../../src/arrival/redriven';
import { REDRIVE_MAX_BYTES } from '../../src/outcome/dead-letters';
import { runCli } from '../helpers/cli';
import { localPipelines } from '../helpers/pipeline';

const POINT = 'arn:aws:backup:eu-west-1:123456789012:recovery-point:3c1f7e42-9a0d-4b6e-8f21-5d7a9b0c1e2f';
const EBS = { RecoveryPointArn: POINT, ResourceType: 'EBS', Metadata: { availabilityZone: 'eu-west-1a' } };
const dir = mkdtempSync(join(tmpdir(), 'cli-safety-'));
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}
const start = localPipelines(() => ({
  visibilityTimeoutS: 2,
  maxReceiveCount: 3,
  asyncRetryDelaysMs: [20, 40],
}));
const at = (p: LocalPipeline) => ['--endpoint-url', p.aws.url];

/** What a terminal would act on, once the CLI's own colours are taken out. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what must not reach a terminal
const ACTIVE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const OWN_COLOURS = new RegExp(`${String.fromCharCode(27)}\\[(?:1|2|22|31|32|33|39)m`, 'g');
const withoutOwnColours = (text: string) => text.replace(OWN_COLOURS, '');

describe('exit codes', () => {
  it('mean one thing each, and --help lists every one', async () => {
    const codes = Object.values(EXIT);
    expect(new Set(codes).size).toBe(codes.length);
    expect(
      Object.keys(EXIT_MEANINGS)
        .map(Number)
        .sort((a, b) => a - b),
    ).toStrictEqual([...codes].sort((a, b) => a - b));
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const code of codes)
      expect(help.stdout).toContain(`${String(code).padStart(2)}  ${EXIT_MEANINGS[code]}`);
  });
});

describe('one set of checks', () => {
  // 2.4 MB in values each within the per-value limit.
  const big = {
    ...EBS,
    Metadata: {
      ...EBS.Metadata,
      ...Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`note${i}`, 'x'.repeat(16_000)])),
    },
  };

  it('validate refuses a request larger than the request queue takes (exit 1), with the limit', async () => {
    const r = await runCli(['--json', 'validate', file('big.json', big)]);
    expect(r.code).toBe(EXIT.invalid);
    expect(r.json().problems).toStrictEqual([
      expect.stringMatching(
        new RegExp(
          `^The request is \\d+ bytes; the request queue takes messages of at most ${REDRIVE_MAX_BYTES} bytes`,
        ),
      ),
    ]);
    // Just under the limit is valid.
    const fits = {
      ...EBS,
      Metadata: {
        ...EBS.Metadata,
        ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`note${i}`, 'x'.repeat(12_000)])),
      },
    };
    expect((await runCli(['validate', file('fits.json', fits)])).code).toBe(EXIT.ok);
  });

  it('validate refuses a character SQS refuses in a message', async () => {
    const r = await runCli([
      '--json',
      'validate',
      file('ffff.json', { ...EBS, Metadata: { ...EBS.Metadata, note: 'a\uffffb' } }),
    ]);
    expect(r.code).toBe(EXIT.invalid);
    expect(r.json().problems).toStrictEqual([expect.stringMatching(/U\+FFFE or U\+FFFF, which SQS refuses/)]);
  });

  it('submit sends nothing and exits 1, not 4, for such a request', async () => {
    const p = await start();
    const r = await runCli([...at(p), 'submit', file('big-submit.json', big)]);
    expect(r.code).toBe(EXIT.invalid);
    expect(r.stdout).toMatch(/Not sent\.$/m);
  });
});

describe('redrive', () => {
  it('asks for one of every failure kind the pipeline writes', async () => {
    const r = await runCli(['--local', 'redrive']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain(`--failure ${FAILURE_KINDS.join('|')}`);
    expect(FAILURE_KINDS.length).toBe(5);
  });
});

describe('no Metadata value in what the CLI prints', () => {
  it('validate and submit --json show the request with its Metadata keys, not their values', async () => {
    const r = await runCli(['--json', 'validate', file('echo.json', EBS)]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.json().request.Metadata).toStrictEqual({
      availabilityZone: '[redacted Metadata.availabilityZone]',
    });
    expect(r.stdout).not.toContain('eu-west-1a');
    const p = await start();
    const sent = await runCli([...at(p), '--json', 'submit', file('echo-submit.json', EBS)]);
    expect(sent.code).toBe(EXIT.ok);
    expect(sent.stdout).not.toContain('eu-west-1a');
    // What was sent is the request itself.
    await p.runUntilIdle();
    expect(p.aws.backup.jobs[0]?.Metadata).toMatchObject({ availabilityZone: 'eu-west-1a' });
  });

  it("status scrubs AWS's status message of the request's values", async () => {
    const p = await start();
    const failing = { ...EBS, Metadata: { availabilityZone: 'eu-west-1z' } };
    const sent = await runCli([...at(p), '--json', 'submit', file('fails.json', failing)]);
    await p.runUntilIdle();
    for (const argv of [['--json', 'status'], ['status']]) {
      const r = await runCli([...at(p), ...argv, sent.json().messageId]);
      expect(r.code).toBe(EXIT.ok);
      expect(r.stdout).toMatch(
        /Invalid availability zone: \[redacted Metadata\.availabilityZone\] does not exist/,
      );
      expect(r.stdout).not.toContain('eu-west-1z');
    }
  });
});

describe('text from data on a terminal', () => {
  const forged = 'restore-\u001b]0;pwned\u0007db\u001b[2J\r\u009b31m\u202egnp.exe';

  it('safe() shows every control and reordering character as an escape', () => {
    expect(safe(forged)).toBe('restore-\\x1b]0;pwned\\x07db\\x1b[2J\\x0d\\x9b31m\\u202egnp.exe');
    expect(safe('plain text, üñí 日本')).toBe('plain text, üñí 日本');
    expect(safeJson({ a: forged })).not.toMatch(ACTIVE);
    expect(JSON.parse(safeJson({ a: forged })).a).toBe(forged);
  });

  it('dead-letters and status print a forged alarm name as text, on a terminal and as JSON', async () => {
    const p = await start();
    const letter = {
      kind: 'restore-dead-letter',
      version: 1,
      deadLetterId: 'forged',
      failure: `rejected${forged}`,
      reason: `The alarm ${forged} has not opted in`,
      error: { name: 'ForbiddenRequestError', message: 'x', retryable: false },
      trigger: { type: `eventbridge${forged}`, id: `evt-${forged}`, attempt: 1 },
      failedAt: new Date().toISOString(),
      redriveCount: 0,
      original: { trigger: 'eventbridge', event: { detail: { alarmName: forged } } },
    };
    await p.sqs.send(
      new SendMessageCommand({ QueueUrl: p.deadLetterQueueUrl, MessageBody: JSON.stringify(letter) }),
    );
    const text = await runCli([...at(p), 'dead-letters'], { tty: true });
    expect(text.code).toBe(EXIT.ok);
    expect(text.stdout).toContain('\\x1b]0;pwned\\x07');
    expect(withoutOwnColours(text.stdout).replace(/\n/g, '')).not.toMatch(ACTIVE);
    const json = await runCli([...at(p), '--json', 'dead-letters']);
    expect(json.stdout).not.toMatch(ACTIVE);
    expect(json.json().letters[0].reason).toContain(forged);
    const status = await runCli([...at(p), 'status', `evt-${forged}`], { tty: true });
    expect(withoutOwnColours(status.stdout + status.stderr).replace(/\n/g, '')).not.toMatch(ACTIVE);
  });
});

describe('status on a table without the byTriggerId index', () => {
  it('says what is missing and how to get it', async () => {
    const p = await start();
    const ddb = new DynamoDBClient(localClientConfig(p.aws.url, 'eu-west-1'));
    await ddb.send(
      new CreateTableCommand({
        TableName: 'old-links',
        KeySchema: [{ AttributeName: 'restoreJobId', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'restoreJobId', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    ddb.destroy();
    const r = await runCli([
      ...at(p),
      '--table',
      'old-links',
      '--json',
      'status',
      'e2b0c8f4-0000-4000-8000-000000000000',
    ]);
    expect(r.code).toBe(EXIT.notFound);
    const [note] = r.json().notes as string[];
    expect(note).toMatch(/^The job-link table old-links has no byTriggerId index/);
    expect(note).toMatch(/Deploy the current serverless\.yml/);
    expect(note).toMatch(/restart `npm run serve`/);
    expect(note).not.toMatch(/older deployment/);
  });
});
