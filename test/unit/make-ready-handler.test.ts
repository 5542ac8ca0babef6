/**
 * The makeReady handler with mocked AWS: only COMPLETED events of the pipeline's jobs, and a copy
 * that is not ready dead-lettered with its original request, the step, the resource and what to do.
 */

import type { CompletedRestoreEvent } from '../../handlers/make-ready';
import { auroraSourceGone, completedEvent, fakeReadyJob, makeReadyHandler } from '../helpers/make-ready';
import { mockAws, restoreAws } from '../helpers/mocks';

const REQUEST = {
  RecoveryPointArn: 'arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:awsbackup:job-1',
  ResourceType: 'Aurora',
  Metadata: { dbClusterIdentifier: 'ledger-restored', engine: 'aurora-postgresql' },
};
const COPY = 'arn:aws:rds:eu-west-1:123456789012:cluster:ledger-restored';
const COMPLETED_AT = '2026-11-26T11:59:00.000Z';

const event = (status = 'COMPLETED'): CompletedRestoreEvent =>
  completedEvent({
    status,
    resourceType: 'Aurora',
    createdResourceArn: COPY,
    completionDate: COMPLETED_AT,
    recoveryPointArn: REQUEST.RecoveryPointArn,
  });

function setup(linked: boolean) {
  const aws = mockAws();
  const items = fakeReadyJob(aws, {
    request: REQUEST,
    linked,
    sourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:ledger',
    createdResourceArn: COPY,
    completionDate: COMPLETED_AT,
  });
  // The source cluster is gone; the copy is there without an instance.
  const rdsMock = auroraSourceGone('ledger');
  const handler = makeReadyHandler(aws);
  return {
    aws,
    items,
    handler,
    done: () => {
      rdsMock.restore();
      restoreAws();
    },
  };
}

describe('makeReady', () => {
  it('ignores an event that is not a COMPLETED restore job, and a job the pipeline did not start', async () => {
    const s = setup(false);
    expect(await s.handler(event('FAILED'), undefined as never)).toBe('invalid');
    expect(await s.handler(event(), undefined as never)).toBe('not-ours');
    expect(s.aws.deadLetters()).toHaveLength(0);
    s.done();
  });

  it('dead-letters the original request when the copy cannot be made ready, and never records it ready', async () => {
    const s = setup(true);
    expect(await s.handler(event(), undefined as never)).toBe('not-ready');
    const [letter] = s.aws.deadLetters();
    expect(letter).toMatchObject({
      failure: 'make-ready-failed',
      error: { name: 'MakeReadyFailedError', retryable: false },
      original: { trigger: 'eventbridge', event: event() },
      restoreJob: { restoreJobId: 'job-1', status: 'COMPLETED', resourceType: 'Aurora' },
    });
    expect(letter?.reason).toMatch(
      // The copy's name is the request's Metadata value: hidden, under its key.
      /cluster:\[redacted Metadata\.dbClusterIdentifier\] is not ready: aurora\.writer-instance .*CreateDBInstance/,
    );
    expect((s.items.get('job-1#ready') as { state: { S: string } }).state.S).toBe('not-ready');
    expect(letter?.reason).toMatch(/delete item "job-1#ready" .* invoke the makeReady function/);
    // The operator's re-run: the not-ready record deleted, the letter's event sent again.
    s.items.delete('job-1#ready');
    expect(
      await s.handler(
        (letter?.original as unknown as { event: CompletedRestoreEvent } | undefined)
          ?.event as CompletedRestoreEvent,
        undefined as never,
      ),
    ).toBe('not-ready');
    expect(s.aws.deadLetters()).toHaveLength(2);
    s.done();
  });
});
