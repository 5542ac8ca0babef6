/**
 * At deletion the ownership checks drop the "created well after the job completed" rule that they
 * apply at tagging (our own tagging may move an S3 CreationDate): a resource that replaced the
 * drill's under the same name days later, and that carries this job's drill tag (copied from a
 * snapshot/backup of the drill resource by a restore with tag copying, or written by anyone who
 * may tag), passed every check and was deleted. The cleanup now records the resource's creation
 * time when it tags it, and the deletion requires the same.
 */
import { ownershipRefusals } from '../../src/drills/drill';

const evidence = {
  restoreJobId: 'job-1',
  linkDrill: { deleteAfterHours: 168 },
  alarmRestore: false,
  recordedArn: 'arn:aws:rds:eu-west-1:123456789012:db:orders-d1a2b3c',
  jobCreatedArn: 'arn:aws:rds:eu-west-1:123456789012:db:orders-d1a2b3c',
  jobCreatedAt: new Date('2026-12-01T10:00:00Z'),
  jobCompletedAt: new Date('2026-12-01T10:40:00Z'),
  // Created three days after the drill's job completed: not the job's.
  resourceCreatedAt: new Date('2026-12-04T09:00:00Z'),
  tags: { 'backup-restore:drill': 'job-1' },
  // What the cleanup recorded when it tagged the drill's own resource.
  taggedResourceCreatedAt: new Date('2026-12-01T10:35:00Z'),
};

test('a tagged resource created days after the job completed is refused at deletion too', () => {
  expect(ownershipRefusals(evidence, true)).not.toStrictEqual([]); // at tagging: refused
  expect(ownershipRefusals(evidence)).toStrictEqual([
    "the resource was created at 2026-12-04T09:00:00.000Z, not at 2026-12-01T10:35:00.000Z as when it was tagged: another resource under the drill's name",
  ]);
});

test('the very resource that was tagged is deleted', () => {
  const own = { ...evidence, resourceCreatedAt: evidence.taggedResourceCreatedAt };
  expect(ownershipRefusals(own)).toStrictEqual([]);
});
