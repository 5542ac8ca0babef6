/**
 * Jest's test order: the files that take longest start first, so that no long file starts last
 * and holds the run open after the others (a fresh clone has no timing cache, and Jest's own order
 * is then by file size). The list is the slowest files of docs/development.md#tests, alternating
 * those that mostly compute (the chaos campaign, the IAM simulator, the bench) with those that
 * mostly wait (visibility timeouts, deadlines), so the first three at once share the two cores.
 * Every other file keeps Jest's own order.
 */
const { relative } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const SLOWEST = [
  'test/integration/local/chaos.test.ts',
  'test/integration/local/pipeline.test.ts',
  'test/integration/iam.test.ts',
  'test/integration/local/deadline.test.ts',
  'test/e2e/bench-smoke.test.ts',
  'test/e2e/serve.test.ts',
  'test/integration/template.test.ts',
  'test/integration/ready-faults.test.ts',
  'test/integration/local/reliability.test.ts',
  'test/integration/cli.test.ts',
];

class SlowestFirst extends Sequencer {
  async sort(tests) {
    const rank = (test) => {
      const i = SLOWEST.indexOf(relative(test.context.config.rootDir, test.path));
      return i < 0 ? SLOWEST.length : i;
    };
    // Array.prototype.sort is stable: the rest stay in Jest's order.
    return [...(await super.sort(tests))].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = SlowestFirst;
