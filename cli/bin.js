#!/usr/bin/env node
// The `restore-pipeline` command: runs the TypeScript CLI through tsx (a devDependency, present
// after `npm ci` in a clone), so there is no build step to forget.

// The SDK's notice about future Node.js versions says nothing about this command's work.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name !== 'NodeVersionSupportWarning')
    process.stderr.write(`${warning.name}: ${warning.message}\n`);
});
require('tsx/cjs');
require('./main.ts');
