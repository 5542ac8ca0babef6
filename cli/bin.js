#!/usr/bin/env node
// The `restore-pipeline` command: runs the TypeScript CLI through tsx (a devDependency, present
// after `npm ci` in a clone), so there is no build step to forget.

// The SDK's notice about future Node.js versions says nothing about this command's work.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (!/NodeVersionSupportWarning/.test(`${warning.name} ${warning.message}`))
    process.stderr.write(`${warning.name}: ${warning.message}\n`);
});
try {
  require('tsx/cjs');
} catch {
  process.stderr.write(
    'error: restore-pipeline runs through tsx, which is not installed: run `npm ci` (with dev dependencies) in the repository.\n',
  );
  process.exit(2);
}
require('./main.ts');
