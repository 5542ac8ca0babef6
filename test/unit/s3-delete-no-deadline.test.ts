/**
 * Emptying a drill bucket ignores the run's deadline: deleteBucket pages through every version
 * (1,000 a call) however long it takes. A drill bucket restored from production data (millions of
 * objects) outlives the cleanup function's 300 s timeout: Lambda kills the run mid-way, no attempt
 * is counted, nothing is logged by the pipeline, and as the Scan finds the same record first every
 * run, the drills behind it are never cleaned up while it lasts. The other waits (DynamoDB
 * UPDATING, EC2 volumes) stop at context.deadline with NotReadyError; this one does not.
 */
import { type DrillClients, deleteResource } from '../../src/drills/resources';

test('emptying a bucket stops at the deadline (left to the next run)', async () => {
  let pages = 0;
  const s3 = {
    send: async (command: { constructor: { name: string } }) => {
      switch (command.constructor.name) {
        case 'GetBucketVersioningCommand':
          return { Status: 'Enabled' };
        case 'ListObjectVersionsCommand':
          pages++;
          return {
            Versions: Array.from({ length: 1000 }, (_, i) => ({ Key: `k${pages}-${i}`, VersionId: 'v' })),
            IsTruncated: pages < 5000,
            NextKeyMarker: `k${pages}`,
            NextVersionIdMarker: 'v',
          };
        case 'DeleteObjectsCommand':
          return { Errors: [] };
        case 'DeleteBucketCommand':
          return {};
        default:
          throw new Error(command.constructor.name);
      }
    },
  };
  const clients = { s3: () => s3 } as unknown as DrillClients;
  const context = {
    restoreJobId: 'job-1',
    jobCreatedAt: new Date(0),
    accountId: '123456789012',
    deadline: Date.now() - 1, // the run's time is already up
    sleep: async () => {},
  };
  // Left for the next run: NotReadyError, which the cleanup counts as a retry, not an attempt.
  await expect(
    deleteResource(clients, 'S3', 'arn:aws:s3:::orders-data-d1a2b3c', context),
  ).rejects.toMatchObject({
    name: 'NotReadyError',
    retryable: true,
  });
  expect(pages).toBeLessThanOrEqual(1);
});
