/**
 * Jest: three layers, one project each, chosen by folder (a new test file joins its layer by where
 * it is put). SWC compiles TypeScript and Middy's ESM-only packages; `tsc` checks types separately.
 * - unit (test/unit/): no sockets, no child processes, no real waits (fake timers);
 * - integration (test/integration/): the local endpoint, dynalite, the bundler, `serverless package`;
 * - e2e (test/e2e/): `npm run serve` and the benchmark driven by real clients (AWS CLI, boto3, Chromium).
 */
const shared = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  moduleNameMapper: { '^(.{1,2}/.*).js$': '$1' },
};

const layer = (name) => ({
  ...shared,
  displayName: name,
  roots: [`<rootDir>/test/${name}`],
  testMatch: ['**/*.test.ts'],
});

module.exports = {
  // A global option: Jest reads no per-project testTimeout.
  testTimeout: 60_000,
  // Three workers on this project's 2-core machines (Jest's default there is one): the suite is
  // mostly waits (visibility timeouts, deadlines, the 5-a-second budget), so it uses under one core
  // in all; three files at once take 231 to 305 s against 287 to 331 s with two and 557 s with one
  // (docs/development.md#tests). Packagings share a lock across workers
  // (test/helpers/package-stack.ts); the campaigns keep their own margins for a busy loop.
  maxWorkers: 3,
  // The slowest files first, so none starts last and holds the run open (test/setup/slowest-first.js).
  testSequencer: '<rootDir>/test/setup/slowest-first.js',
  // A run that leaves something open fails 20 s after the end, naming it, instead of hanging.
  globalTeardown: '<rootDir>/test/setup/open-after-run.js',
  projects: [layer('unit'), layer('integration'), layer('e2e')],
};
