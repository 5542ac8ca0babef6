import { BackupClient, DescribeRestoreJobCommand } from '@aws-sdk/client-backup';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler, type RestoreJobStateChange } from '../../handlers/track-restore-job';
import { snsAlerter } from '../../src/alerts';
import { detailOfDescribed, interpretJobEvent } from '../../src/outcome/job-event';
import { linkItem as buildLinkItem, inputFingerprint, type JobLink } from '../../src/table/links';
import { context, loadEvent, REGION, ROLE } from '../helpers/fixtures';
import { mockAws, restoreAws } from '../helpers/mocks';

const BODY = JSON.stringify({
  RecoveryPointArn: 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718',
  ResourceType: 'EBS',
  Metadata: { availabilityZone: 'eu-west-1z' },
});
const JOB = '7F3E2A1B-4C5D-4E6F-8A9B-0C1D2E3F4A5B';

/** The job's link as the pipeline writes it (src/table/links.ts), not built by hand. */
function linkItem(overrides: Partial<JobLink> = {}) {
  return buildLinkItem(
    {
      restoreJobId: JOB,
      original: { trigger: 'sqs', body: BODY },
      trigger: { type: 'sqs', id: 'msg-1', attempt: 1 },
      redriveCount: 0,
      recoveryPointArn: 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718',
      resourceType: 'EBS',
      startedAt: '2026-11-26T10:15:00.000Z',
      fingerprint: inputFingerprint({
        RecoveryPointArn: 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718',
        ResourceType: 'EBS',
        Metadata: { availabilityZone: 'eu-west-1z' },
      }),
      ...overrides,
    },
    new Date('2026-11-26T10:15:00.000Z'),
  );
}

function setup(
  options: { link?: ReturnType<typeof linkItem> | null; outcome?: string; alerts?: boolean } = {},
) {
  const {
    ddb,
    sqs,
    sns,
    deps,
    deadLetters: letters,
  } = mockAws({ now: () => new Date('2026-11-26T10:30:00.000Z') });
  ddb
    .on(GetItemCommand, { Key: { restoreJobId: { S: JOB } } })
    .resolves(options.link === null ? {} : { Item: options.link ?? linkItem() });
  ddb
    .on(GetItemCommand, { Key: { restoreJobId: { S: `${JOB}#outcome` } } })
    .resolves(
      options.outcome === undefined
        ? {}
        : { Item: { restoreJobId: { S: `${JOB}#outcome` }, outcome: { S: options.outcome } } },
    );
  const handler = createHandler(
    options.alerts
      ? {
          ...deps,
          alerts: snsAlerter(
            async () => new SNSClient({ region: REGION }),
            'arn:aws:sns:eu-west-1:123456789012:alerts',
          ),
        }
      : deps,
  );
  return { ddb, sqs, sns, deps, handler, letters };
}

afterEach(restoreAws);

const event = (name: string) => loadEvent<RestoreJobStateChange>(name);

describe('interpretJobEvent', () => {
  it.each([
    [
      { restoreJobId: 'j', state: 'CREATED' },
      { kind: 'progress', status: 'CREATED' },
    ],
    [
      { restoreJobId: 'j', status: 'RUNNING' },
      { kind: 'progress', status: 'RUNNING' },
    ],
    [{ restoreJobId: 'j', status: 'COMPLETED', resourceType: 'EBS' }, { kind: 'completed' }],
    [
      { restoreJobId: 'j', status: 'FAILED', statusMessage: 'KMS key disabled' },
      { kind: 'failed', status: 'FAILED', reason: 'KMS key disabled' },
    ],
    [
      { restoreJobId: 'j', status: 'ABORTED' },
      { kind: 'failed', status: 'ABORTED', reason: 'AWS gave no status message' },
    ],
    [
      {
        restoreJobId: 'j',
        status: 'COMPLETED',
        resourceType: 'S3',
        statusMessage: '12 objects failed to restore',
      },
      { kind: 'failed', status: 'COMPLETED_WITH_FAILURES', reason: '12 objects failed to restore' },
    ],
    [
      { restoreJobId: 'j', status: 'EXPLODED' },
      { kind: 'invalid', reason: 'unknown restore job status "EXPLODED"' },
    ],
    [{ status: 'FAILED' }, { kind: 'invalid', reason: 'the event has no detail.restoreJobId' }],
  ])('reads %p', (detail, meaning) => {
    expect(interpretJobEvent(detail)).toStrictEqual(meaning);
  });
});

describe('detailOfDescribed', () => {
  it("keeps what DescribeRestoreJob says of the job, the vault included (its point's stored metadata is scrubbed by it)", () => {
    const created = new Date('2026-11-26T10:00:00.000Z');
    expect(
      detailOfDescribed('j-1', {
        $metadata: {},
        RestoreJobId: 'j-1',
        Status: 'FAILED',
        StatusMessage: 'key disabled',
        ResourceType: 'DynamoDB',
        CreationDate: created,
        RecoveryPointArn: 'arn:aws:backup:eu-west-1:123456789012:recovery-point:rp-1',
        BackupVaultArn: 'arn:aws:backup:eu-west-1:123456789012:backup-vault:prod-vault',
      }),
    ).toStrictEqual({
      restoreJobId: 'j-1',
      status: 'FAILED',
      statusMessage: 'key disabled',
      resourceType: 'DynamoDB',
      creationDate: created.toISOString(),
      recoveryPointArn: 'arn:aws:backup:eu-west-1:123456789012:recovery-point:rp-1',
      backupVaultArn: 'arn:aws:backup:eu-west-1:123456789012:backup-vault:prod-vault',
    });
  });
});

describe('track-restore-job', () => {
  it('dead-letters the original request of a FAILED job once, with AWS reason, and marks the job', async () => {
    const { handler, letters, ddb, deps } = setup();
    const failed = event('restore-job-failed.json');
    await expect(handler(failed, context)).resolves.toBe('dead-lettered');
    expect(letters()).toStrictEqual([
      {
        kind: 'restore-dead-letter',
        version: 1,
        deadLetterId: expect.stringMatching(/^[0-9a-f]{32}$/),
        failure: 'restore-job-failed',
        reason: `Restore job ${JOB} ended FAILED: Invalid availability zone: [redacted Metadata.availabilityZone]. Fix the cause, then redrive this message to the request queue: it is retried with a fresh idempotency token`,
        error: { name: 'RestoreJobFailedError', message: expect.any(String), retryable: false },
        trigger: { type: 'restore-job-event', id: failed.id, attempt: 1 },
        failedAt: '2026-11-26T10:30:00.000Z',
        redriveCount: 0,
        original: { trigger: 'sqs', body: BODY },
        restoreJob: {
          restoreJobId: JOB,
          status: 'FAILED',
          statusMessage: 'Invalid availability zone: eu-west-1z',
          resourceType: 'EBS',
        },
      },
    ]);
    // The outcome is claimed before the letter is sent (two deliveries at once send one letter),
    // and marked done after, with the letter's id.
    expect(ddb.commandCalls(PutItemCommand)[0]?.args[0].input).toMatchObject({
      Item: { restoreJobId: { S: `${JOB}#outcome` }, outcome: { S: 'FAILED' }, state: { S: 'sending' } },
      ConditionExpression: 'attribute_not_exists(restoreJobId) OR (#state = :sending AND claimedAt < :stale)',
    });
    expect(ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input).toMatchObject({
      Key: { restoreJobId: { S: `${JOB}#outcome` } },
      UpdateExpression: 'SET #state = :done, #f0 = :f0',
      ExpressionAttributeValues: { ':done': { S: 'done' }, ':f0': { S: letters()[0]?.deadLetterId } },
    });
    expect(deps.metricLines.map((l) => JSON.parse(l))).toMatchObject([
      { RestoreJobsFailed: 1, ResourceType: 'EBS' },
    ]);
    // Every line about the job says whose recovery point it was (an EC2 snapshot ARN names none: ours).
    const failedLine = deps.lines
      .map((l) => JSON.parse(l))
      .find((l) => /its request was dead-lettered/.test(l.message));
    expect(failedLine).toMatchObject({ restoreJobId: JOB, sourceAccountId: '123456789012' });
    // The metadata value AWS echoed in its message is not logged.
    expect(deps.lines.join('\n')).not.toContain('eu-west-1z');
  });

  it('dead-letters an ABORTED job and an S3 restore that completed with failed objects, read from AWS', async () => {
    const { handler, letters } = setup();
    const backup = mockClient(BackupClient);
    // The event of a partial restore need not carry the message: the job as AWS describes it does.
    backup.on(DescribeRestoreJobCommand).resolves({
      RestoreJobId: JOB,
      Status: 'COMPLETED',
      ResourceType: 'S3',
      StatusMessage: 'Restore completed, 3 objects failed to restore',
    });
    const aborted = event('restore-job-failed.json');
    aborted.detail.status = 'ABORTED';
    aborted.detail.statusMessage = 'Aborted by user';
    await handler(aborted, context);
    const partial = event('restore-job-completed.json');
    Object.assign(partial.detail, { resourceType: 'S3', statusMessage: '' });
    await handler(partial, context);
    backup.restore();
    expect(letters().map((l) => [l.failure, l.restoreJob?.status])).toStrictEqual([
      ['restore-job-failed', 'ABORTED'],
      ['restore-job-failed', 'COMPLETED_WITH_FAILURES'],
    ]);
  });

  it('logs a COMPLETED job with its created resource and duration, and counts it', async () => {
    const { handler, letters, deps } = setup();
    await expect(handler(event('restore-job-completed.json'), context)).resolves.toBe('completed');
    expect(letters()).toStrictEqual([]);
    const line = deps.lines.map((l) => JSON.parse(l)).find((l) => l.message === 'Restore job completed');
    expect(line).toMatchObject({
      createdResourceArn: 'arn:aws:ec2:eu-west-1:123456789012:volume/vol-0fedcba9876543210',
      durationSeconds: 600,
    });
    expect(deps.metricLines.map((l) => JSON.parse(l))).toMatchObject([
      { RestoreJobsCompleted: 1, ResourceType: 'EBS' },
      { RestoreDuration: 600, ResourceType: 'EBS' },
    ]);
  });

  it.each([
    ['DocumentDB', true],
    ['Aurora', false],
  ])(
    'says that a %s restore has no instances yet: %s (make-ready adds an Aurora writer)',
    async (type, warned) => {
      const { handler, deps } = setup({ link: linkItem({ resourceType: type }) });
      const completed = event('restore-job-completed.json');
      completed.detail.resourceType = type;
      await handler(completed, context);
      expect(/restores create a cluster with no instances/.test(deps.lines.join('\n'))).toBe(warned);
    },
  );

  it('ignores events of jobs it did not start', async () => {
    const { handler, letters } = setup({ link: null });
    const foreign = event('restore-job-failed.json');
    foreign.detail.iamRoleArn = 'arn:aws:iam::123456789012:role/SomeoneElse';
    await expect(handler(foreign, context)).resolves.toBe('not-ours');
    expect(letters()).toStrictEqual([]);
  });

  it('retries a recent failure with our role whose link is not there yet', async () => {
    const { handler } = setup({ link: null });
    const early = event('restore-job-failed.json');
    early.detail.iamRoleArn = ROLE;
    early.detail.creationDate = '2026-11-26T10:28:00.000Z';
    await expect(handler(early, context)).rejects.toMatchObject({ retryable: true });
  });

  it('ignores duplicate and out-of-order events of a job already handled', async () => {
    const { handler, letters } = setup({ outcome: 'FAILED' });
    await expect(handler(event('restore-job-failed.json'), context)).resolves.toBe('duplicate');
    await expect(handler(event('restore-job-completed.json'), context)).resolves.toBe('duplicate');
    expect(letters()).toStrictEqual([]);
  });

  it('treats a completion that lost the race to mark the job as a duplicate', async () => {
    const { handler, ddb } = setup();
    ddb.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: 'x', $metadata: {} }));
    await expect(handler(event('restore-job-completed.json'), context)).resolves.toBe('duplicate');
  });

  describe('a completion is logged and counted exactly once, whatever the fate of its mark', () => {
    const completedLines = (lines: string[]) =>
      lines.map((l) => JSON.parse(l)).filter((l) => l.message === 'Restore job completed');
    const completedCounts = (metricLines: string[]) =>
      metricLines.map((l) => JSON.parse(l)).filter((m) => m.RestoreJobsCompleted !== undefined);

    /** The job's outcome item as DynamoDB keeps it: a write lands, and later ones fail their condition. */
    function outcomeTable(ddb: ReturnType<typeof setup>['ddb'], loseAnswers: number) {
      let stored: Record<string, unknown> | undefined;
      let lost = 0;
      ddb
        .on(GetItemCommand, { Key: { restoreJobId: { S: `${JOB}#outcome` } } })
        .callsFake(async () => (stored === undefined ? {} : { Item: stored }));
      ddb.on(PutItemCommand).callsFake(async (input: { Item?: Record<string, { S?: string }> }) => {
        if (input.Item?.restoreJobId?.S !== `${JOB}#outcome`) return {};
        if (stored !== undefined) {
          throw new ConditionalCheckFailedException({ message: 'exists', $metadata: {} });
        }
        stored = input.Item;
        // Written, but the caller sees an error (a connection reset after DynamoDB applied it).
        if (lost++ < loseAnswers)
          throw Object.assign(new Error('socket hang up'), { name: 'InternalServerError', $fault: 'server' });
        return {};
      });
      return { written: () => stored };
    }

    it('an answer lost on the mark: its retry reads the item back and finds its own write', async () => {
      const { handler, ddb, deps } = setup();
      const table = outcomeTable(ddb, 1);
      await expect(handler(event('restore-job-completed.json'), context)).resolves.toBe('completed');
      expect(table.written()?.outcome).toStrictEqual({ S: 'COMPLETED' });
      expect(completedLines(deps.lines)).toHaveLength(1);
      expect(completedCounts(deps.metricLines)).toHaveLength(1);
      // The same event delivered again finds the job handled: nothing more is logged or counted.
      await expect(handler(event('restore-job-completed.json'), context)).resolves.toBe('duplicate');
      expect(completedLines(deps.lines)).toHaveLength(1);
      expect(completedCounts(deps.metricLines)).toHaveLength(1);
    });

    it('another delivery marked it first: a duplicate, nothing logged or counted', async () => {
      const { handler, ddb, deps } = setup();
      ddb
        .on(GetItemCommand, { Key: { restoreJobId: { S: `${JOB}#outcome` } } })
        .resolvesOnce({})
        .resolves({
          Item: {
            restoreJobId: { S: `${JOB}#outcome` },
            outcome: { S: 'COMPLETED' },
            writer: { S: 'other' },
          },
        });
      ddb.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: 'x', $metadata: {} }));
      await expect(handler(event('restore-job-completed.json'), context)).resolves.toBe('duplicate');
      expect(completedLines(deps.lines)).toHaveLength(0);
      expect(completedCounts(deps.metricLines)).toHaveLength(0);
    });

    it('a mark that keeps failing is thrown (the event comes again), and nothing is counted before it is written', async () => {
      const { handler, ddb, deps } = setup();
      ddb
        .on(PutItemCommand)
        .rejects(Object.assign(new Error('down'), { name: 'InternalServerError', $fault: 'server' }));
      await expect(handler(event('restore-job-completed.json'), context)).rejects.toMatchObject({
        retryable: true,
      });
      expect(completedLines(deps.lines)).toHaveLength(0);
      expect(completedCounts(deps.metricLines)).toHaveLength(0);
      // Delivered again with DynamoDB back: counted once, then.
      outcomeTable(ddb, 0);
      await expect(handler(event('restore-job-completed.json'), context)).resolves.toBe('completed');
      expect(completedCounts(deps.metricLines)).toHaveLength(1);
    });
  });

  it("a completion whose link cannot be read is thrown, so it is delivered again (a drill's record is written only there)", async () => {
    const { handler, ddb } = setup();
    ddb
      .on(GetItemCommand, { Key: { restoreJobId: { S: JOB } } })
      .rejects(Object.assign(new Error('down'), { name: 'InternalServerError', $fault: 'server' }));
    await expect(handler(event('restore-job-completed.json'), context)).rejects.toMatchObject({
      retryable: true,
    });
  });

  it('only logs progress, including the CREATED event that carries state instead of status', async () => {
    const { handler, ddb, letters } = setup();
    await expect(handler(event('restore-job-created.json'), context)).resolves.toBe('progress');
    const running = event('restore-job-failed.json');
    running.detail.status = 'RUNNING';
    await expect(handler(running, context)).resolves.toBe('progress');
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(0);
    expect(letters()).toStrictEqual([]);
  });

  it('throws when the dead letter cannot be sent, and gives its claim up so that the retry sends it', async () => {
    const { handler, sqs, ddb } = setup();
    sqs.on(SendMessageCommand).rejects(new Error('down'));
    await expect(handler(event('restore-job-failed.json'), context)).rejects.toMatchObject({
      retryable: true,
    });
    expect(ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input)).toMatchObject([
      {
        Key: { restoreJobId: { S: `${JOB}#outcome` } },
        UpdateExpression: 'SET claimedAt = :never',
        ConditionExpression: '#state = :sending',
      },
    ]);
  });

  it('publishes one short alert per failed restore, without metadata values', async () => {
    const { handler, sns } = setup({ alerts: true });
    await handler(event('restore-job-failed.json'), context);
    const [call] = sns.commandCalls(PublishCommand);
    expect(call?.args[0].input).toMatchObject({
      TopicArn: 'arn:aws:sns:eu-west-1:123456789012:alerts',
      Subject: `Restore FAILED: EBS job ${JOB}`,
    });
    expect(call?.args[0].input.Message).toContain(
      'Invalid availability zone: [redacted Metadata.availabilityZone]',
    );
  });
});
