/** `validate` and `submit`: check a restore request as the functions would, then send it. */

import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Command } from 'commander';
import { aws, type Context, contextOf, type SetExit, withTarget } from './context.js';
import { EXIT, type Io, type Paint, plural, safe } from './output.js';
import type { RestoreRequest } from './pipeline.js';
import { resolveTarget, type Target } from './target.js';
import { checkRequest, describeRequest, policySource, readInput, type Verdict } from './validate.js';

function verdictText(v: Verdict, p: Paint): string {
  const lines: string[] = [];
  if (v.valid && v.request !== undefined) {
    lines.push(`${p.green('valid')}  ${safe(v.file)}: ${safe(describeRequest(v.request))}`);
  } else {
    const what = v.refusal === 'forbidden' ? 'refused by this deployment' : 'invalid';
    lines.push(`${p.red(what)}  ${safe(v.file)}: ${plural(v.problems.length, 'problem')}`);
    for (const problem of v.problems) lines.push(`  - ${safe(problem)}`);
  }
  if (v.note !== undefined) lines.push(p.yellow(`  ${safe(v.note)}`));
  if (v.notChecked.length > 0) {
    lines.push(
      p.yellow(
        `  not checked (no deployment settings): ${v.notChecked.join('; ')}. Set RESTORE_ROLE_ARN, ALLOWED_RESTORE_ROLE_ARNS, AWS_REGION (and ALLOWED_BACKUP_VAULTS) as the functions have them, or use --local.`,
      ),
    );
  }
  return lines.join('\n');
}

/** The request as printed: its Metadata keys, each value replaced by the mark the pipeline writes. */
function withoutMetadataValues(request: RestoreRequest): RestoreRequest {
  const metadata = request.Metadata;
  if (metadata === undefined) return request;
  return {
    ...request,
    Metadata: Object.fromEntries(Object.keys(metadata).map((key) => [key, `[redacted Metadata.${key}]`])),
  };
}

function verdictJson(v: Verdict) {
  return {
    file: v.file,
    valid: v.valid,
    ...(v.refusal === undefined ? {} : { refusal: v.refusal }),
    problems: v.problems,
    ...(v.request === undefined ? {} : { request: withoutMetadataValues(v.request) }),
    checkedAgainst: v.checkedAgainst,
    notChecked: v.notChecked,
    ...(v.note === undefined ? {} : { note: v.note }),
  };
}

/**
 * Checks a request file. The rules come from the functions' variables in the environment, else
 * from the deployed function (with --stage or --stack-name), else the local stack's (--local).
 */
async function verdictFor(ctx: Context, file: string, target?: Target): Promise<Verdict> {
  const text = await readInput(file, ctx.io);
  const local = ctx.options.local === true || ctx.options.endpointUrl !== undefined;
  let deployment: Record<string, string> | undefined;
  let note: string | undefined;
  const stack = ctx.options.stage !== undefined || ctx.options.stackName !== undefined;
  if (!local && stack && !ctx.io.env.RESTORE_ROLE_ARN) {
    const t = target ?? resolveTarget(ctx.options, ctx.io);
    try {
      deployment = await t.deploymentSettings();
    } catch (error) {
      note = `The deployed functions' settings could not be read: ${(error as Error).message}`;
    } finally {
      if (target === undefined) t.close();
    }
  }
  const verdict = checkRequest(
    file === '-' ? 'stdin' : file,
    text,
    policySource(ctx.io.env, local, ctx.options.region ?? ctx.io.env.AWS_REGION, deployment),
  );
  return note === undefined ? verdict : { ...verdict, note };
}

/** `submit`: the request sent when it is valid, or the verdict and "Not sent." */
async function submit(ctx: Context, file: string, setExit: SetExit): Promise<void> {
  await withTarget(ctx, async (target) => {
    const verdict = await verdictFor(ctx, file, target);
    if (!verdict.valid) {
      ctx.result(
        { ...verdictJson(verdict), sent: false },
        () => `${verdictText(verdict, ctx.paint)}\nNot sent.`,
      );
      setExit(EXIT.invalid);
      return;
    }
    const queueUrl = await target.requestQueueUrl();
    const out = await aws(target, 'send the request to the request queue', () =>
      target.sqs.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(verdict.payload) }),
      ),
    );
    const messageId = out.MessageId ?? '';
    ctx.result({ ...verdictJson(verdict), sent: true, messageId, queueUrl }, () =>
      [
        `${ctx.paint.green('sent')}  ${safe(verdict.file)}: ${verdict.request ? safe(describeRequest(verdict.request)) : ''}`,
        `message id ${ctx.paint.bold(safe(messageId))}`,
        `follow it: restore-pipeline${ctx.options.local ? ' --local' : ''} status ${safe(messageId)}`,
      ].join('\n'),
    );
  });
}

/** Adds `validate` and `submit`. */
export function addRequestCommands(program: Command, io: Io, setExit: SetExit): void {
  program
    .command('validate')
    .description('check a restore request offline, as the functions would; exit code 1 when it is refused')
    .argument('<file>', 'JSON file with one restore request (or a "Restore Requested" event), or - for stdin')
    .action(async (file: string, _opts, command: Command) => {
      const ctx = contextOf(command, io);
      const verdict = await verdictFor(ctx, file);
      ctx.result(verdictJson(verdict), () => verdictText(verdict, ctx.paint));
      setExit(verdict.valid ? EXIT.ok : EXIT.invalid);
    });

  program
    .command('submit')
    .description('validate a restore request, then send it to the request queue; prints the message id')
    .argument('<file>', 'JSON file with one restore request, or - for stdin')
    .action((file: string, _opts, command: Command) => submit(contextOf(command, io), file, setExit));
}
