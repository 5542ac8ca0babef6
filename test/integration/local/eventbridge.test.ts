/** The local EventBridge: the deployed rules' patterns, PutEvents on the wire, and routing to the functions. */

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { deployedPatterns, matchesPattern } from '../../../local/eventbridge';
import { defaultSeed } from '../../../local/pipeline';
import { loadEvent } from '../../helpers/fixtures';
import { localPipelines } from '../../helpers/pipeline';

type Event = { source: string; 'detail-type': string; detail: Record<string, any>; id: string };
const patterns = deployedPatterns();

describe('the deployed rules, matched locally', () => {
  it('passes only opted-in alarms going into ALARM (name prefix or tag), as the rule does', () => {
    const files = readdirSync(join(__dirname, '..', '..', '..', 'events')).filter((f) =>
      f.startsWith('alarm-'),
    );
    expect(files.length).toBeGreaterThan(5);
    const events = files.flatMap((file) => {
      const data = loadEvent<Event | Event[]>(file);
      return (Array.isArray(data) ? data : [data]).map((event) => ({ file, event }));
    });
    expect(events.filter(({ event }) => event.detail.state.value !== 'ALARM').length).toBeGreaterThan(1);
    for (const { file, event } of events) {
      const optedIn =
        String(event.detail.alarmName).startsWith('restore-') ||
        event.detail.alarmTags?.['backup-restore:enabled'] === 'true';
      expect([file, matchesPattern(patterns.restoreOnAlarm, event)]).toStrictEqual([
        file,
        optedIn && event.detail.state.value === 'ALARM',
      ]);
    }
    const event = loadEvent<Event>('alarm-ec2-instance.json');
    event.detail.alarmName = 'cpu-high';
    expect(matchesPattern(patterns.restoreOnAlarm, event)).toBe(false);
    event.detail.alarmTags = { 'backup-restore:enabled': 'true' };
    expect(matchesPattern(patterns.restoreOnAlarm, event)).toBe(true);
    event.detail.alarmTags = { 'backup-restore:enabled': 'false' };
    expect(matchesPattern(patterns.restoreOnAlarm, event)).toBe(false);
  });

  it('passes restore job events on detail.status only: the CREATED event (detail.state) never matches', () => {
    expect(matchesPattern(patterns.trackRestoreJob, loadEvent('restore-job-completed.json'))).toBe(true);
    expect(matchesPattern(patterns.trackRestoreJob, loadEvent('restore-job-failed.json'))).toBe(true);
    expect(matchesPattern(patterns.trackRestoreJob, loadEvent('restore-job-created.json'))).toBe(false);
    const running = loadEvent<Event>('restore-job-completed.json');
    running.detail.status = 'RUNNING';
    expect(matchesPattern(patterns.trackRestoreJob, running)).toBe(false);
  });

  it('passes "Restore Requested" from the configured source only', () => {
    const event = loadEvent<Event>('restore-requested.json');
    expect(matchesPattern(patterns.restoreFromEvent, event)).toBe(true);
    expect(
      matchesPattern(
        deployedPatterns({ restoreRequestSource: 'other', alarmNamePrefix: 'x' }).restoreFromEvent,
        event,
      ),
    ).toBe(false);
    expect(matchesPattern(patterns.restoreFromEvent, { ...event, 'detail-type': 'Restore requested' })).toBe(
      false,
    );
    expect(matchesPattern(patterns.restoreFromEvent, { ...event, source: undefined })).toBe(false);
  });

  it('refuses pattern features it does not implement, rather than matching wrongly', () => {
    expect(() =>
      matchesPattern({ detail: { size: [{ numeric: ['>', 1] }] } }, { detail: { size: 2 } }),
    ).toThrow(/numeric/);
  });
});

const start = localPipelines(() => ({
  seed: { ...defaultSeed(), timing: { runningAfterMs: 20, doneAfterMs: 60 } },
  // Longer than a loaded machine takes for a batch: a shorter one redelivers batches still in flight.
  visibilityTimeoutS: 2,
  asyncRetryDelaysMs: [10, 20],
}));

/** PutEvents as the SDK's EventBridge client sends it (AWS JSON 1.1). */
async function putEvents(url: string, entries: unknown) {
  const res = await fetch(`${url}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
    body: JSON.stringify({ Entries: entries }),
  });
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as any };
}

const entry = (e: Event) => ({
  Source: e.source,
  DetailType: e['detail-type'],
  Detail: JSON.stringify(e.detail),
});

describe('PutEvents on the local endpoint', () => {
  it('routes each event to the function whose rule matches, and only there', async () => {
    const p = await start();
    const requested = loadEvent<Event>('restore-requested.json');
    const alarm = loadEvent<Event>('alarm-ebs-volume.json');
    const ok = loadEvent<Event>('alarm-ok.json');
    const other = { ...requested, source: 'someone.else' };
    const out = await putEvents(p.aws.url, [entry(requested), entry(alarm), entry(ok), entry(other)]);
    expect(out.status).toBe(200);
    expect(out.type).toBe('application/x-amz-json-1.1');
    expect(out.body.FailedEntryCount).toBe(0);
    expect(out.body.Entries).toHaveLength(4);
    await p.runUntilIdle();
    const routed = p.aws.events.events.filter((e) => e.event.source !== 'aws.backup');
    expect(routed.map((e) => e.matched)).toStrictEqual([['restoreFromEvent'], ['restoreOnAlarm'], [], []]);
    // Each routed event started a job of its own; the event ids are the ones PutEvents answered.
    expect(routed.map((e) => e.event.id)).toStrictEqual(
      out.body.Entries.map((x: { EventId: string }) => x.EventId),
    );
    expect(p.aws.backup.jobs).toHaveLength(2);
    expect(p.aws.backup.jobs.map((j) => j.Status).sort()).toStrictEqual(['COMPLETED', 'COMPLETED']);
    // AWS Backup's end events reached the tracker; its progress events matched no rule.
    const jobEvents = p.aws.events.events.filter((e) => e.event.source === 'aws.backup');
    expect(jobEvents.some((e) => e.matched.length === 0)).toBe(true);
    for (const e of jobEvents) {
      const status = (e.event.detail as { status?: string }).status;
      expect(e.matched).toStrictEqual(status === 'COMPLETED' ? ['trackRestoreJob'] : []);
    }
  });

  it('fails an entry without a detail, or with a detail that is not a JSON object, and keeps the others', async () => {
    const p = await start();
    const requested = loadEvent<Event>('restore-requested.json');
    const out = await putEvents(p.aws.url, [
      { Source: 'backup-restore.requests', DetailType: 'Restore Requested' },
      { ...entry(requested), Detail: '{not json' },
      { ...entry(requested), Detail: '[1]' },
      entry(requested),
    ]);
    expect(out.body.FailedEntryCount).toBe(3);
    expect(out.body.Entries.map((e: { ErrorCode?: string }) => e.ErrorCode)).toStrictEqual([
      'InvalidArgument',
      'MalformedDetail',
      'MalformedDetail',
      undefined,
    ]);
    await p.runUntilIdle();
    expect(p.aws.backup.jobs).toHaveLength(1);
  });

  it('refuses a request of no entries or more than 10, as a whole', async () => {
    const p = await start();
    for (const entries of [
      [],
      Array.from({ length: 11 }, () => entry(loadEvent('restore-requested.json'))),
    ]) {
      const out = await putEvents(p.aws.url, entries);
      expect(out.status).toBe(400);
      expect(out.body.__type).toBe('ValidationException');
    }
    expect(p.aws.events.events).toHaveLength(0);
  });
});
