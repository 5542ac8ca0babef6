/**
 * Attack on the cleanup's ownership checks (pure): a resource AWS reports as created by another job,
 * a reused ARN, a tag of another job, an alarm's restore, a link that is not a drill's. Each alone
 * refuses the deletion; a creation time that moved later (S3 CreationDate after a policy edit, EC2
 * LaunchTime after a restart) never makes up for another failed check.
 */

import { DRILL_TAG_KEY, type OwnershipEvidence, ownershipRefusals } from '../../src/drills/drill';

const JOB_START = new Date('2026-11-26T10:00:00Z');
const OWN: OwnershipEvidence = {
  restoreJobId: 'job-1',
  linkDrill: { deleteAfterHours: 4 },
  alarmRestore: false,
  recordedArn: 'arn:aws:s3:::orders-data-r0a1b2c3',
  jobCreatedArn: 'arn:aws:s3:::orders-data-r0a1b2c3',
  jobCreatedAt: JOB_START,
  resourceCreatedAt: new Date('2026-11-26T10:05:00Z'),
  tags: { [DRILL_TAG_KEY]: 'job-1' },
};

describe('every ownership check refuses on its own', () => {
  it('the drill’s own resource passes (the table below is not vacuous)', () => {
    expect(ownershipRefusals(OWN)).toStrictEqual([]);
    expect(ownershipRefusals({ ...OWN, tags: {} }, true)).toStrictEqual([]);
  });

  it.each<[string, Partial<OwnershipEvidence>, string]>([
    [
      'AWS names another created resource',
      { jobCreatedArn: 'arn:aws:s3:::orders-data' },
      'DescribeRestoreJob names',
    ],
    ['AWS names no created resource', { jobCreatedArn: undefined }, 'no created resource'],
    [
      'created before the job started (an existing bucket)',
      { resourceCreatedAt: new Date('2025-01-01T00:00:00Z') },
      'before the job started',
    ],
    ['no creation time from the service', { resourceCreatedAt: undefined }, 'no creation time'],
    ['no job start from AWS', { jobCreatedAt: undefined }, 'no CreationDate'],
    ['tagged by another job', { tags: { [DRILL_TAG_KEY]: 'job-2' } }, 'names job job-2'],
    ['the drill tag is missing', { tags: {} }, 'does not carry the tag'],
    ['an alarm’s restore', { alarmRestore: true }, 'alarm restore'],
    ['a link that is not a drill’s', { linkDrill: undefined }, 'does not name it a drill'],
  ])('%s', (_name, change, refusal) => {
    expect(ownershipRefusals({ ...OWN, ...change }).join('; ')).toContain(refusal);
  });

  it('a tag of another job refuses even before tagging (it is never overwritten)', () => {
    expect(ownershipRefusals({ ...OWN, tags: { [DRILL_TAG_KEY]: 'job-2' } }, true)).toHaveLength(1);
  });

  it('a reused ARN: a new resource under the drill’s name, created after the job, carries no tag once the drill was tagged', () => {
    const reused = { ...OWN, resourceCreatedAt: new Date('2026-11-27T00:00:00Z'), tags: {} };
    expect(ownershipRefusals(reused)).toStrictEqual([expect.stringContaining('does not carry the tag')]);
  });
});
