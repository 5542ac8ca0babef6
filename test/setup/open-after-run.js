/**
 * Jest's global teardown: a test that left a server, a socket, a child process or a timer behind
 * holds the process open after the run, and Jest then waits forever (CI would time out rather than
 * fail). If the process is still alive 20 s after the run, this says what holds it and exits 1.
 * Its own timer is unref'd: it never holds the process itself, and it fires only when something
 * else does.
 */
module.exports = async () => {
  setTimeout(() => {
    const open = process.getActiveResourcesInfo();
    process.stderr.write(
      `The test run ended but ${open.length} resources still hold the process: ${open.join(', ')}. ` +
        'A test did not close what it started; `npx jest --detectOpenHandles <files>` names where it was made.\n',
    );
    process.exit(1);
  }, 20_000).unref();
};
