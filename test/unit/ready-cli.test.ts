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

  it('says when the reconciler asked makeReady for a job whose COMPLETED event was lost, until its record comes', () => {
    expect(readyText('COMPLETED', undefined, '2026-12-07T12:00:00.000Z')).toBe(
      'COMPLETED -> make-ready asked by the reconciler at 2026-12-07T12:00:00.000Z (its COMPLETED event never reached makeReady)',
    );
    // Once makeReady has recorded the job, its record is what counts.
    expect(readyText('COMPLETED', record({ readySeconds: 3700 }), '2026-12-07T12:00:00.000Z')).toBe(
      'COMPLETED -> ready (3700.0 s after completed, 1 setting differs)',
    );
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
