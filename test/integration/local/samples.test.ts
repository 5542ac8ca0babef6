/** The samples run with current times: one offset for all, so their order holds. */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  currentEventText,
  currentOffset,
  currentSeed,
  latestSampleTime,
  shiftTimes,
  writeCurrentEvents,
} from '../../../local/samples';
import { defaultInputs } from '../../../local/start';

describe('the samples with current times', () => {
  it('moves every time by one offset and writes each as it was', () => {
    const text =
      '{"a": "2026-11-26T10:00:00Z", "b": "2026-11-26T10:00:01.000+0000", "c": "x-20261126", "d": "2026-11-26T10:00:02.500Z"}';
    expect(shiftTimes(text, 3_600_000)).toBe(
      '{"a": "2026-11-26T11:00:00Z", "b": "2026-11-26T11:00:01.000+0000", "c": "x-20261126", "d": "2026-11-26T11:00:02.500Z"}',
    );
  });

  it('makes the latest sample time a minute ago, and keeps the seed before the alarms that use it', () => {
    const now = Date.now();
    const offset = currentOffset(now);
    const seed = JSON.stringify(currentSeed(offset));
    const alarm = currentEventText('alarm-ec2-instance.json', offset);
    const latest = latestSampleTime([seed, alarm, currentEventText('restore-requested.json', offset)]);
    expect(latest).toBeLessThanOrEqual(now - 59_000);
    expect(latest).toBeGreaterThan(now - 2 * 3_600_000);
    // Order holds: the same gap between the seed's points and the alarm as in the files.
    const raw = (f: string) => readFileSync(f, 'utf8');
    const seedFile = raw(join(__dirname, '..', '..', '..', 'local', 'seed.json'));
    const alarmFile = raw(join(__dirname, '..', '..', '..', 'events', 'alarm-ec2-instance.json'));
    expect(latestSampleTime([alarm]) - latestSampleTime([seed])).toBe(
      latestSampleTime([alarmFile]) - latestSampleTime([seedFile]),
    );
  });

  it("gives npm start's events and serve's sample copies current times", () => {
    const now = Date.now();
    const offset = currentOffset(now);
    const event = defaultInputs(offset).find(
      (i) => i.kind === 'event' && i.label.startsWith('event "Restore'),
    );
    expect(event?.kind === 'event' && now - Date.parse(event.event.time)).toBeLessThan(24 * 3_600_000);
    const dir = writeCurrentEvents(offset);
    const copy = JSON.parse(readFileSync(join(dir, 'restore-requested.json'), 'utf8')) as { time: string };
    expect(now - Date.parse(copy.time)).toBeLessThan(24 * 3_600_000);
  });
});
