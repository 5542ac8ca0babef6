/**
 * `validate` (and the first half of `submit`): the same checks the functions run, offline, with
 * the deployment's configuration when the CLI has it and the request's own scope otherwise.
 */

import { readFile } from 'node:fs/promises';
import { localRequestSettings } from '../local/settings.js';
import { CliError, EXIT, type Io } from './output.js';
import {
  ConfigError,
  ForbiddenRequestError,
  InvalidRequestError,
  loadConfig,
  parseArn,
  parseRestoreRequest,
  REQUEST_QUEUE_MAX_BYTES,
  type RequestPolicy,
  type RestoreRequest,
} from './pipeline.js';

/** The environment variables of the functions that shape the checks. */
export const POLICY_VARIABLES = [
  'RESTORE_ROLE_ARN',
  'ALLOWED_RESTORE_ROLE_ARNS',
  'ALLOWED_ACCOUNT_ID',
  'ALLOWED_BACKUP_VAULTS',
  'ALLOWED_SOURCE_ACCOUNT_IDS',
] as const;

/** What the request is checked against, and where that came from. */
export interface PolicySource {
  /**
   * `environment` (the functions' variables set here), `deployment` (read from the deployed
   * function), `local` (the local stack's, local/settings.ts), or `none` (scope, role and vault
   * rules not checked).
   */
  readonly source: 'environment' | 'deployment' | 'local' | 'none';
  readonly policy?: RequestPolicy;
  /** Why the deployment's settings could not be used. */
  readonly note?: string;
}

/**
 * The deployment's rules: from the functions' own variables in the environment (RESTORE_ROLE_ARN
 * and the others, with AWS_REGION), from the local stack's settings with --local, or none.
 */
export function policySource(
  env: Io['env'],
  local: boolean,
  region: string | undefined,
  deployment?: Readonly<Record<string, string>>,
): PolicySource {
  // With --local the local stack's settings win over a deployment's exported in the shell: the local
  // functions read them (local/settings.ts), so --local checks as they do.
  const fromEnv = !local && env.RESTORE_ROLE_ARN !== undefined && env.RESTORE_ROLE_ARN !== '';
  const settings = fromEnv ? env : (deployment ?? (local ? localRequestSettings() : undefined));
  if (settings === undefined) return { source: 'none' };
  const source = fromEnv ? 'environment' : deployment !== undefined ? 'deployment' : 'local';
  try {
    const config = loadConfig({
      // Not part of the checks; loadConfig requires them.
      DEAD_LETTER_QUEUE_URL: 'https://sqs.invalid/000000000000/unused',
      RESTORE_JOBS_TABLE: 'unused',
      ...Object.fromEntries(POLICY_VARIABLES.map((name) => [name, settings[name]])),
      AWS_REGION: fromEnv
        ? (region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION)
        : (settings.AWS_REGION ?? region),
    });
    return { source, policy: config };
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new CliError(
        'bad-configuration',
        `The ${fromEnv ? 'deployment settings in the environment' : source === 'local' ? "local stack's settings" : "deployed function's settings"} are not usable:\n- ${error.problems.join('\n- ')}`,
        EXIT.configuration,
      );
    }
    throw error;
  }
}

/** A policy that passes the request's own scope and role: only the request's shape is checked. */
function shapeOnly(payload: unknown): RequestPolicy {
  const body = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
  const arnText = body.RecoveryPointArn ?? body.ResourceArn;
  const arn = typeof arnText === 'string' ? parseArn(arnText) : undefined;
  const role = typeof body.IamRoleArn === 'string' ? [body.IamRoleArn] : [];
  return {
    partition: arn?.partition ?? 'aws',
    region: arn?.region || 'us-east-1',
    accountId: arn?.accountId || '000000000000',
    allowedRoleArns: role,
    allowedVaultNames: undefined,
  };
}

/** What `validate` found. */
export interface Verdict {
  readonly file: string;
  readonly valid: boolean;
  /** `invalid` (fix the request) or `forbidden` (the deployment does not allow it). */
  readonly refusal?: 'invalid' | 'forbidden';
  readonly problems: readonly string[];
  readonly request?: RestoreRequest;
  /** The object that would be sent (an event's `detail` when the file is a whole event). */
  readonly payload?: unknown;
  readonly checkedAgainst: PolicySource['source'];
  /** Rules not checked for want of the deployment's settings. */
  readonly notChecked: readonly string[];
  /** Why the deployment's settings were not used, when they were asked for. */
  readonly note?: string;
}

/** Splits the pipeline's one-line message ("Invalid restore request: a; b") into its problems. */
export function problemsOf(message: string): string[] {
  const text = message.replace(/^(Invalid restore request|Restore request refused): /, '');
  return text.split(/; (?=[A-Z]|unknown field)/).filter((p) => p !== '');
}

/** Reads a file (or stdin for `-`). */
export async function readInput(file: string, io: Io): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      'unreadable-file',
      code === 'ENOENT'
        ? `There is no file ${file}. Give the path of a JSON restore request, or - to read it from standard input.`
        : `Cannot read ${file}: ${(error as Error).message}`,
      EXIT.usage,
    );
  }
}

/** Checks a request text as the functions would. */
export function checkRequest(file: string, text: string, source: PolicySource): Verdict {
  const notChecked =
    source.policy === undefined
      ? [
          'the account, Region and partition of the ARNs',
          'IamRoleArn against the allowed restore roles',
          'BackupVaultName against the allowed vaults',
        ]
      : [];
  const base = { file, checkedAgainst: source.source, notChecked };
  if (text.trim() === '') {
    return { ...base, valid: false, refusal: 'invalid', problems: ['The request is empty'] };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    return {
      ...base,
      valid: false,
      refusal: 'invalid',
      problems: [`The request is not valid JSON (${(error as Error).message})`],
    };
  }
  // A whole "Restore Requested" event: its detail is the request.
  const event = payload as { 'detail-type'?: unknown; detail?: unknown } | null;
  if (typeof event === 'object' && event !== null && event['detail-type'] === 'Restore Requested') {
    payload = event.detail;
  }
  // `$schema` is for editors (schema/restore-request.schema.json); it is never sent.
  if (typeof payload === 'object' && payload !== null && !Array.isArray(payload) && '$schema' in payload) {
    const { $schema: _editorsOnly, ...rest } = payload as Record<string, unknown>;
    payload = rest;
  }
  const tooLarge = sizeProblem(payload);
  try {
    const request = parseRestoreRequest(payload, source.policy ?? shapeOnly(payload));
    if (tooLarge !== undefined)
      return { ...base, valid: false, refusal: 'invalid', problems: [tooLarge], payload };
    return { ...base, valid: true, problems: [], request, payload };
  } catch (error) {
    if (error instanceof InvalidRequestError || error instanceof ForbiddenRequestError) {
      return {
        ...base,
        valid: false,
        refusal: tooLarge === undefined && error instanceof ForbiddenRequestError ? 'forbidden' : 'invalid',
        problems: [...(tooLarge === undefined ? [] : [tooLarge]), ...problemsOf(error.message)],
        payload,
      };
    }
    throw error;
  }
}

/**
 * The request as `submit` sends it must be a message SQS takes: within the request queue's size,
 * and only of the characters SendMessage allows (JSON escapes controls and lone surrogates, but
 * not U+FFFE and U+FFFF; docs/aws-behaviour.md SQS-MAX-SIZE).
 */
function sizeProblem(payload: unknown): string | undefined {
  const body = JSON.stringify(payload) ?? '';
  if (/[\uFFFE\uFFFF]/.test(body))
    return 'The request holds the character U+FFFE or U+FFFF, which SQS refuses in a message: remove it';
  const bytes = Buffer.byteLength(body);
  if (bytes <= REQUEST_QUEUE_MAX_BYTES) return undefined;
  return `The request is ${bytes} bytes; the request queue takes messages of at most ${REQUEST_QUEUE_MAX_BYTES} bytes (its MaximumMessageSize): keep Metadata to what the restore needs`;
}

/** One line describing a valid request. */
export function describeRequest(request: RestoreRequest): string {
  if (request.kind === 'resource') {
    return `restore of ${request.ResourceArn}${request.RestoreTime === undefined ? ' (latest recovery point)' : ` as of ${request.RestoreTime}`}`;
  }
  const type = request.ResourceType;
  // Spoken: an Aurora, an EBS, an FSx, an RDS, an S3; a DynamoDB, a Storage Gateway.
  const article = type !== undefined && /^(Aurora|E|FSx|RDS|S3)/.test(type) ? 'an' : 'a';
  return `${type === undefined ? 'a restore' : `${article} ${type} restore`} of ${request.RecoveryPointArn}`;
}
