/**
 * The COMPLETED event is the only way into makeReady. When it never arrives (EventBridge gives no
 * guarantee; Lambda drops an async event past maximumEventAge or when its queue overflows), the
 * reconciler settles the job for the tracker, and, for a type with make-ready steps and no
 * `<jobId>#ready` record, dead-letters the original request naming the copy and what to do: an
 * Aurora recovery is never left without any instance with nobody told.
 */
import {
  DescribeRestoreJobCommand,
  GetRecoveryPointRestoreMetadataCommand,
  ListRestoreJobsCommand,
} from '@aws-sdk/client-backup';
import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { createLogger } from '../../src/logger';
import { RECONCILE_DEFAULTS, reconcileRestoreJobs } from '../../src/runner/reconcile';
import { linkItem } from '../../src/table/links';
import { mockAws, restoreAws } from '../helpers/mocks';

const REQUEST = {
  RecoveryPointArn: 'arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:awsbackup:job-1',
  ResourceType: 'Aurora',
  Metadata: { dbClusterIdentifier: 'ledger-restored', engine: 'aurora-postgresql' },
};

test('a COMPLETED Aurora job whose event was lost is made ready (or reported) by someone', async () => {
  const aws = mockAws();
  const items = new Map<string, Record<string, unknown>>();
  items.set(
    'job-1',
    linkItem(
      {
        restoreJobId: 'job-1',
        original: { trigger: 'sqs', body: JSON.stringify(REQUEST) },
        trigger: { type: 'sqs', id: 'm-1', attempt: 1 },
        redriveCount: 0,
        recoveryPointArn: REQUEST.RecoveryPointArn,
        resourceType: 'Aurora',
        startedAt: '2026-11-26T10:00:00.000Z',
        fingerprint: 'f',
      },
      new Date('2026-11-26T10:00:00.000Z'),
    ) as Record<string, unknown>,
  );
  aws.ddb.on(GetItemCommand).callsFake((i) => ({ Item: items.get(i.Key.restoreJobId.S) }));
  aws.ddb.on(PutItemCommand).callsFake((i) => {
    items.set(i.Item.restoreJobId.S, i.Item);
    return {};
  });
  aws.ddb.on(UpdateItemCommand).callsFake((i) => {
    const key = i.Key.restoreJobId.S;
    items.set(key, { ...(items.get(key) ?? { restoreJobId: { S: key } }) });
    return {};
  });
  const job = {
    RestoreJobId: 'job-1',
    Status: 'COMPLETED' as const,
    ResourceType: 'Aurora',
    RecoveryPointArn: REQUEST.RecoveryPointArn,
    CreatedResourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:ledger-restored',
    CreationDate: new Date('2026-11-26T10:00:00.000Z'),
    CompletionDate: new Date('2026-11-26T11:00:00.000Z'),
  };
  aws.backup.on(ListRestoreJobsCommand).resolves({ RestoreJobs: [job] });
  aws.backup.on(DescribeRestoreJobCommand).resolves(job);
  aws.backup.on(GetRecoveryPointRestoreMetadataCommand).resolves({ RestoreMetadata: {} });
  const report = await reconcileRestoreJobs(aws.deps, createLogger({ sink: () => undefined }), {
    ...RECONCILE_DEFAULTS,
    deadline: Date.now() + 60_000,
  });
  const letters = aws.deadLetters();
  restoreAws();
  expect(report.examined).toBe(1);
  // The job was settled for the tracker; make-ready must have run, been asked for, or been reported.
  const handled = items.has('job-1#ready') || letters.some((l) => /ready/i.test(l.reason));
  expect({ outcomes: report.outcomes, madeReadyOrReported: handled }).toStrictEqual({
    outcomes: report.outcomes,
    madeReadyOrReported: true,
  });
  expect(letters).toHaveLength(1);
  // The copy's name is the request's Metadata value: hidden in the letter.
  expect(letters[0]?.reason).not.toContain('ledger-restored');
  expect(letters[0]?.reason).toMatch(
    /COMPLETED event never came.*make-ready steps of Aurora.*Do not redrive/,
  );
});
