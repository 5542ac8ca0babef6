/**
 * The job link's compressed path and its conditional writes, through the real DynamoDB client
 * against the local endpoint (the binary attribute crosses the wire as base64), and gunzipBounded's
 * bound (one function, no I/O).
 */

import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { gunzipBounded, MAX_UNPACKED_BYTES } from '../../src/arrival/original';
import { InvalidRequestError } from '../../src/errors';
import {
  findJobLink,
  type JobLink,
  LINK_MAX_BYTES,
  linkFromItem,
  linkItem,
  writeLinkItem,
} from '../../src/outcome/job-link';
import { type OutcomeEnv, startOutcomeEnv, TABLE } from './outcome-env';

const NOW = new Date('2026-11-27T10:00:00.000Z');

let env: OutcomeEnv;
let ddb: DynamoDBClient;
beforeAll(async () => {
  env = await startOutcomeEnv();
  ddb = env.ddb;
});
afterAll(() => env.close());

/** A link whose request body is `body`. */
const link = (restoreJobId: string, body: string, fingerprint = 'fp-1'): JobLink => ({
  restoreJobId,
  original: { trigger: 'sqs', body },
  trigger: { type: 'sqs', id: `m-${restoreJobId}`, attempt: 1 },
  redriveCount: 2,
  recoveryPointArn: 'arn:aws:backup:eu-west-1:123456789012:recovery-point:1',
  resourceType: 'EBS',
  startedAt: NOW.toISOString(),
  fingerprint,
});

/** A request body of about `bytes` characters that gzip cannot shrink much (base64 of random bytes). */
const incompressibleBody = (bytes: number) =>
  JSON.stringify({
    RecoveryPointArn: 'x',
    Metadata: { blob: randomBytes((bytes * 3) / 4).toString('base64') },
  });

const stored = async (restoreJobId: string) =>
  (
    await ddb.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: { restoreJobId: { S: restoreJobId } },
        ConsistentRead: true,
      }),
    )
  ).Item;

describe('a link written and read back through DynamoDB', () => {
  it('keeps a small original as text', async () => {
    const body = JSON.stringify({ RecoveryPointArn: 'x', Metadata: { availabilityZone: 'eu-west-1a' } });
    const l = link('job-small', body);
    await expect(writeLinkItem(ddb, TABLE, linkItem(l, NOW), l.fingerprint)).resolves.toStrictEqual({
      kind: 'written',
    });
    const item = await stored('job-small');
    expect(item?.original).toStrictEqual({ S: JSON.stringify(l.original) });
    expect(item?.originalGzip).toBeUndefined();
    expect(await findJobLink(ddb, TABLE, 'job-small')).toStrictEqual({
      ...l,
      acceptedAt: l.startedAt,
    });
  });

  it('stores an original above 64 KiB gzip-compressed and reads it back exactly', async () => {
    // 200 KiB of base64: above the compression threshold, and still under the item limit once packed.
    const body = incompressibleBody(200 * 1024);
    const l = link('job-large', body);
    await expect(writeLinkItem(ddb, TABLE, linkItem(l, NOW), l.fingerprint)).resolves.toStrictEqual({
      kind: 'written',
    });
    const item = await stored('job-large');
    expect(item?.original).toBeUndefined();
    const packed = item?.originalGzip?.B;
    expect(packed).toBeInstanceOf(Uint8Array);
    expect(packed?.byteLength).toBeLessThan(LINK_MAX_BYTES);
    expect(gunzipBounded(packed as Uint8Array)).toBe(JSON.stringify(l.original));
    const read = await findJobLink(ddb, TABLE, 'job-large');
    expect(read).toStrictEqual({ ...l, acceptedAt: l.startedAt });
    expect(read?.original).toStrictEqual({ trigger: 'sqs', body });
  });

  it('compresses text that packs well far below the limit', () => {
    // 900 KB of one letter: above the item limit as text, a few KB packed.
    const l = link('job-repetitive', JSON.stringify({ Metadata: { note: 'a'.repeat(900_000) } }));
    const item = linkItem(l, NOW);
    expect(item.originalGzip?.B?.byteLength).toBeLessThan(10_000);
    expect(linkFromItem(item).original).toStrictEqual(l.original);
  });

  it('refuses, before anything starts, an original that is too large even packed', () => {
    const l = link('job-huge', incompressibleBody(600 * 1024));
    expect(() => linkItem(l, NOW)).toThrow(InvalidRequestError);
    expect(() => linkItem(l, NOW)).toThrow(/too large to follow \(\d+ bytes compressed; at most 389120\)/);
  });

  it('answers a second write of the same link "same", and one with other parameters "conflict", keeping the first', async () => {
    const first = link('job-twice', JSON.stringify({ RecoveryPointArn: 'a' }), 'fp-first');
    await writeLinkItem(ddb, TABLE, linkItem(first, NOW), first.fingerprint);
    const again = await writeLinkItem(ddb, TABLE, linkItem(first, NOW), first.fingerprint);
    expect(again).toStrictEqual({ kind: 'same', existing: { ...first, acceptedAt: first.startedAt } });
    const other = { ...link('job-twice', JSON.stringify({ RecoveryPointArn: 'b' }), 'fp-other') };
    const conflict = await writeLinkItem(ddb, TABLE, linkItem(other, NOW), other.fingerprint);
    expect(conflict).toStrictEqual({ kind: 'conflict', existing: { ...first, acceptedAt: first.startedAt } });
    expect((await findJobLink(ddb, TABLE, 'job-twice'))?.original).toStrictEqual(first.original);
  });
});

describe('gunzipBounded', () => {
  it('unpacks up to MAX_UNPACKED_BYTES exactly', () => {
    const text = 'x'.repeat(MAX_UNPACKED_BYTES);
    expect(gunzipBounded(gzipSync(text))).toBe(text);
  });

  it('refuses one byte more (a bomb), and damaged data, as a permanent error', () => {
    const bomb = gzipSync('x'.repeat(MAX_UNPACKED_BYTES + 1));
    expect(() => gunzipBounded(bomb)).toThrow(InvalidRequestError);
    expect(() => gunzipBounded(bomb)).toThrow(
      `The compressed original cannot be unpacked within ${MAX_UNPACKED_BYTES} bytes (too large or damaged); it is refused`,
    );
    const damaged = gzipSync('{"trigger":"sqs"}').subarray(0, 12);
    expect(() => gunzipBounded(damaged)).toThrow(InvalidRequestError);
  });

  it('is what reading a link uses: a link whose packed original is a bomb is refused', () => {
    const item = linkItem(link('job-bomb', 'x'), NOW);
    delete item.original;
    item.originalGzip = { B: gzipSync('x'.repeat(MAX_UNPACKED_BYTES + 1)) };
    expect(() => linkFromItem(item)).toThrow(InvalidRequestError);
  });
});
