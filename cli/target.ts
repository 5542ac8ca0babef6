/**
 * Which deployment the CLI works on, and the SDK clients to reach it: a deployed stack (by stage
 * and Region, through its CloudFormation outputs), queue URLs and a table given on the command
 * line, or the local endpoint (`--local`, `--endpoint-url`).
 */

import { BackupClient } from '@aws-sdk/client-backup';
import {
  CloudFormationClient,
  DescribeStackResourceCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_STACK } from '../local/settings.js';
import { CliError, EXIT, type Io } from './output.js';

/** The service name in serverless.yml: stacks are named `<service>-<stage>`. */
export const SERVICE = 'backup-restore-pipeline';
/** `npm run serve` listens here. */
export const LOCAL_ENDPOINT = LOCAL_STACK.endpoint;
/** What the local pipeline creates, and where (local/settings.ts, which the local stack reads too). */
export const LOCAL = LOCAL_STACK;

/** The function whose environment holds the deployment's request rules (serverless.yml). */
export const QUEUE_FUNCTION_RESOURCE = 'RestoreFromQueueLambdaFunction';

/**
 * The environment the deployed functions run with: the queue function's, found through the
 * stack's resource. Throws what the SDK threw.
 */
export async function readDeploymentSettings(
  cfn: CloudFormationClient,
  lambda: LambdaClient,
  stackName: string,
): Promise<Record<string, string>> {
  const resource = await cfn.send(
    new DescribeStackResourceCommand({ StackName: stackName, LogicalResourceId: QUEUE_FUNCTION_RESOURCE }),
  );
  const name = resource.StackResourceDetail?.PhysicalResourceId;
  if (name === undefined || name === '')
    throw new Error(`Stack ${stackName} has no ${QUEUE_FUNCTION_RESOURCE}`);
  const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
  return { ...(config.Environment?.Variables ?? {}) };
}

/** Where to work, from the global options. */
export interface TargetOptions {
  stage?: string;
  region?: string;
  stackName?: string;
  requestQueueUrl?: string;
  deadLetterQueueUrl?: string;
  table?: string;
  local?: boolean;
  endpointUrl?: string;
}

/** A resolved deployment: clients and lazily looked-up names. */
export interface Target {
  readonly local: boolean;
  readonly region: string | undefined;
  /** What the target is, for messages: "stack backup-restore-pipeline-prod in eu-west-1". */
  readonly description: string;
  readonly sqs: SQSClient;
  readonly ddb: DynamoDBClient;
  readonly backup: BackupClient;
  requestQueueUrl(): Promise<string>;
  deadLetterQueueUrl(): Promise<string>;
  table(): Promise<string>;
  /** The deployed functions' environment (undefined without a stack); throws a CliError when unreadable. */
  deploymentSettings(): Promise<Record<string, string> | undefined>;
  close(): void;
}

/** Turns what the SDK threw into an error a person can act on. */
export function explainAwsError(error: unknown, doing: string, target: { description: string }): CliError {
  if (error instanceof CliError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: string;
    message?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const name = e.name ?? 'Error';
  const message = e.message ?? String(error);
  const cause = `${name}: ${message}`;
  const where = target.description;
  if (e.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message)) {
    return new CliError(
      'connection-refused',
      `Could not ${doing}: nothing answers at ${where}. Start the local stack with \`npm run serve\`, or pass --endpoint-url with the port it printed.`,
      EXIT.aws,
    );
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new CliError(
      'no-credentials',
      `Could not ${doing}: no AWS credentials. Set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), run \`aws sso login\`, or use --local for the local stack.`,
      EXIT.aws,
    );
  }
  if (/AccessDenied|UnauthorizedOperation|not authorized/i.test(`${name} ${message}`)) {
    return new CliError(
      'access-denied',
      `Could not ${doing}: your identity is not allowed to (${cause}). Ask for the permission named above on ${where}.`,
      EXIT.aws,
    );
  }
  if (/QueueDoesNotExist|NonExistentQueue/.test(`${name} ${message}`)) {
    return new CliError(
      'no-queue',
      `Could not ${doing}: the queue does not exist in ${where} (${cause}). Check --stage and --region, or the queue URL you gave.`,
      EXIT.aws,
    );
  }
  if (name === 'ResourceNotFoundException' && /dynamodb|table|Requested resource/i.test(message)) {
    return new CliError(
      'no-table',
      `Could not ${doing}: the job-link table does not exist in ${where} (${cause}). Check --stage and --region, or --table.`,
      EXIT.aws,
    );
  }
  if (/UnsupportedOperation|UnknownOperation/.test(name) || /not supported locally/.test(message)) {
    return new CliError(
      'unsupported',
      `Could not ${doing}: ${where} does not support this call (${cause}).`,
      EXIT.aws,
    );
  }
  return new CliError('aws-error', `Could not ${doing} (${where}): ${cause}`, EXIT.aws);
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= make();
    return value;
  };
}

/** Where the clients connect, from the options and the environment. */
function connectionOf(options: TargetOptions, env: Io['env']) {
  const endpoint = options.endpointUrl ?? (options.local ? LOCAL_ENDPOINT : undefined);
  const local = endpoint !== undefined;
  const region =
    options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (local ? LOCAL.region : undefined);
  const hasCredentials = env.AWS_ACCESS_KEY_ID !== undefined || env.AWS_PROFILE !== undefined;
  const common = {
    ...(region === undefined ? {} : { region }),
    ...(endpoint === undefined ? {} : { endpoint }),
    // The local endpoint does not check signatures; any credentials will do.
    ...(local && !hasCredentials ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
  };
  const stackName =
    options.stackName ?? (options.stage === undefined ? undefined : `${SERVICE}-${options.stage}`);
  const description = local
    ? `the local endpoint ${endpoint}`
    : stackName !== undefined
      ? `stack ${stackName} in ${region ?? '(no Region)'}`
      : `Region ${region ?? '(no Region)'}`;
  return { local, region, common, stackName, description };
}

type ClientConfig = ReturnType<typeof connectionOf>['common'];

/** The CloudFormation and Lambda clients, made when first needed. */
function lazyClients(common: ClientConfig) {
  let cfn: CloudFormationClient | undefined;
  let lambda: LambdaClient | undefined;
  return {
    cfn: () => {
      cfn ??= new CloudFormationClient(common);
      return cfn;
    },
    lambda: () => {
      lambda ??= new LambdaClient(common);
      return lambda;
    },
    close: () => {
      lambda?.destroy();
      cfn?.destroy();
    },
  };
}

/** The stack's outputs (read once), and one output by key or what flag to pass instead. */
function stackOutputs(
  stackName: string | undefined,
  region: string,
  cfn: () => CloudFormationClient,
  target: { description: string },
) {
  const outputs = once(async () => {
    if (stackName === undefined) {
      throw new CliError(
        'no-deployment',
        'Say which deployment: --stage NAME (with --region), --stack-name NAME, the URLs (--request-queue-url, --dead-letter-queue-url, --table), or --local.',
        EXIT.usage,
      );
    }
    try {
      const out = await cfn().send(new DescribeStacksCommand({ StackName: stackName }));
      const stack = out.Stacks?.[0];
      return Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
    } catch (error) {
      if ((error as Error).name === 'ValidationError' && /does not exist/.test((error as Error).message)) {
        throw new CliError(
          'no-stack',
          `There is no stack ${stackName} in ${region}. Check --stage and --region (stacks are named ${SERVICE}-<stage>), or pass --stack-name.`,
          EXIT.aws,
        );
      }
      throw explainAwsError(error, `read the outputs of stack ${stackName}`, target);
    }
  });
  const output = async (key: string, flag: string) => {
    const value = (await outputs())[key];
    if (value === undefined || value === '') {
      throw new CliError(
        'no-output',
        `Stack ${stackName} has no output ${key}: deploy the current version, or pass ${flag}.`,
        EXIT.aws,
      );
    }
    return value;
  };
  return { outputs, output };
}

/** The job-link table: as given, the local one, the stack's output, else the stack's resource. */
async function tableName(
  options: TargetOptions,
  local: boolean,
  stackName: string | undefined,
  outputs: () => Promise<Record<string, string>>,
  cfn: () => CloudFormationClient,
  target: { description: string },
): Promise<string> {
  if (options.table !== undefined) return options.table;
  if (local) return LOCAL.table;
  const fromOutputs = (await outputs()).RestoreJobsTable;
  if (fromOutputs !== undefined && fromOutputs !== '') return fromOutputs;
  // Stacks deployed before the output existed: the table is the stack's RestoreJobsTable resource.
  try {
    const out = await cfn().send(
      new DescribeStackResourceCommand({ StackName: stackName, LogicalResourceId: 'RestoreJobsTable' }),
    );
    const name = out.StackResourceDetail?.PhysicalResourceId;
    if (name !== undefined && name !== '') return name;
  } catch (error) {
    throw explainAwsError(error, `find the job-link table of stack ${stackName}`, target);
  }
  throw new CliError('no-output', `Stack ${stackName} has no job-link table: pass --table.`, EXIT.aws);
}

/** Resolves the target from the options and the environment; builds no connection yet. */
export function resolveTarget(options: TargetOptions, io: Io): Target {
  const { local, region, common, stackName, description } = connectionOf(options, io.env);
  if (region === undefined) {
    throw new CliError(
      'no-region',
      'Say which Region: --region eu-west-1 (or set AWS_REGION), or use --local for the local stack.',
      EXIT.usage,
    );
  }

  const sqs = new SQSClient(common);
  const ddb = new DynamoDBClient(common);
  const backup = new BackupClient(common);
  const lazy = lazyClients(common);
  const target = { description };
  const { outputs, output } = stackOutputs(stackName, region, lazy.cfn, target);
  const localQueue = async (name: string) => {
    try {
      const out = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
      return out.QueueUrl ?? '';
    } catch (error) {
      throw explainAwsError(error, `find the queue ${name}`, target);
    }
  };
  /** A queue's URL: as given, else the local queue's, else the stack's output (or what flag to pass). */
  const queueUrl = (given: string | undefined, localName: string, outputKey: string, flag: string) =>
    once(async () => (given !== undefined ? given : local ? localQueue(localName) : output(outputKey, flag)));

  return {
    local,
    region,
    description,
    sqs,
    ddb,
    backup,
    requestQueueUrl: queueUrl(
      options.requestQueueUrl,
      LOCAL.requestQueue,
      'RequestQueueUrl',
      '--request-queue-url',
    ),
    deadLetterQueueUrl: queueUrl(
      options.deadLetterQueueUrl,
      LOCAL.deadLetterQueue,
      'DeadLetterQueueUrl',
      '--dead-letter-queue-url',
    ),
    table: once(() => tableName(options, local, stackName, outputs, lazy.cfn, target)),
    deploymentSettings: once(async () => {
      if (local || stackName === undefined) return undefined;
      try {
        return await readDeploymentSettings(lazy.cfn(), lazy.lambda(), stackName);
      } catch (error) {
        throw explainAwsError(error, `read the settings of the functions of stack ${stackName}`, target);
      }
    }),
    close: () => {
      sqs.destroy();
      ddb.destroy();
      backup.destroy();
      lazy.close();
    },
  };
}
