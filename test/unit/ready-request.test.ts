/** `Ready` has one rule: the request checks and make-ready read a request the same way. */

import { checkShape, readReady } from '../../src/checks/shape';
import { readyOptionsOf } from '../../src/ready/request';

const POINT = 'arn:aws:backup:eu-west-1:123456789012:recovery-point:p-1';

describe('Ready', () => {
  it.each([
    [undefined, { readers: 0 }],
    [true, { readers: 0 }],
    [false, false],
    [{ AuroraReaders: 1 }, { readers: 1 }],
    [{ AuroraReaders: 15 }, { readers: 15 }],
  ])('reads %j the same in the checks and in make-ready', (ready, options) => {
    const shape = checkShape({ RecoveryPointArn: POINT, Metadata: {}, Ready: ready });
    expect(shape.verdict).toStrictEqual({ kind: 'ok' });
    expect(shape.fields?.ready).toStrictEqual(ready === undefined ? undefined : options);
    expect(readyOptionsOf({ Ready: ready })).toStrictEqual(options === false ? undefined : options);
  });

  it.each([
    [{ AuroraReaders: 16 }, /from 1 to 15, got 16/],
    [{ AuroraReaders: 1.5 }, /from 1 to 15, got 1.5/],
    ['true', /must be true, false or .*got a string/],
    [{ AuroraReaders: 2, Writer: 1 }, /unknown field\(s\) "Writer"/],
  ])('refuses %j with a message that says what is accepted', (ready, message) => {
    const read = readReady(ready);
    expect('problem' in read && read.problem).toMatch(message);
    const shape = checkShape({ RecoveryPointArn: POINT, Metadata: {}, Ready: ready });
    expect(shape.verdict.kind).toBe('invalid');
  });

  it('is never false in a drill', () => {
    const shape = checkShape({
      RecoveryPointArn: POINT,
      ResourceType: 'EBS',
      Metadata: { availabilityZone: 'eu-west-1a' },
      Drill: { DeleteAfterHours: 0 },
      Ready: false,
    });
    expect(shape.verdict).toStrictEqual({
      kind: 'invalid',
      problems: [expect.stringMatching(/Ready cannot be false in a drill/)],
    });
  });
});
