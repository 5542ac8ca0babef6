/**
 * A drill of a bucket restores into a new bucket named from its token. Bucket names are global: a
 * bucket of that name in another account (HeadBucket with ExpectedBucketOwner answers 403) was not
 * looked for, and the drill's data could land in it. Now it is asked before StartRestoreJob: a
 * bucket that is not this account's refuses the drill with a letter, and nothing starts.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { drillBucketProblem } from '../../src/resources/s3-bucket-check';
import { pipeline, stopTables } from '../helpers/queue-pipeline';

afterEach(stopTables);

const POINT = 'arn:aws:backup:eu-west-1:123456789012:recovery-point:7a9e0c4b-5d2f-4e1a-8b3c-9d0e1f2a3b4c';

/** An S3 client whose HeadBucket answers `status` (recording what it was asked). */
function headAnswering(status: number) {
  const asked: unknown[] = [];
  const s3 = {
    send: async (command: { constructor: { name: string }; input: unknown }) => {
      asked.push([command.constructor.name, command.input]);
      if (status === 200) return {};
      throw Object.assign(new Error('UnknownError'), {
        name: status === 404 ? 'NotFound' : 'Forbidden',
        $metadata: { httpStatusCode: status },
        $fault: status >= 500 ? 'server' : 'client',
      });
    },
  };
  return { s3: s3 as unknown as S3Client, asked };
}

describe('drillBucketProblem', () => {
  it.each([
    [404, undefined],
    [200, undefined],
    [403, expect.stringContaining('is not this account')],
    [400, expect.stringContaining('is not this account')],
  ])('HeadBucket %s: %s', async (status, expected) => {
    const { s3, asked } = headAnswering(status);
    expect(await drillBucketProblem(s3, 'invoices-d1a2b3c4', '123456789012')).toStrictEqual(expected);
    expect(asked).toStrictEqual([
      ['HeadBucketCommand', { Bucket: 'invoices-d1a2b3c4', ExpectedBucketOwner: '123456789012' }],
    ]);
  });

  it('any other answer is thrown (retryable when the service failed)', async () => {
    const { s3 } = headAnswering(503);
    await expect(drillBucketProblem(s3, 'invoices-d1a2b3c4', '123456789012')).rejects.toMatchObject({
      retryable: true,
    });
  });
});

describe('a drill of a bucket', () => {
  const drill = JSON.stringify({
    RecoveryPointArn: POINT,
    ResourceType: 'S3',
    BackupVaultName: 'Default',
    Metadata: {},
    Drill: { DeleteAfterHours: 4 },
  });

  it('whose new bucket exists in another account: refused with a letter, nothing started', async () => {
    const p = await pipeline({}, 'S3', { DestinationBucketName: 'invoices' });
    const { s3, asked } = headAnswering(403);
    (p.deps as unknown as { drillBucketProblem: unknown }).drillBucketProblem = (b: string, a: string) =>
      drillBucketProblem(s3, b, a);
    await p.send(drill);
    expect(p.backup.jobs).toStrictEqual([]);
    expect(asked).toHaveLength(1);
    expect(p.letters.map((l) => [l.failure, l.error.name])).toStrictEqual([
      ['rejected', 'ForbiddenRequestError'],
    ]);
    expect(p.letters[0]?.reason).toMatch(/exists and is not this account's/);
    expect(p.letters[0]?.reason).not.toMatch(/invoices-d/);
  });

  it('whose new bucket does not exist: started', async () => {
    const p = await pipeline({}, 'S3', { DestinationBucketName: 'invoices' });
    const { s3 } = headAnswering(404);
    (p.deps as unknown as { drillBucketProblem: unknown }).drillBucketProblem = (b: string, a: string) =>
      drillBucketProblem(s3, b, a);
    await p.send(drill);
    expect(p.letters.map((l) => l.reason)).toStrictEqual([]);
    expect(p.backup.jobs).toHaveLength(1);
    expect(p.letters).toStrictEqual([]);
  });
});
