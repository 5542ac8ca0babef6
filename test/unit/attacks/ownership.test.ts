/**
 * Attack on the cleanup's ownership checks (pure): a resource AWS reports as created by another job,
 * a reused ARN, a tag of another job, an alarm's restore, a link that is not a drill's. Each alone
 * refuses the deletion; a creation time that moved later (S3 CreationDate after a policy edit, EC2
 * LaunchTime after a restart) never makes up for another failed check.
 */

import {
  DRILL_TAG_KEY,
  type OwnershipEvidence,
  ownershipRefusals,
  REUSED_NAME_MARGIN_MS,
} from '../../../src/drills/drill';

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

describe('a reused name before the tag is put on', () => {
  const completed = new Date('2026-11-26T11:00:00Z');
  const later = (ms: number) => new Date(completed.getTime() + ms);

  it('a resource created well after the job completed is refused at tagging (first run, or after a reset)', () => {
    const reused = { ...OWN, jobCompletedAt: completed, resourceCreatedAt: later(86_400_000), tags: {} };
    expect(ownershipRefusals(reused, true).join('; ')).toContain('its name was reused');
  });

  it('the job’s own resource, reported created up to the margin after completion, is tagged', () => {
    const own = {
      ...OWN,
      jobCompletedAt: completed,
      resourceCreatedAt: later(REUSED_NAME_MARGIN_MS),
      tags: {},
    };
    expect(ownershipRefusals(own, true)).toStrictEqual([]);
  });

  it('once tagged, a later creation time (an S3 CreationDate moved by our own tagging) is not a refusal', () => {
    const tagged = { ...OWN, jobCompletedAt: completed, resourceCreatedAt: later(86_400_000) };
    expect(ownershipRefusals(tagged)).toStrictEqual([]);
  });
});
