/** Property-based tests: random requests either build a valid StartRestoreJob input or are refused permanently. */

import fc from 'fast-check';
import { arriveFromSqs } from '../../src/arrival/decode';
import { checkRecoveryPointArn } from '../../src/checks/policy';
import { parseRestoreRequest } from '../../src/checks/request';
import { ForbiddenRequestError, InvalidRequestError } from '../../src/errors';
import { buildStartRestoreJobInput } from '../../src/plan/start-input';
import {
  COPY_TAGS_UNSUPPORTED,
  isResourceType,
  missingMetadataKeys,
  REQUIRED_METADATA_KEYS,
  RESOURCE_TYPES,
} from '../../src/resources/rules';
import { OTHER_ROLE, ROLE, testConfig } from '../helpers/fixtures';

const config = testConfig();

const arn = fc.oneof(
  fc.constantFrom(
    'arn:aws:backup:eu-west-1:123456789012:recovery-point:3c1f7e42-9a0d-4b6e-8f21-5d7a9b0c1e2f',
    'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718',
    'arn:aws:ec2:eu-west-1::image/ami-0abcdef1234567890',
    'arn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-1',
    'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/backup/0173-a1',
    'arn:aws:backup:us-east-1:123456789012:recovery-point:x',
    'arn:aws:backup:eu-west-1:210987654321:recovery-point:x',
    'arn:aws-cn:backup:eu-west-1:123456789012:recovery-point:x',
  ),
  fc.string(),
  fc.integer(),
);
const metadataValue = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 30 }) },
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.object(),
);
const metadataKey = fc.oneof(
  fc.constantFrom(
    'availabilityZone',
    'DBInstanceIdentifier',
    'targetTableName',
    'newFileSystem',
    'CreationToken',
    'Encrypted',
    'PerformanceMode',
    'file-system-id',
    'DestinationBucketName',
    '__proto__',
    'constructor',
  ),
  fc.string({ maxLength: 12 }),
);
const metadata = fc.oneof(
  { weight: 5, arbitrary: fc.dictionary(metadataKey, metadataValue, { maxKeys: 6 }) },
  fc.anything({ maxDepth: 2, maxKeys: 4 }),
);
const request = fc.record(
  {
    RecoveryPointArn: arn,
    Metadata: metadata,
    ResourceType: fc.oneof(fc.constantFrom(...RESOURCE_TYPES), fc.string(), fc.integer()),
    IamRoleArn: fc.oneof(
      fc.constantFrom(ROLE, OTHER_ROLE, 'arn:aws:iam::123456789012:role/Admin'),
      fc.string(),
    ),
    IdempotencyToken: fc.oneof(fc.stringMatching(/^[a-z0-9-]{1,40}$/), fc.string(), fc.integer()),
    CopySourceTagsToRestoredResource: fc.oneof(fc.boolean(), fc.string()),
    BackupVaultName: fc.oneof(fc.constantFrom('Default'), fc.string()),
    extra: fc.anything({ maxDepth: 2, maxKeys: 4 }),
  },
  { requiredKeys: [] },
);

const GOOD_ARNS = [
  'arn:aws:backup:eu-west-1:123456789012:recovery-point:3c1f7e42-9a0d-4b6e-8f21-5d7a9b0c1e2f',
  'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718',
  'arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:awsbackup:job-1',
];
const plainKey = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.:-]{0,20}$/);
const plainToken = fc.stringMatching(/^[a-z0-9-]{1,40}$/);
/** Requests that should mostly pass, so that the checks on built inputs run. */
const plausible = fc
  .record(
    {
      RecoveryPointArn: fc.constantFrom(...GOOD_ARNS),
      ResourceType: fc.constantFrom(...RESOURCE_TYPES),
      Metadata: fc.dictionary(plainKey, fc.string({ maxLength: 20 }), { maxKeys: 4 }),
      IamRoleArn: fc.constantFrom(ROLE, OTHER_ROLE),
      IdempotencyToken: plainToken,
      CopySourceTagsToRestoredResource: fc.boolean(),
    },
    { requiredKeys: ['RecoveryPointArn', 'Metadata'] },
  )
  .map((r) => {
    const required = r.ResourceType === undefined ? [] : (REQUIRED_METADATA_KEYS[r.ResourceType] ?? []);
    return { ...r, Metadata: { ...r.Metadata, ...Object.fromEntries(required.map((k) => [k, 'value'])) } };
  });
/** A plausible request with one field replaced, removed, or added. */
const mutated = fc
  .tuple(
    plausible,
    fc.constantFrom(
      'RecoveryPointArn',
      'Metadata',
      'ResourceType',
      'IamRoleArn',
      'IdempotencyToken',
      'CopySourceTagsToRestoredResource',
      'Extra',
    ),
    fc.anything({ maxDepth: 2, maxKeys: 4 }),
    fc.boolean(),
  )
  .map(([body, field, value, remove]) => {
    const copy: Record<string, unknown> = { ...body };
    if (remove) delete copy[field];
    else copy[field] = value;
    return copy;
  });

const outcomes = { built: 0, refused: 0 };

function check(body: unknown): void {
  let parsed: ReturnType<typeof parseRestoreRequest>;
  try {
    parsed = parseRestoreRequest(body, config);
  } catch (error) {
    // Refused: only ever with a permanent error that says why.
    expect(error instanceof InvalidRequestError || error instanceof ForbiddenRequestError).toBe(true);
    expect((error as Error).message.length).toBeGreaterThan(20);
    expect((error as InvalidRequestError).retryable).toBe(false);
    outcomes.refused += 1;
    return;
  }
  outcomes.built += 1;
  if (parsed.kind !== 'recovery-point') return;
  const input = buildStartRestoreJobInput(parsed, { restoreRoleArn: ROLE });
  expect(checkRecoveryPointArn(input.RecoveryPointArn ?? '', config)).toStrictEqual({ kind: 'ok' });
  expect(config.allowedRoleArns).toContain(input.IamRoleArn);
  expect(Object.values(input.Metadata ?? {}).every((v) => typeof v === 'string')).toBe(true);
  expect(Object.getPrototypeOf(input.Metadata)).toBe(Object.prototype);
  expect(input.IdempotencyToken).toMatch(/^[\x21-\x7e]{1,128}$/);
  const type = input.ResourceType;
  if (type !== undefined) {
    expect(isResourceType(type)).toBe(true);
    if (!isResourceType(type)) return;
    expect(missingMetadataKeys(type, input.Metadata ?? {})).toStrictEqual([]);
    if (input.CopySourceTagsToRestoredResource === true) expect(COPY_TAGS_UNSUPPORTED.has(type)).toBe(false);
  } else {
    expect(input.CopySourceTagsToRestoredResource).not.toBe(true);
  }
}

describe('parse and build', () => {
  it('build a valid input or refuse permanently, for random requests', () => {
    fc.assert(fc.property(fc.oneof(plausible, mutated, request), check), { numRuns: 5000 });
    // Both branches were exercised, so the checks on built inputs did run.
    expect(outcomes.built).toBeGreaterThan(500);
    expect(outcomes.refused).toBeGreaterThan(500);
  });

  it('refuse permanently any value that is not a request', () => {
    fc.assert(fc.property(fc.anything({ maxDepth: 2, maxKeys: 4 }), check), { numRuns: 1000 });
  });

  it('refuse permanently any message body, JSON or not', () => {
    const body = fc.oneof(
      fc.string(),
      fc.json(),
      request.map((r) => JSON.stringify(r)),
    );
    fc.assert(
      fc.property(body, (text) => {
        const arrival = arriveFromSqs(text);
        // An alarm or a job event is checked by its own step, never as a request.
        if (arrival.kind === 'alarm' || arrival.kind === 'job-event') return;
        if ('unreadable' in arrival.request) {
          expect(arrival.request.unreadable).toBeInstanceOf(InvalidRequestError);
          return;
        }
        check(arrival.request.value);
      }),
      { numRuns: 2000 },
    );
  });

  it('derive the same token for the same request, and a different one when anything changes', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^[a-z][a-zA-Z]{0,10}$/), fc.string({ maxLength: 10 }), {
          maxKeys: 4,
        }),
        fc.string({ minLength: 1, maxLength: 5 }),
        (meta, extra) => {
          const base = {
            kind: 'recovery-point',
            RecoveryPointArn: 'arn:aws:ec2:eu-west-1::image/ami-0abcdef1234567890',
            Metadata: meta,
          } as const;
          const a = buildStartRestoreJobInput(base, { restoreRoleArn: ROLE }).IdempotencyToken;
          const reordered = { ...base, Metadata: Object.fromEntries(Object.entries(meta).reverse()) };
          expect(buildStartRestoreJobInput(reordered, { restoreRoleArn: ROLE }).IdempotencyToken).toBe(a);
          const changed = { ...base, Metadata: { ...meta, zzExtra: extra } };
          expect(buildStartRestoreJobInput(changed, { restoreRoleArn: ROLE }).IdempotencyToken).not.toBe(a);
        },
      ),
    );
  });
});
