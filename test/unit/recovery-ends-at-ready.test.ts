/** Time to recovery with make-ready: it ends at the passing verdict, or at ready when unchecked. */

import { recoveredAt, recoveryDurations } from '../../src/validation/timing';

const T = {
  neededAt: '2026-12-07T01:00:00.000Z',
  acceptedAt: '2026-12-07T01:00:10.000Z',
  completedAt: '2026-12-07T01:10:00.000Z',
  readyAt: '2026-12-07T01:20:00.000Z',
};
const VALIDATED = '2026-12-07T01:21:00.000Z';

describe('time to recovery after make-ready', () => {
  it('counts completed -> ready and ready -> validated, and recovery at the passing verdict', () => {
    expect(recoveryDurations({ ...T, validatedAt: recoveredAt('pass', VALIDATED, T.readyAt) })).toStrictEqual(
      {
        timeToAccepted: 10,
        timeToRestored: 600,
        timeToReady: 1200,
        timeToValidated: 1260,
        restoreDuration: 590,
        readyDuration: 600,
        validationDuration: 60,
      },
    );
  });

  it('ends at ready when nothing could check the copy, and never for a failed verdict', () => {
    expect(recoveredAt('unchecked', VALIDATED, T.readyAt)).toBe(T.readyAt);
    expect(recoveredAt('unchecked', VALIDATED, undefined)).toBeUndefined();
    expect(recoveredAt('fail', VALIDATED, T.readyAt)).toBeUndefined();
    expect(recoveryDurations({ ...T }).timeToValidated).toBeUndefined();
  });

  it('without make-ready, times validation from completion as before', () => {
    const { readyAt: _, ...noReady } = T;
    expect(recoveryDurations({ ...noReady, validatedAt: VALIDATED }).validationDuration).toBe(660);
  });
});
