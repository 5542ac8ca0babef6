/**
 * makeReady remembers the request's Metadata values as the invocation's secrets (as the tracker
 * does: rememberNamedSecrets(namedSecretsOfOriginal(link.original))): its log lines and its dead
 * letter's reason never print them: here the request's dbClusterIdentifier, in createdResourceArn,
 * and the AWS error text of the failed step.
 */
import { auroraSourceGone, completedEvent, fakeReadyJob, makeReadyHandler } from '../helpers/make-ready';
import { mockAws, restoreAws } from '../helpers/mocks';

const SECRET = 'ledger-k7Qz9-restored';
const REQUEST = {
  RecoveryPointArn: 'arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:awsbackup:job-1',
  ResourceType: 'Aurora',
  Metadata: { dbClusterIdentifier: SECRET, engine: 'aurora-postgresql' },
};

test('no Metadata value of the request in make-ready log lines or its dead letter', async () => {
  const aws = mockAws();
  const copy = `arn:aws:rds:eu-west-1:123456789012:cluster:${SECRET}`;
  fakeReadyJob(aws, {
    request: REQUEST,
    sourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:ledger',
    createdResourceArn: copy,
  });
  const rdsMock = auroraSourceGone('ledger');
  const handler = makeReadyHandler(aws);
  const event = completedEvent({
    resourceType: 'Aurora',
    createdResourceArn: copy,
    completionDate: '2026-11-26T11:59:00.000Z',
    recoveryPointArn: REQUEST.RecoveryPointArn,
  });
  expect(await handler(event, undefined as never)).toBe('not-ready');
  const letters = aws.deadLetters();
  rdsMock.restore();
  restoreAws();
  const leaked = {
    logLines: aws.deps.lines.filter((l) => l.includes(SECRET)).length,
    letterReasons: letters.filter((l) =>
      JSON.stringify({ reason: l.reason, error: l.error }).includes(SECRET),
    ).length,
  };
  expect(leaked).toStrictEqual({ logLines: 0, letterReasons: 0 });
});
