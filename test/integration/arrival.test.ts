import { gzipSync } from 'node:zlib';
import { arriveFromEvent, arriveFromSqs, type RequestBody } from '../../src/arrival/decode';
import { secretsOfOriginal } from '../../src/arrival/secrets';
import { parseArrivedRequest } from '../../src/checks/request';
import { InvalidRequestError } from '../../src/errors';
import { buildDeadLetter } from '../../src/letters/dead-letters';
import { deadLetters } from '../helpers/dead-letters';
import { testConfig } from '../helpers/fixtures';
import { localPipelines } from '../helpers/pipeline';

const POINT = 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718';
const REQUEST = {
  RecoveryPointArn: POINT,
  ResourceType: 'EBS',
  Metadata: { availabilityZone: 'eu-west-1a' },
};
const BY_RESOURCE = {
  ResourceArn: 'arn:aws:rds:eu-west-1:123456789012:db:orders-db',
  Metadata: { DBInstanceClass: 'db.r6g.large' },
};
const now = new Date('2026-11-26T12:00:00.000Z');
const trigger = { type: 'sqs', id: 'm-1', attempt: 5 } as const;

function letterOf(original: Parameters<typeof buildDeadLetter>[0]['original'], redriveCount = 0) {
  return buildDeadLetter({
    failure: 'rejected',
    error: new Error('x'),
    trigger,
    original,
    now,
    redriveCount,
  });
}

const restoreRequested = { id: 'e-1', source: 'ops', 'detail-type': 'Restore Requested', detail: REQUEST };
const alarm = {
  id: 'e-2',
  source: 'aws.cloudwatch',
  'detail-type': 'CloudWatch Alarm State Change',
  detail: { alarmName: 'restore-orders' },
};
const jobEvent = {
  id: 'e-3',
  source: 'aws.backup',
  'detail-type': 'Restore Job State Change',
  detail: { restoreJobId: 'J1', status: 'FAILED' },
};

describe('arriveFromSqs', () => {
  it('decodes a restore request body once: the exact body, the parsed request, its secrets', () => {
    const body = JSON.stringify(REQUEST);
    expect(arriveFromSqs(body)).toStrictEqual({
      original: { trigger: 'sqs', body },
      redriveCount: 0,
      kind: 'restore-request',
      request: { value: REQUEST },
      secrets: ['eu-west-1a'],
    });
  });

  it('tells a request by resource from one by recovery point', () => {
    const body = JSON.stringify(BY_RESOURCE);
    expect(arriveFromSqs(body)).toStrictEqual({
      original: { trigger: 'sqs', body },
      redriveCount: 0,
      kind: 'resource-request',
      request: { value: BY_RESOURCE },
      secrets: ['db.r6g.large'],
    });
    // Both ARNs: a request by recovery point, as the checks read it (and refuse the extra field).
    expect(arriveFromSqs(JSON.stringify({ ...BY_RESOURCE, RecoveryPointArn: POINT })).kind).toBe(
      'restore-request',
    );
  });

  it('keeps a body that is not JSON exactly, with the refusal and every value that may be a secret', () => {
    const body = '{"RecoveryPointArn": "p", "Metadata": {"password": "CANARY-xyz", broken';
    expect(arriveFromSqs(body)).toStrictEqual({
      original: { trigger: 'sqs', body },
      redriveCount: 0,
      kind: 'restore-request',
      request: {
        unreadable: new InvalidRequestError(
          `The message body is not valid JSON (syntax error at character 65 of ${body.length})`,
        ),
      },
      secrets: ['p', 'CANARY-xyz'],
    });
  });

  it('refuses an empty body as empty', () => {
    expect(arriveFromSqs('  ')).toStrictEqual({
      original: { trigger: 'sqs', body: '  ' },
      redriveCount: 0,
      kind: 'restore-request',
      request: {
        unreadable: new InvalidRequestError('The message body is empty; send one restore request as JSON'),
      },
      secrets: [],
    });
  });

  it('gives back the original of a redriven dead letter, its claims kept aside, and counts the redrive', () => {
    const body = JSON.stringify(REQUEST);
    const letter = letterOf({ trigger: 'sqs', body }, 2);
    expect(arriveFromSqs(JSON.stringify(letter))).toStrictEqual({
      original: { trigger: 'sqs', body },
      redriveCount: 3,
      redriven: {
        kind: 'dead-letter',
        original: { trigger: 'sqs', body },
        redriveCount: 3,
        failure: 'rejected',
        deadLetterId: letter.deadLetterId,
      },
      kind: 'restore-request',
      request: { value: REQUEST },
      secrets: ['eu-west-1a'],
    });
  });

  it('unpacks the compressed original of a letter, and keeps it compressed as it came', () => {
    const original = {
      trigger: 'sqs',
      bodyGzipBase64: gzipSync(JSON.stringify(BY_RESOURCE)).toString('base64'),
    };
    const arrival = arriveFromSqs(JSON.stringify({ kind: 'restore-dead-letter', original }));
    expect(arrival).toStrictEqual({
      original,
      redriveCount: 1,
      redriven: { kind: 'dead-letter', original, redriveCount: 1, failure: 'rejected', deadLetterId: '' },
      kind: 'resource-request',
      request: { value: BY_RESOURCE },
      secrets: ['db.r6g.large'],
    });
  });

  it('refuses a compressed original that does not unpack, without throwing on arrival', () => {
    const original = { trigger: 'sqs', bodyGzipBase64: Buffer.from('not gzip').toString('base64') };
    const arrival = arriveFromSqs(JSON.stringify({ kind: 'restore-dead-letter', original }));
    expect(arrival).toMatchObject({ original, kind: 'restore-request', secrets: [] });
    expect(arrival).toMatchObject({
      request: {
        unreadable: new InvalidRequestError(
          'The compressed original cannot be unpacked within 1048576 bytes (too large or damaged); it is refused',
        ),
      },
    });
    expect(() => parseArrivedRequest((arrival as { request: RequestBody }).request, testConfig())).toThrow(
      InvalidRequestError,
    );
  });

  it("decodes Lambda's on-failure record of each kind of event", () => {
    const record = (event: object) =>
      JSON.stringify({ requestContext: {}, requestPayload: event, responseContext: {}, responsePayload: {} });
    const redriven = (event: object) => ({
      kind: 'on-failure-record',
      original: { trigger: 'eventbridge', event },
      redriveCount: 1,
    });
    expect(arriveFromSqs(record(restoreRequested))).toStrictEqual({
      original: { trigger: 'eventbridge', event: restoreRequested },
      redriveCount: 1,
      redriven: redriven(restoreRequested),
      kind: 'restore-request',
      request: { value: REQUEST },
      secrets: ['eu-west-1a'],
    });
    expect(arriveFromSqs(record(alarm))).toStrictEqual({
      original: { trigger: 'eventbridge', event: alarm },
      redriveCount: 1,
      redriven: redriven(alarm),
      kind: 'alarm',
      event: alarm,
      secrets: [],
    });
    expect(arriveFromSqs(record(jobEvent))).toStrictEqual({
      original: { trigger: 'eventbridge', event: jobEvent },
      redriveCount: 1,
      redriven: redriven(jobEvent),
      kind: 'job-event',
      event: jobEvent,
      secrets: [],
    });
  });

  it('reads an event-shaped body sent to the queue directly as a request, never as an event', () => {
    const body = JSON.stringify(alarm);
    expect(arriveFromSqs(body)).toStrictEqual({
      original: { trigger: 'sqs', body },
      redriveCount: 0,
      kind: 'restore-request',
      request: { value: alarm },
      secrets: [],
    });
  });

  it('keeps a letter whose original cannot be serialised as the body it is', () => {
    const deep = `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const body = `{"kind":"restore-dead-letter","original":{"trigger":"eventbridge","event":${deep}}}`;
    const arrival = arriveFromSqs(body);
    expect(arrival).toMatchObject({
      original: { trigger: 'sqs', body },
      redriveCount: 0,
      kind: 'restore-request',
    });
    expect(arrival).not.toHaveProperty('redriven');
  });
});

describe('arriveFromEvent', () => {
  it('decodes each kind of event', () => {
    expect(arriveFromEvent(restoreRequested)).toStrictEqual({
      original: { trigger: 'eventbridge', event: restoreRequested },
      redriveCount: 0,
      kind: 'restore-request',
      request: { value: REQUEST },
      secrets: ['eu-west-1a'],
    });
    expect(arriveFromEvent(alarm)).toStrictEqual({
      original: { trigger: 'eventbridge', event: alarm },
      redriveCount: 0,
      kind: 'alarm',
      event: alarm,
      secrets: [],
    });
    expect(arriveFromEvent(jobEvent)).toMatchObject({ kind: 'job-event', event: jobEvent });
  });

  it('refuses what is not a "Restore Requested" event with its reason, and still knows its secrets', () => {
    const other = { 'detail-type': 'Something Else', detail: { Metadata: { key: 'SECRET-1' } } };
    expect(arriveFromEvent(other)).toStrictEqual({
      original: { trigger: 'eventbridge', event: other },
      redriveCount: 0,
      kind: 'restore-request',
      request: {
        unreadable: new InvalidRequestError(
          'The event\'s detail-type is "Something Else"; this function handles "Restore Requested" events',
        ),
      },
      secrets: ['SECRET-1'],
    });
    expect(secretsOfOriginal({ trigger: 'eventbridge', event: other })).toStrictEqual(['SECRET-1']);
    expect(arriveFromEvent(null)).toMatchObject({
      request: { unreadable: new InvalidRequestError('The event is not an EventBridge event object') },
    });
    expect(arriveFromEvent({ 'detail-type': 'Restore Requested' })).toMatchObject({
      request: { unreadable: new InvalidRequestError('The "Restore Requested" event has no detail') },
    });
  });

  it('never throws on arrival, even for a detail-type that cannot be turned into text', () => {
    const arrival = arriveFromEvent({ 'detail-type': { toString: 1, valueOf: 1 } });
    expect(arrival.kind).toBe('restore-request');
    expect((arrival as { request: { unreadable?: unknown } }).request.unreadable).toBeInstanceOf(TypeError);
  });

  it('has no request object in an alarm or a job event', () => {
    const arrival = arriveFromEvent(alarm);
    expect(arrival.kind).toBe('alarm');
    expect(arrival).not.toHaveProperty('request');
  });
});

describe('arrival, end to end through the local queue, the real handler and the local endpoint', () => {
  const start = localPipelines(() => ({
    visibilityTimeoutS: 2,
    maxReceiveCount: 3,
    jobEvents: { lossRate: 0, duplicateRate: 0, maxDelayMs: 0 },
  }));

  it('restores the compressed original of a redriven letter once, and dead-letters a broken body exactly as sent', async () => {
    const p = await start();
    const original = { trigger: 'sqs', bodyGzipBase64: gzipSync(JSON.stringify(REQUEST)).toString('base64') };
    await p.submit({ kind: 'restore-dead-letter', failure: 'retries-exhausted', original });
    const broken = '{"RecoveryPointArn": "p", "Metadata": {"password": "CANARY-xyz", broken';
    await p.submit(broken);
    await p.runUntilIdle();
    expect(p.aws.backup.jobs.map((job) => job.RecoveryPointArn)).toStrictEqual([POINT]);
    expect(deadLetters(p).map((l) => [l.failure, l.original, l.redriveCount, l.reason])).toStrictEqual([
      [
        'rejected',
        { trigger: 'sqs', body: broken },
        0,
        `The message body is not valid JSON (syntax error at character 65 of ${broken.length})`,
      ],
    ]);
  });
});
