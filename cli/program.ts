/**
 * The `restore-pipeline` command line: validate, submit, status, report, dead-letters, redrive.
 * `run(argv, io)` is the whole program; bin.js and tests call it. Here: the global options; each
 * group of commands is added, in this order, by its own module: request-commands.ts (validate,
 * submit), status-command.ts, report-command.ts, dead-letter-commands.ts (dead-letters, redrive).
 */

import { Command, CommanderError } from 'commander';
import type { SetExit } from './context.js';
import { addDeadLetterCommands } from './dead-letter-commands.js';
import { CliError, EXIT, exitCodesHelp, type Io, paintFor, safe, safeJson } from './output.js';
import { addReportCommand } from './report-command.js';
import { addRequestCommands } from './request-commands.js';
import { addStatusCommand } from './status-command.js';

/** Builds the program; `exit` receives the exit code of each action. */
export function createProgram(io: Io, setExit: SetExit): Command {
  const program = globalOptions(new Command('restore-pipeline'), io);
  addRequestCommands(program, io, setExit);
  addStatusCommand(program, io, setExit);
  addReportCommand(program, io);
  addDeadLetterCommands(program, io, setExit);
  return program;
}

/** The program's description, global options, help and where it writes. */
function globalOptions(program: Command, io: Io): Command {
  return program
    .description(
      'Operate the backup-restore pipeline: check and send restore requests, follow them, and work the dead-letter queue.',
    )
    .option('--stage <stage>', 'deployment stage (the stack is backup-restore-pipeline-<stage>)')
    .option('--region <region>', 'AWS Region (default: AWS_REGION)')
    .option('--stack-name <name>', 'CloudFormation stack name, instead of --stage')
    .option('--request-queue-url <url>', 'request queue URL, instead of the stack output')
    .option('--dead-letter-queue-url <url>', 'dead-letter queue URL, instead of the stack output')
    .option('--table <name>', 'job-link table name, instead of the stack output')
    .option('--local', 'use the local stack (npm run serve) at http://127.0.0.1:4566')
    .option('--endpoint-url <url>', 'use the local stack at this URL')
    .option('--json', 'print one JSON document on standard output')
    .option('--no-color', 'no colours (also off when not a terminal, or with NO_COLOR)')
    .option('--progress', 'show progress on standard error even when it is not a terminal')
    .addHelpText('after', exitCodesHelp())
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .exitOverride();
}

/** Runs the CLI with `argv` (without node and the script) and returns the exit code. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  let exit: number = EXIT.ok;
  const program = createProgram(io, (code) => {
    exit = code;
  });
  const json = argv.includes('--json');
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exit;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.exitCode === 0
      ) {
        return EXIT.ok;
      }
      return EXIT.usage;
    }
    const e =
      error instanceof CliError
        ? error
        : new CliError(
            'internal',
            `Unexpected error: ${(error as Error).stack ?? String(error)}`,
            EXIT.internal,
          );
    if (json) io.stdout.write(`${safeJson({ error: { code: e.code, message: e.message } })}\n`);
    else {
      const paint = paintFor(io.stderrIsTTY, io.env, !argv.includes('--no-color'));
      // Messages quote AWS's answers and ids from data: each line is made safe, the lines kept.
      io.stderr.write(`${paint.red('error')}: ${e.message.split('\n').map(safe).join('\n')}\n`);
    }
    return e.exitCode;
  }
}
