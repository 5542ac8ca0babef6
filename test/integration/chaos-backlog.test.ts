/**
 * The backlog campaign, small: alarms during a backlog with the job table cut off from one queue
 * instance. Asserts what the campaign counted (no timing): 0 throttled, within the quota, each
 * alarm's job before all but the next ALARM_BEHIND queued starts once its call is asked for, every request started once, and the
 * cut-off instance started nothing it was handed.
 */

import { ALARM_BEHIND, backlogChaosOk, runBacklogChaos } from '../../local/chaos-backlog';

it('accepts alarms first during a backlog, within the quota, with an instance cut off, and loses nothing', async () => {
  const t = await runBacklogChaos({ requests: 40, alarms: 2 });
  expect(t.problems).toStrictEqual([]);
  expect(t.throttled).toBe(0);
  expect(t.busiestWindow).toBeLessThanOrEqual(5);
  expect(t.lost).toBe(0);
  expect(t.duplicates).toBe(0);
  expect(t.jobs).toBe(42);
  expect(t.alarmWaits).toHaveLength(2);
  for (const w of t.alarmWaits) expect(w.queuedStartsBefore).toBeLessThanOrEqual(ALARM_BEHIND);
  expect(t.cutOffRecords).toBeGreaterThan(0);
  expect(backlogChaosOk(t)).toBe(true);
}, 180_000);
