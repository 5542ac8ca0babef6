/** The report of `npm start`: what it refuses, what it counts, and how it reads. */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkedFaultPlan, defaultInputs, plural, readInputs, run } from '../../../local/start';

describe('--faults', () => {
  it('refuses a misspelled operation, and says which one was meant', () => {
    expect(() => checkedFaultPlan('StartRestorJob=ServiceUnavailable:0.3')).toThrow(
      /"StartRestorJob" is not an operation of the local endpoint \(did you mean StartRestoreJob\?\)/,
    );
    expect(() => checkedFaultPlan('Banana:restore-requests=latency:5')).toThrow(/"Banana"/);
  });

  it('refuses a rate above 1 or below 0, and rates of one operation adding up to more than 1', () => {
    expect(() => checkedFaultPlan('StartRestoreJob=ServiceUnavailable:1.5')).toThrow(
      /the rate of ServiceUnavailable is 1.5; a rate is from 0 to 1/,
    );
    expect(() => checkedFaultPlan('*=Throttling:-0.1')).toThrow(/the rate of Throttling is -0.1/);
    expect(() => checkedFaultPlan('SendMessage=Throttling:0.6,LostResponse:0.6')).toThrow(/add up to 1.2/);
  });

  it('takes what docs/development.md shows', () => {
    expect(
      checkedFaultPlan(
        'StartRestoreJob=ServiceUnavailable:0.3,latency:50;SendMessage:restore-dead-letters=LostResponse:0.1;*=rate-limit:20',
      ),
    ).toStrictEqual({
      StartRestoreJob: { errorRates: { ServiceUnavailable: 0.3 }, latencyMs: 50 },
      'SendMessage:restore-dead-letters': { errorRates: { LostResponse: 0.1 } },
      '*': { rateLimitPerSecond: 20 },
    });
  });
});

describe('--events', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'events-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the file it cannot use, and why', () => {
    const bad = join(dir, 'typo.json');
    writeFileSync(bad, '{"Records": [');
    expect(() => readInputs(bad)).toThrow(new RegExp(`The events file ${bad} cannot be used: not JSON`));
    expect(() => readInputs(join(dir, 'missing.json'))).toThrow(/missing\.json cannot be used: no such file/);
    const noBody = join(dir, 'no-body.json');
    writeFileSync(noBody, JSON.stringify({ Records: [{ messageId: '1' }] }));
    expect(() => readInputs(noBody)).toThrow(
      /no-body\.json has a record \(Records\[0\]\) without a string "body"/,
    );
  });
});

describe('the report', () => {
  it('reads right in the singular and the plural', () => {
    expect(plural(1, 'dead letter')).toBe('1 dead letter');
    expect(plural(0, 'dead letter')).toBe('0 dead letters');
    expect(plural(2, 'retry', 'retries')).toBe('2 retries');
  });

  it('counts ignored and skipped alarms and injected faults in the summary', async () => {
    const lines: string[] = [];
    const alarms = defaultInputs().filter((i) => i.kind === 'event' && i.label.startsWith('alarm '));
    const { pipeline } = await run(alarms, {
      faults: 'StartRestoreJob=ServiceUnavailable:0.2',
      out: (l) => lines.push(l),
    });
    const ignored = lines.filter((l) => l.includes('-> ignored:')).length;
    const skipped = lines.filter((l) => l.includes('-> skipped:')).length;
    expect(ignored).toBeGreaterThan(1);
    expect(skipped).toBeGreaterThan(0);
    const summary = lines.find((l) => l.startsWith('Summary:')) ?? '';
    expect(summary).toContain(`${plural(ignored, 'alarm')} ignored, ${plural(skipped, 'alarm')} skipped.`);
    expect(summary).toMatch(new RegExp(`^Summary: ${alarms.length} requests, `));
    // The line says what the endpoint counted.
    const counts = pipeline.aws.faults.counts;
    const injected = counts.StartRestoreJob?.ServiceUnavailable ?? 0;
    const calls = Object.values(counts).reduce((sum, c) => sum + (c.calls ?? 0), 0);
    expect(calls).toBeGreaterThan(0);
    expect(lines).toContain(
      `Faults injected: ${plural(injected, 'fault')} in ${plural(calls, 'call')}${injected === 0 ? '' : ` (StartRestoreJob ServiceUnavailable ${injected})`}.`,
    );
    expect(lines.join('\n')).not.toMatch(/\b1 (requests|dead letters|faults|messages|alarms)\b/);
  }, 60_000);
});
