/** Entry point of the `restore-pipeline` command (see bin.js). */

import { processIo } from './output.js';
import { run } from './program.js';

run(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 70;
  },
);
