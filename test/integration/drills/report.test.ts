/**
 * Time to recovery on the link, the local Scan (filter after the read, 1 MB pages, LastEvaluatedKey),
 * and `restore-pipeline report` through the real SDK clients against the local endpoint.
 */

import { type AttributeValue, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { parseSince, reportCsv, summarise } from '../../../cli/report';
import { createLinkWriter, findJobLink, markJobOutcome } from '../../../src/outcome/job-link';
import { recordVerdict } from '../../../src/validation/record';
import { runCli } from '../../helpers/cli';
import { startValidationEnv, TABLE, type ValidationEnv } from '../validation/local-env';

let env: ValidationEnv;
beforeEach(async () => {
  env = await startValidationEnv();
});
afterEach(async () => {
  await env.close();
});

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

/** A link as the pipeline writes it, with its end and verdict as the tracker and validator record them. */
async function restore(
  id: string,
  type: string,
  times: { needed?: number; accepted: number; completed?: number; validated?: number },
  verdict?: 'pass' | 'fail',
  drill = false,
) {
  const request = {
    ResourceArn: `arn:aws:rds:eu-west-1:123456789012:db:${id}`,
    ...(drill ? { Drill: { DeleteAfterHours: 1 } } : {}),
  };
  await createLinkWriter(env.deps.ddb, TABLE, () => new Date()).write({
    restoreJobId: id,
    original: { trigger: 'sqs', body: JSON.stringify(request) },
    trigger: {
      type: 'sqs',
      id: `m-${id}`,
      attempt: 1,
      ...(times.needed === undefined ? {} : { neededAt: at(times.needed) }),
    },
    redriveCount: 0,
    recoveryPointArn: 'arn:aws:backup:eu-west-1:123456789012:recovery-point:x',
    resourceType: type,
    startedAt: at(times.accepted),
    fingerprint: id,
  });
  if (times.completed !== undefined)
    await markJobOutcome(env.deps.ddb, TABLE, id, 'COMPLETED', new Date(), {
      completedAt: at(times.completed),
    });
  if (verdict !== undefined && times.validated !== undefined) {
    await recordVerdict(env.deps.ddb, TABLE, id, {
      verdict,
      reason: verdict,
      checkedBy: 'built-in',
      attempts: 1,
      validatedAt: at(times.validated),
    } as never);
  }
}

it('keeps the time the need arose and the times of acceptance and completion on the link', async () => {
  await restore('job-1', 'RDS', { needed: 0, accepted: 2, completed: 600 });
  const link = await findJobLink(env.deps.ddb, TABLE, 'job-1');
  expect(link).toMatchObject({
    neededAt: at(0),
    acceptedAt: at(2),
    completedAt: at(600),
    outcome: 'COMPLETED',
  });
});

it("takes an event request's need from the event time, and an alarm's from its state change", async () => {
  const write = createLinkWriter(env.deps.ddb, TABLE, () => new Date());
  const base = { redriveCount: 0, recoveryPointArn: 'p', startedAt: at(5), fingerprint: 'f' };
  await write.write({
    ...base,
    restoreJobId: 'ev',
    original: { trigger: 'eventbridge', event: { source: 'ops', time: at(1), detail: {} } },
    trigger: { type: 'eventbridge', id: 'e', attempt: 1 },
  });
  await write.write({
    ...base,
    restoreJobId: 'al',
    original: {
      trigger: 'eventbridge',
      event: { source: 'aws.cloudwatch', time: at(3), detail: { state: { timestamp: at(-60) } } },
    },
    trigger: { type: 'eventbridge', id: 'a', attempt: 1 },
  });
  expect((await findJobLink(env.deps.ddb, TABLE, 'ev'))?.neededAt).toBe(at(1));
  expect((await findJobLink(env.deps.ddb, TABLE, 'al'))?.neededAt).toBe(at(-60));
});

describe('local Scan, as DynamoDB documents it', () => {
  it('filters after the read: Limit counts items read, and a page may match none yet carry LastEvaluatedKey', async () => {
    for (let i = 0; i < 5; i++) {
      await env.deps.ddb.send(
        new PutItemCommand({ TableName: TABLE, Item: { restoreJobId: { S: `k${i}` }, n: { N: String(i) } } }),
      );
    }
    // Two items read a page, those with n from `least` on kept (a Scan's order is DynamoDB's own).
    const scan = (least: number, start?: Record<string, AttributeValue>) =>
      env.deps.ddb.send(
        new ScanCommand({
          TableName: TABLE,
          Limit: 2,
          FilterExpression: 'n >= :least',
          ExpressionAttributeValues: { ':least': { N: String(least) } },
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
    const page = await scan(10);
    expect(page).toMatchObject({ Count: 0, ScannedCount: 2, Items: [] });
    expect(page.LastEvaluatedKey).toBeDefined();
    const seen: string[] = [];
    let scanned = 0;
    let start: Record<string, AttributeValue> | undefined;
    do {
      const next = await scan(3, start);
      seen.push(...(next.Items ?? []).map((i) => i.restoreJobId?.S ?? ''));
      scanned += next.ScannedCount ?? 0;
      start = next.LastEvaluatedKey;
    } while (start !== undefined);
    expect(seen.sort()).toStrictEqual(['k3', 'k4']);
    expect(scanned).toBe(5);
  });

  it('answers at most 1 MB a page', async () => {
    const big = 'x'.repeat(300 * 1024);
    for (let i = 0; i < 5; i++) {
      await env.deps.ddb.send(
        new PutItemCommand({ TableName: TABLE, Item: { restoreJobId: { S: `b${i}` }, d: { S: big } } }),
      );
    }
    const page = await env.deps.ddb.send(new ScanCommand({ TableName: TABLE }));
    expect(page.ScannedCount).toBe(4);
    expect(page.LastEvaluatedKey).toBeDefined();
  });
});

describe('restore-pipeline report', () => {
  it('parses --since', () => {
    expect(parseSince('7d')).toBe(7 * 86_400_000);
    expect(parseSince('36h')).toBe(36 * 3_600_000);
    expect(parseSince('seven days')).toBeUndefined();
    expect(parseSince('0d')).toBeUndefined();
  });

  it('counts, pass rate, median and worst per resource type', () => {
    const row = (type: string, ttr: number | undefined, verdict?: 'pass' | 'fail') => ({
      restoreJobId: 'x',
      resourceType: type,
      drill: false,
      status: 'COMPLETED',
      ...(verdict === undefined ? {} : { verdict }),
      durations: ttr === undefined ? {} : { timeToValidated: ttr },
    });
    const [rds] = summarise([
      row('RDS', 100, 'pass'),
      row('RDS', 300, 'pass'),
      row('RDS', 200, 'pass'),
      row('RDS', undefined, 'fail'),
    ]);
    expect(rds).toMatchObject({ restores: 4, validated: 4, passed: 3, passRate: 0.75 });
    expect(rds?.timeToRecovery).toStrictEqual({ median: 200, worst: 300, count: 3 });
  });

  it('reads the table through the SDK and prints JSON and CSV', async () => {
    const now = Date.now();
    // Started now-ish, so --since 7d sees them (times relative to now).
    const rel = (s: number) => (now - T0) / 1000 - 3600 + s;
    await restore(
      'r1',
      'RDS',
      { needed: rel(0), accepted: rel(10), completed: rel(610), validated: rel(910) },
      'pass',
      true,
    );
    await restore(
      'r2',
      'RDS',
      { needed: rel(0), accepted: rel(20), completed: rel(1220), validated: rel(1520) },
      'pass',
    );
    await restore(
      'r3',
      'RDS',
      { needed: rel(0), accepted: rel(30), completed: rel(330), validated: rel(400) },
      'fail',
    );
    await restore(
      'd1',
      'DynamoDB',
      { needed: rel(0), accepted: rel(5), completed: rel(65), validated: rel(125) },
      'pass',
    );
    // Older than the window: left out.
    await restore('old', 'RDS', { accepted: -30 * 86_400 + (now - T0) / 1000, completed: 0 }, 'pass');
    const args = ['--endpoint-url', env.aws.url, '--table', TABLE];
    const json = await runCli([...args, '--json', 'report', '--since', '7d']);
    expect(json.code).toBe(0);
    const types = json.json<{ types: any[] }>().types;
    expect(types.map((t) => t.resourceType)).toStrictEqual(['DynamoDB', 'RDS']);
    expect(types[1]).toMatchObject({
      restores: 3,
      drills: 1,
      completed: 3,
      validated: 3,
      passed: 2,
      passRate: 2 / 3,
    });
    // Time to recovery: need -> validated, passes only (910 and 1520 s).
    expect(types[1].timeToRecovery).toStrictEqual({ median: 1215, worst: 1520, count: 2 });
    // AWS Backup's own time: accepted -> completed (600, 1200, 300 s).
    expect(types[1].restoreDuration).toStrictEqual({ median: 600, worst: 1200, count: 3 });
    const csv = await runCli([...args, 'report', '--since', '7d', '--csv']);
    expect(csv.stdout.split('\n')[0]).toBe(
      'resourceType,restores,drills,completed,failed,validated,passed,passRate,timeToRecoveryMedian,timeToRecoveryWorst,timeToRestoredMedian,timeToRestoredWorst,restoreDurationMedian,restoreDurationWorst',
    );
    expect(csv.stdout).toContain('DynamoDB,1,0,1,0,1,1,1,125,125,65,65,60,60');
    const text = await runCli([...args, 'report']);
    expect(text.stdout).toMatch(/RDS\s+3\s+1\s+3\s+0\s+67% \(2\/3\)\s+20m 15s\s+25m 20s/);
    expect(reportCsv([])).toBe(
      'resourceType,restores,drills,completed,failed,validated,passed,passRate,timeToRecoveryMedian,timeToRecoveryWorst,timeToRestoredMedian,timeToRestoredWorst,restoreDurationMedian,restoreDurationWorst',
    );
  });
});
