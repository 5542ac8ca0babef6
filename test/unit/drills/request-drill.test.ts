/** Validator and Drill on both request forms: parsed, checked, and agreed on by the JSON Schema. */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parseRestoreRequest } from '../../../src/checks/request';
import { drillDueAt, drillOf, ownershipRefusals } from '../../../src/drills/drill';
import { ForbiddenRequestError, InvalidRequestError } from '../../../src/errors';
import { ACCOUNT, REGION, testConfig } from '../../helpers/fixtures';

const POINT = `arn:aws:backup:${REGION}:${ACCOUNT}:recovery-point:3c1f7e42-9a0d-4b6e-8f21-5d7a9b0c1e2f`;
const DB = `arn:aws:rds:${REGION}:${ACCOUNT}:db:orders-db`;
const schema = JSON.parse(
  readFileSync(join(__dirname, '..', '..', '..', 'schema', 'restore-request.schema.json'), 'utf8'),
);
const validate = new Ajv2020({ allErrors: true }).compile(schema);
const policy = testConfig();

const byPoint = (extra: object) => ({
  RecoveryPointArn: POINT,
  ResourceType: 'EBS',
  Metadata: { availabilityZone: 'eu-west-1a' },
  ...extra,
});
const byResource = (extra: object) => ({ ResourceArn: DB, ...extra });

describe('Drill and Validator in a request', () => {
  it.each([
    ['by recovery point', byPoint],
    ['by resource', byResource],
  ])('%s: accepted and carried', (_name, make) => {
    const body = make({ Drill: { DeleteAfterHours: 4 }, Validator: 'check-orders' });
    const request = parseRestoreRequest(body, policy);
    expect(request.Drill).toStrictEqual({ DeleteAfterHours: 4 });
    expect(request.Validator).toBe('check-orders');
    expect(validate(body)).toBe(true);
  });

  it.each([
    [{ DeleteAfterHours: -1 }, 'from 0'],
    [{ DeleteAfterHours: 169 }, 'to 168'],
    [{ DeleteAfterHours: 1.5 }, 'whole number'],
    [{ DeleteAfterHours: '4' }, 'a string'],
    [{}, 'DeleteAfterHours'],
    [{ DeleteAfterHours: 4, Keep: true }, 'unknown field'],
    [4, 'must be an object'],
  ])('refuses Drill %j, and so does the schema', (drill, words) => {
    for (const body of [byPoint({ Drill: drill }), byResource({ Drill: drill })]) {
      expect(() => parseRestoreRequest(body, policy)).toThrow(InvalidRequestError);
      expect(() => parseRestoreRequest(body, policy)).toThrow(words);
      expect(validate(body)).toBe(false);
    }
  });

  it('accepts 0 and 168 hours', () => {
    for (const h of [0, 168]) {
      expect(parseRestoreRequest(byPoint({ Drill: { DeleteAfterHours: h } }), policy).Drill).toStrictEqual({
        DeleteAfterHours: h,
      });
    }
  });

  it('refuses a Validator that is not a function name or ARN', () => {
    const body = byPoint({ Validator: 'not a function!' });
    expect(() => parseRestoreRequest(body, policy)).toThrow('Lambda function name or ARN');
    expect(validate(body)).toBe(false);
  });

  it('refuses a Validator not on the allowlist when the policy has one (names by name, ARNs exactly)', () => {
    const arn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:check-orders`;
    const byName = { ...policy, allowedValidators: ['check-orders'] };
    expect(() => parseRestoreRequest(byPoint({ Validator: 'other' }), byName)).toThrow(ForbiddenRequestError);
    expect(parseRestoreRequest(byPoint({ Validator: 'check-orders' }), byName).Validator).toBe(
      'check-orders',
    );
    // As the validator function decides (validatorAllowed): an ARN needs the exact ARN on the list.
    expect(() => parseRestoreRequest(byPoint({ Validator: arn }), byName)).toThrow(ForbiddenRequestError);
    const byArn = { ...policy, allowedValidators: [arn] };
    expect(parseRestoreRequest(byPoint({ Validator: arn }), byArn).Validator).toBe(arn);
  });
});

describe('drillOf', () => {
  it('reads the drill of an SQS body and of a "Restore Requested" event', () => {
    expect(
      drillOf({ trigger: 'sqs', body: JSON.stringify(byPoint({ Drill: { DeleteAfterHours: 2 } })) }),
    ).toStrictEqual({ deleteAfterHours: 2 });
    expect(
      drillOf({
        trigger: 'eventbridge',
        event: { source: 'ops', detail: byResource({ Drill: { DeleteAfterHours: 0 } }) },
      }),
    ).toStrictEqual({ deleteAfterHours: 0 });
  });

  it('never calls an alarm restore a drill, and a plain request is none', () => {
    expect(
      drillOf({
        trigger: 'eventbridge',
        event: { source: 'aws.cloudwatch', detail: { Drill: { DeleteAfterHours: 1 } } },
      }),
    ).toBeUndefined();
    expect(drillOf({ trigger: 'sqs', body: JSON.stringify(byPoint({})) })).toBeUndefined();
    expect(drillOf({ trigger: 'sqs', body: 'not json' })).toBeUndefined();
  });

  it('is due DeleteAfterHours after completion; 0 waits for the verdict, a bounded time', () => {
    expect(drillDueAt({ deleteAfterHours: 4 }, '2026-11-28T01:00:00.000Z')).toBe('2026-11-28T05:00:00.000Z');
    // A 0-hour drill is due at the latest after the bounded wait for its verdict (24 hours).
    expect(drillDueAt({ deleteAfterHours: 0 }, '2026-11-28T01:00:00.000Z')).toBe('2026-11-29T01:00:00.000Z');
  });
});

describe('ownershipRefusals', () => {
  const owned = {
    restoreJobId: 'job-1',
    linkDrill: { deleteAfterHours: 0 },
    alarmRestore: false,
    recordedArn: `arn:aws:rds:${REGION}:${ACCOUNT}:db:orders-db-r1a2b3c4`,
    jobCreatedArn: `arn:aws:rds:${REGION}:${ACCOUNT}:db:orders-db-r1a2b3c4`,
    jobCreatedAt: new Date('2026-11-28T01:00:00.000Z'),
    resourceCreatedAt: new Date('2026-11-28T01:05:00.000Z'),
    tags: { 'backup-restore:drill': 'job-1' },
  };
  it('passes only when every check holds', () => {
    expect(ownershipRefusals(owned)).toStrictEqual([]);
  });
  it.each([
    ['no tag', { tags: {} }, 'does not carry the tag'],
    ['tag of another job', { tags: { 'backup-restore:drill': 'job-2' } }, 'names job job-2'],
    [
      'another resource',
      { jobCreatedArn: `arn:aws:rds:${REGION}:${ACCOUNT}:db:orders-db` },
      'DescribeRestoreJob names',
    ],
    ['not a drill', { linkDrill: undefined }, 'does not name it a drill'],
    ['an alarm restore', { alarmRestore: true, linkDrill: undefined }, 'alarm restore'],
    [
      'created before the job started',
      { resourceCreatedAt: new Date('2026-11-27T09:00:00.000Z') },
      'before the job started',
    ],
    ['no creation time from AWS', { resourceCreatedAt: undefined }, 'no creation time'],
    ['no job start from AWS', { jobCreatedAt: undefined }, 'gives no CreationDate'],
  ])('refuses: %s', (_name, change, words) => {
    const refusals = ownershipRefusals({ ...owned, ...change });
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toContain(words);
  });
});
