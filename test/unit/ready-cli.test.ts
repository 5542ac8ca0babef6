/** The CLI's view of make-ready: `status` says completed -> ready and its time, `report` counts it. */

import { type ReportRow, reportText, summarise } from '../../cli/report';
import { readyText } from '../../cli/status';
import type { ReadyRecord } from '../../src/table/ready';

const record = (over: Partial<ReadyRecord>): ReadyRecord => ({
  restoreJobId: 'j1',
  state: 'ready',
  resourceType: 'DynamoDB',
  restoredArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders-restored',
  completedAt: '2026-12-07T01:00:00.000Z',
  steps: [],
  diff: [{ setting: 'name', why: 'a restore creates a new resource' }],
  ...over,
});

const row = (ready: ReportRow['ready']): ReportRow => ({
  restoreJobId: 'j',
  resourceType: 'DynamoDB',
  drill: false,
  status: 'COMPLETED',
  durations: {},
  ...(ready === undefined ? {} : { ready }),
});

describe('status', () => {
  it('shows completed -> ready with its time and how many settings still differ', () => {
    expect(readyText('COMPLETED', record({ readySeconds: 12.34 }))).toBe(
      'COMPLETED -> ready (12.3 s after completed, 1 setting differs)',
    );
    expect(readyText('COMPLETED', record({ state: 'not-ready', diff: [] }))).toBe(
      'COMPLETED -> not-ready (0 settings differ)',
    );
    expect(readyText('COMPLETED', undefined)).toBe('COMPLETED');
  });
});

describe('report', () => {
  it('counts the restores made ready (and not), with the median time from completed to ready', () => {
    const [s] = summarise([
      row({ state: 'ready', seconds: 10 }),
      row({ state: 'ready', seconds: 30 }),
      row({ state: 'not-ready' }),
    ]);
    expect(s?.ready).toStrictEqual({ count: 2, notReady: 1, median: 20, worst: 30 });
    expect(reportText(summarise([row({ state: 'ready', seconds: 10 })]), new Date(0))).toMatch(/1 \(10s\)/);
  });

  it('says nothing of make-ready for types without a record', () => {
    expect(summarise([row(undefined)])[0]?.ready).toBeUndefined();
  });
});
