/**
 * Every retries-exhausted letter's reason ends with EXHAUSTED_HINT, which promised that "within an
 * hour the same idempotency token makes AWS start nothing twice". docs/aws-behaviour.md
 * B-IDEMPOTENCY says AWS documents no window today (the hour is only in 2019 copies), and the
 * runbook says "check the restore jobs first ... a redrive may start a new job". The reason now
 * gives the runbook's advice.
 */
import { EXHAUSTED_HINT } from '../../src/outcome/dead-letter-or-retry';

test('the retries-exhausted reason promises no token window AWS does not document', () => {
  expect(EXHAUSTED_HINT).not.toMatch(/within an hour/);
  expect(EXHAUSTED_HINT).toMatch(/check the restore jobs with restore-pipeline status/);
});
