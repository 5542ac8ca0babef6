/**
 * Every role of the packaged template, with its CloudFormation intrinsics resolved in a fake
 * account, checked against AWS's Service Authorization data and asked a table of questions through
 * the policy simulator: once with the default parameters and once with every optional part on.
 * What the simulator cannot prove on a real account is listed in docs/security.md.
 */

import { Resolver, type Stack } from '../helpers/cfn-resolve';
import { decide, disagreements, type Policy, type Request } from '../helpers/iam-check';
import { packageStack, removePackages, type Template } from '../helpers/package-stack';

const STACK: Stack = { partition: 'aws', region: 'eu-west-1', accountId: '123456789012' };
const { region: REGION, accountId: ACCOUNT } = STACK;
const OTHER_REGION = 'us-east-1';
const OTHER_ACCOUNT = '999988887777';
const SOURCE_ACCOUNTS = ['444455556666', '555566667777'];
const RESTORE_ROLES = ['service-role/AWSBackupDefaultServiceRole', 'RestoreOperator'];
/** By name, by ARN, a name with an alias, and an ARN with an alias. */
const VALIDATORS = [
  'check-orders',
  `arn:aws:lambda:${REGION}:${ACCOUNT}:function:check-stock`,
  'check-billing:live',
  `arn:aws:lambda:${REGION}:${ACCOUNT}:function:check-audit:live`,
];
const DRILLS = [
  { resourceArn: `arn:aws:rds:${REGION}:${ACCOUNT}:db:orders-db`, rate: 'rate(7 days)', deleteAfterHours: 4 },
];
const ALL_ON = [
  'alerts=true',
  `allowedSourceAccountIds=${SOURCE_ACCOUNTS.join(',')}`,
  `allowedRestoreRoleNames=${RESTORE_ROLES.join(',')}`,
  `allowedValidators=${VALIDATORS.join(',')}`,
  `drillSchedule=${JSON.stringify(DRILLS)}`,
];

interface Role {
  readonly name: string;
  readonly arn: string;
  readonly policies: { name: string; policy: Policy }[];
}
const stacks: Record<'default' | 'allOn', Role[]> = { default: [], allOn: [] };

/** Each function's role, resolved (AWS::NoValue statements dropped, as CloudFormation does). */
function roles(template: Template): Role[] {
  const resolver = new Resolver(template, STACK);
  return Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::Lambda::Function')
    .map((fn) => {
      const logicalId = fn.Properties.Role['Fn::GetAtt'][0] as string;
      const role = template.Resources[logicalId];
      expect(role?.Type).toBe('AWS::IAM::Role');
      const policies = resolver.resolve(role?.Properties.Policies) as {
        PolicyName: string;
        PolicyDocument: Policy;
      }[];
      return {
        name: logicalId,
        arn: resolver.resolve(fn.Properties.Role) as string,
        policies: policies.map((p) => ({ name: p.PolicyName, policy: p.PolicyDocument })),
      };
    });
}

beforeAll(async () => {
  stacks.default = roles(await packageStack());
  stacks.allOn = roles(await packageStack(...ALL_ON));
}, 180_000);
afterAll(removePackages);

const QUEUE = 'RestoreFromQueueRole';
const EVENT = 'RestoreFromEventRole';
const ALARM = 'RestoreOnAlarmRole';
const TRACK = 'TrackRestoreJobRole';
const RECONCILE = 'ReconcileRestoreJobsRole';
const VALIDATE = 'ValidateRestoreRole';
const CLEANUP = 'CleanupDrillsRole';
const READY = 'MakeReadyRole';
const ROLES = [QUEUE, EVENT, ALARM, TRACK, RECONCILE, VALIDATE, CLEANUP, READY];

/** A question: a request, and the roles that must be allowed it (every other role must not). */
interface Question extends Request {
  readonly label: string;
  readonly allowed: readonly string[];
  /** Context keys the simulator is expected to leave out (S3 without ABAC does not evaluate tags). */
  readonly ignored?: readonly string[];
}

/** Asks every role every question; answers question -> roles allowed. */
async function ask(stack: Role[], questions: readonly Question[]): Promise<Record<string, string[]>> {
  const answers: Record<string, string[]> = {};
  for (const q of questions) {
    const allowed: string[] = [];
    for (const role of stack) {
      const context = { 'aws:RequestedRegion': REGION, ...q.context };
      const d = await decide(role.arn, role.policies, { ...q, context });
      expect([q.label, d.ignored]).toStrictEqual([q.label, [...(q.ignored ?? [])]]);
      if (d.result === 'Allowed') allowed.push(role.name);
    }
    answers[q.label] = allowed.sort();
  }
  return answers;
}
const expected = (questions: readonly Question[]) =>
  Object.fromEntries(questions.map((q) => [q.label, [...q.allowed].sort()]));

describe.each(['default', 'allOn'] as const)('IAM of the %s template', (which) => {
  it('has a role for each of the eight functions', () => {
    expect(stacks[which].map((r) => r.name).sort()).toStrictEqual([...ROLES].sort());
  });

  it("agrees with AWS's Service Authorization data: actions, condition keys, resource types", async () => {
    const problems: string[] = [];
    for (const role of stacks[which])
      for (const { policy } of role.policies)
        for (const s of policy.Statement) {
          for (const p of await disagreements(s)) problems.push(`${role.name} ${s.Sid ?? ''}: ${p}`);
          if (JSON.stringify(s).includes('${'))
            problems.push(
              `${role.name} ${s.Sid ?? ''}: an unsubstituted \${...} is left in ${JSON.stringify(s)}`,
            );
        }
    expect(problems).toStrictEqual([]);
  });
});

describe("the checks against AWS's data", () => {
  const s = (Action: string, Resource: string, Condition?: Record<string, Record<string, unknown>>) => ({
    Effect: 'Allow' as const,
    Action,
    Resource,
    ...(Condition === undefined ? {} : { Condition }),
  });

  it('find what AWS does not have or does not evaluate', async () => {
    expect(await disagreements(s('s3:DeleteBuckets', '*'))).toStrictEqual([
      's3:DeleteBuckets: no such action',
    ]);
    expect(
      await disagreements(
        s('s3:DeleteBucket', '*', { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a'] } }),
      ),
    ).toStrictEqual(['s3:DeleteBucket: condition key aws:TagKeys is not evaluated for it']);
    expect(
      await disagreements(s('dynamodb:DeleteTable', '*', { StringEquals: { 'rds:db-tag/x': 'y' } })),
    ).toStrictEqual(['dynamodb:DeleteTable: condition key rds:db-tag/x is not evaluated for it']);
    expect(await disagreements(s('dynamodb:DeleteTable', 'arn:aws:s3:::bucket'))).toStrictEqual([
      'dynamodb:DeleteTable: none of arn:aws:s3:::bucket is one of its resource types',
    ]);
    expect(
      await disagreements(
        s('backup:DescribeRestoreJob', `arn:aws:backup:${REGION}:${ACCOUNT}:restore-job:1`),
      ),
    ).toStrictEqual([
      `backup:DescribeRestoreJob: takes only "*", not arn:aws:backup:${REGION}:${ACCOUNT}:restore-job:1`,
    ]);
    expect(
      await disagreements(
        s('lambda:InvokeFunction', `arn:\${AWS::Partition}:lambda:${REGION}:${ACCOUNT}:function:f`),
      ),
    ).toHaveLength(1);
  });

  it('accept what AWS documents', async () => {
    expect(
      await disagreements(
        s('s3:DeleteBucket', 'arn:aws:s3:::*', {
          StringLike: { 'aws:ResourceTag/backup-restore:drill': '*' },
        }),
      ),
    ).toStrictEqual([]);
    expect(
      await disagreements(
        s('logs:PutLogEvents', `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/f:*`, {
          StringEquals: { 'aws:RequestedRegion': REGION },
        }),
      ),
    ).toStrictEqual([]);
  });
});

// ---- The simulator's questions -------------------------------------------------------------------

const TAG = 'backup-restore:drill';
const tagged = { [`aws:ResourceTag/${TAG}`]: 'job-1' };
const inOtherRegion = { 'aws:RequestedRegion': OTHER_REGION };
const arn = (service: string, resource: string, region = REGION, account = ACCOUNT) =>
  `arn:aws:${service}:${region}:${account}:${resource}`;

/** The resources a drill may create, by type, with the actions that change or delete them. */
const DRILL_RESOURCES = [
  {
    type: 'RDS instance',
    resource: 'db:orders-db-r1a2b3c4',
    actions: ['rds:ModifyDBInstance', 'rds:DeleteDBInstance'],
    service: 'rds',
  },
  {
    type: 'RDS cluster',
    resource: 'cluster:orders-r1a2b3c4',
    actions: ['rds:ModifyDBCluster', 'rds:DeleteDBCluster'],
    service: 'rds',
  },
  {
    type: 'DynamoDB table',
    resource: 'table/orders-r1a2b3c4',
    actions: ['dynamodb:UpdateTable', 'dynamodb:DeleteTable'],
    service: 'dynamodb',
  },
  {
    type: 'EC2 instance',
    resource: 'instance/i-0123456789abcdef0',
    actions: ['ec2:TerminateInstances'],
    service: 'ec2',
  },
  {
    type: 'EBS volume',
    resource: 'volume/vol-0123456789abcdef0',
    actions: ['ec2:DeleteVolume'],
    service: 'ec2',
  },
  {
    type: 'EFS file system',
    resource: 'file-system/fs-01234567',
    actions: ['elasticfilesystem:DeleteFileSystem'],
    service: 'elasticfilesystem',
  },
];
const TAGGING: Record<string, string> = {
  rds: 'rds:AddTagsToResource',
  dynamodb: 'dynamodb:TagResource',
  ec2: 'ec2:CreateTags',
  elasticfilesystem: 'elasticfilesystem:TagResource',
};

function drillQuestions(): Question[] {
  const questions: Question[] = [];
  for (const d of DRILL_RESOURCES) {
    const own = arn(d.service, d.resource);
    for (const action of d.actions) {
      questions.push(
        {
          label: `${action} on a tagged ${d.type}`,
          action,
          resource: own,
          context: tagged,
          allowed: [CLEANUP],
        },
        { label: `${action} on an untagged ${d.type}`, action, resource: own, allowed: [] },
        {
          label: `${action} on a tagged ${d.type} of another Region`,
          action,
          resource: arn(d.service, d.resource, OTHER_REGION),
          context: { ...tagged, ...inOtherRegion },
          allowed: [],
        },
        {
          label: `${action} on a tagged ${d.type} of another account`,
          action,
          resource: arn(d.service, d.resource, REGION, OTHER_ACCOUNT),
          context: tagged,
          allowed: [],
        },
      );
    }
    const tag = TAGGING[d.service] as string;
    const writing = (keys: string[]) => ({
      'aws:TagKeys': keys,
      ...Object.fromEntries(keys.map((k) => [`aws:RequestTag/${k}`, 'job-1'])),
    });
    questions.push(
      {
        label: `${tag}: the drill key on an untagged ${d.type}`,
        action: tag,
        resource: own,
        context: writing([TAG]),
        allowed: [CLEANUP],
      },
      {
        label: `${tag}: another key on an untagged ${d.type}`,
        action: tag,
        resource: own,
        context: writing(['owner']),
        allowed: [],
      },
      {
        label: `${tag}: the drill key and another on an untagged ${d.type}`,
        action: tag,
        resource: own,
        context: writing([TAG, 'owner']),
        allowed: [],
      },
      {
        // IAM reads aws:ResourceTag/<key> whatever the key's case: this would be the drill key.
        label: `${tag}: the drill key in another case on a ${d.type} marked ready`,
        action: tag,
        resource: own,
        context: {
          ...writing(['Backup-Restore:Drill']),
          [`${d.service === 'ec2' ? 'ec2' : 'aws'}:ResourceTag/backup-restore:ready`]: 'job-1',
        },
        allowed: [],
      },
      {
        label: `${tag}: the drill key on a ${d.type} that carries it`,
        action: tag,
        resource: own,
        context: { ...writing([TAG]), ...tagged },
        allowed: [],
      },
      {
        label: `${tag}: the drill key on an untagged ${d.type} of another Region`,
        action: tag,
        resource: arn(d.service, d.resource, OTHER_REGION),
        context: { ...writing([TAG]), ...inOtherRegion },
        allowed: [],
      },
    );
  }
  return questions;
}

const BUCKET = 'arn:aws:s3:::orders-r1a2b3c4';
const S3_KEYS = [
  { action: 's3:DeleteBucket', resource: BUCKET, what: 'bucket' },
  { action: 's3:DeleteObject', resource: `${BUCKET}/2026/orders.csv`, what: 'object' },
  { action: 's3:DeleteObjectVersion', resource: `${BUCKET}/2026/orders.csv`, what: 'object version' },
];

function bucketQuestions(): Question[] {
  const mine = { 's3:ResourceAccount': ACCOUNT };
  const questions: Question[] = [];
  for (const { action, resource, what } of S3_KEYS) {
    questions.push(
      {
        label: `${action}: ${what} of a tagged bucket with ABAC on`,
        action,
        resource,
        abac: true,
        context: { ...mine, ...tagged },
        allowed: [CLEANUP],
      },
      {
        // S3 does not evaluate aws:ResourceTag without ABAC: the tag is not seen, nothing is deleted.
        label: `${action}: ${what} of a tagged bucket with ABAC off`,
        action,
        resource,
        abac: false,
        context: { ...mine, ...tagged },
        ignored: [`aws:ResourceTag/${TAG}`],
        allowed: [],
      },
      {
        label: `${action}: ${what} of an untagged bucket`,
        action,
        resource,
        abac: true,
        context: mine,
        allowed: [],
      },
      {
        label: `${action}: ${what} of a tagged bucket, asked in another Region`,
        action,
        resource,
        abac: true,
        context: { ...mine, ...tagged, ...inOtherRegion },
        allowed: [],
      },
      {
        label: `${action}: ${what} of a tagged bucket of another account`,
        action,
        resource,
        abac: true,
        owner: OTHER_ACCOUNT,
        context: { 's3:ResourceAccount': OTHER_ACCOUNT, ...tagged },
        allowed: [],
      },
    );
  }
  const writing = (keys: string[]) => ({
    ...mine,
    'aws:TagKeys': keys,
    ...Object.fromEntries(keys.map((k) => [`aws:RequestTag/${k}`, 'job-1'])),
  });
  questions.push(
    {
      label: 's3:PutBucketAbac on a bucket of this account',
      action: 's3:PutBucketAbac',
      resource: BUCKET,
      context: mine,
      allowed: [CLEANUP],
    },
    {
      label: 's3:PutBucketAbac on a bucket of another account',
      action: 's3:PutBucketAbac',
      resource: BUCKET,
      owner: OTHER_ACCOUNT,
      context: { 's3:ResourceAccount': OTHER_ACCOUNT },
      allowed: [],
    },
    {
      label: 's3:PutBucketAbac asked in another Region',
      action: 's3:PutBucketAbac',
      resource: BUCKET,
      context: { ...mine, ...inOtherRegion },
      allowed: [],
    },
    {
      label: 's3:TagResource: the drill key on an untagged bucket with ABAC on',
      action: 's3:TagResource',
      resource: BUCKET,
      abac: true,
      context: writing([TAG]),
      allowed: [CLEANUP],
    },
    {
      label: 's3:TagResource: another key',
      action: 's3:TagResource',
      resource: BUCKET,
      abac: true,
      context: writing(['owner']),
      allowed: [],
    },
    {
      label: 's3:TagResource: the drill key and another',
      action: 's3:TagResource',
      resource: BUCKET,
      abac: true,
      context: writing([TAG, 'owner']),
      allowed: [],
    },
    {
      label: 's3:TagResource: the drill key on a bucket that carries it, ABAC on',
      action: 's3:TagResource',
      resource: BUCKET,
      abac: true,
      context: { ...writing([TAG]), ...tagged },
      allowed: [],
    },
    {
      // Where AWS's data shows the condition cannot hold: without ABAC, S3 does not evaluate
      // aws:ResourceTag, so a drill tag already there is not seen and can be written again.
      label: 's3:TagResource: the drill key on a bucket that carries it, ABAC off (cannot be held)',
      action: 's3:TagResource',
      resource: BUCKET,
      abac: false,
      context: { ...writing([TAG]), ...tagged },
      ignored: [`aws:ResourceTag/${TAG}`],
      allowed: [CLEANUP],
    },
    {
      label: 's3:PutBucketTagging (the tag set is replaced whole)',
      action: 's3:PutBucketTagging',
      resource: BUCKET,
      context: mine,
      allowed: [],
    },
  );
  return questions;
}

const jobTable = () => arn('dynamodb', 'table/RestoreJobsTable');
const queue = (name: string) => arn('sqs', name);

function keepQuestions(): Question[] {
  return [
    {
      label: 'dynamodb:DeleteTable on the job table',
      action: 'dynamodb:DeleteTable',
      resource: jobTable(),
      allowed: [],
    },
    {
      label: 'dynamodb:DeleteTable on the job table given the drill tag',
      action: 'dynamodb:DeleteTable',
      resource: jobTable(),
      context: tagged,
      allowed: [],
    },
    {
      label: 'dynamodb:UpdateTable on the job table given the drill tag',
      action: 'dynamodb:UpdateTable',
      resource: jobTable(),
      context: tagged,
      allowed: [],
    },
    {
      label: 'dynamodb:TagResource: the drill key on the job table',
      action: 'dynamodb:TagResource',
      resource: jobTable(),
      context: { 'aws:TagKeys': [TAG], [`aws:RequestTag/${TAG}`]: 'job-1' },
      allowed: [],
    },
    ...['RequestQueue', 'DeadLetterQueue', 'ValidationQueue'].flatMap((q) => [
      { label: `sqs:DeleteQueue on ${q}`, action: 'sqs:DeleteQueue', resource: queue(q), allowed: [] },
      { label: `sqs:PurgeQueue on ${q}`, action: 'sqs:PurgeQueue', resource: queue(q), allowed: [] },
    ]),
  ];
}

const STARTERS = [QUEUE, EVENT, ALARM];
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

function restoreQuestions(roleNames: readonly string[], sourceAccounts: readonly string[]): Question[] {
  const point = (account: string, region = REGION) =>
    arn('backup', 'recovery-point:1EB3B5E7-9EB0-435A', region, account);
  const passing = (name: string, service: string) => ({
    action: 'iam:PassRole',
    resource: role(name),
    context: { 'iam:PassedToService': service },
  });
  return [
    {
      label: 'backup:StartRestoreJob of a point of this account',
      action: 'backup:StartRestoreJob',
      resource: point(ACCOUNT),
      allowed: STARTERS,
    },
    ...sourceAccounts.map((a) => ({
      label: `backup:StartRestoreJob of a point of listed account ${a}`,
      action: 'backup:StartRestoreJob',
      resource: point(a),
      allowed: STARTERS,
    })),
    {
      label: 'backup:StartRestoreJob of an RDS snapshot point of this account',
      action: 'backup:StartRestoreJob',
      resource: arn('rds', 'snapshot:awsbackup:job-1eb3b5e7'),
      allowed: STARTERS,
    },
    {
      label: 'backup:StartRestoreJob of a point of an unlisted account',
      action: 'backup:StartRestoreJob',
      resource: point(OTHER_ACCOUNT),
      allowed: [],
    },
    {
      label: 'backup:StartRestoreJob in another Region',
      action: 'backup:StartRestoreJob',
      resource: point(ACCOUNT, OTHER_REGION),
      context: inOtherRegion,
      allowed: [],
    },
    ...roleNames.map((n) => ({
      label: `iam:PassRole of ${n} to AWS Backup`,
      ...passing(n, 'backup.amazonaws.com'),
      allowed: STARTERS,
    })),
    ...roleNames.map((n) => ({
      label: `iam:PassRole of ${n} to Lambda`,
      ...passing(n, 'lambda.amazonaws.com'),
      allowed: [],
    })),
    {
      label: 'iam:PassRole of a role not listed, to AWS Backup',
      ...passing('Admin', 'backup.amazonaws.com'),
      allowed: [],
    },
    {
      label: 'backup:GetRecoveryPointRestoreMetadata of a point of this account',
      action: 'backup:GetRecoveryPointRestoreMetadata',
      resource: point(ACCOUNT),
      allowed: [...STARTERS, TRACK, RECONCILE, VALIDATE, READY],
    },
    ...sourceAccounts.map((a) => ({
      label: `backup:GetRecoveryPointRestoreMetadata of a point of listed account ${a}`,
      action: 'backup:GetRecoveryPointRestoreMetadata',
      resource: point(a),
      allowed: [...STARTERS, TRACK, RECONCILE, VALIDATE, READY],
    })),
  ];
}

function invokeQuestions(validators: readonly string[]): Question[] {
  const fn = (name: string, account = ACCOUNT) => arn('lambda', `function:${name}`, REGION, account);
  const invoke = (label: string, resource: string, allowed: string[]): Question => ({
    label: `lambda:InvokeFunction of ${label}`,
    action: 'lambda:InvokeFunction',
    resource,
    allowed,
  });
  // Exactly what the validator's allowlist lets it invoke: a name as named, an ARN as written.
  const listed = validators.map((v) =>
    v.startsWith('arn:')
      ? invoke(`${v} (listed by ARN)`, v, [VALIDATE])
      : invoke(`${v} (listed by name)`, fn(v), [VALIDATE]),
  );
  return [
    ...listed,
    invoke('check-orders-copy (a listed name extended)', fn('check-orders-copy'), []),
    invoke('check-orders:live (an alias of a name listed without one)', fn('check-orders:live'), []),
    invoke('check-orders of another account', fn('check-orders', OTHER_ACCOUNT), []),
    invoke('check-orders of another Region', arn('lambda', 'function:check-orders', OTHER_REGION), []),
    invoke('check-stock:live (an alias of a function listed by ARN only)', fn('check-stock:live'), []),
    invoke('check-billing (listed only as check-billing:live)', fn('check-billing'), []),
    invoke("the pipeline's own cleanup function", fn('backup-restore-pipeline-ci-cleanupDrills'), []),
    // The reconciler asks makeReady for a completed job whose event it never had; no one else may.
    invoke("the pipeline's makeReady function", fn('backup-restore-pipeline-ci-makeReady'), [RECONCILE]),
    invoke('makeReady:live (an alias)', fn('backup-restore-pipeline-ci-makeReady:live'), []),
    invoke('makeReady of another account', fn('backup-restore-pipeline-ci-makeReady', OTHER_ACCOUNT), []),
  ];
}

describe('the simulator, default parameters', () => {
  it('lets only the cleanup change, tag and delete drill resources, each type held to the drill tag and this Region and account', async () => {
    const questions = drillQuestions();
    expect(await ask(stacks.default, questions)).toStrictEqual(expected(questions));
  });

  it('lets only the cleanup empty and delete S3 buckets, and only tagged ones with ABAC on', async () => {
    const questions = bucketQuestions();
    expect(await ask(stacks.default, questions)).toStrictEqual(expected(questions));
  });

  it('lets no role delete, change or purge the job table or the queues', async () => {
    const questions = keepQuestions();
    expect(await ask(stacks.default, questions)).toStrictEqual(expected(questions));
  });

  it('lets only the three restore functions start restores and pass the restore role, only to AWS Backup', async () => {
    const questions = [
      ...restoreQuestions(RESTORE_ROLES.slice(0, 1), []),
      // Neither the second role nor a source account is listed by default.
      ...restoreQuestions(RESTORE_ROLES.slice(1), SOURCE_ACCOUNTS)
        .filter((q) => /RestoreOperator|listed account/.test(q.label))
        .map((q) => ({ ...q, allowed: [] })),
    ];
    expect(await ask(stacks.default, questions)).toStrictEqual(expected(questions));
  });

  it("lets the validator read a recovery point's restore metadata (the size of an EBS volume restored without one)", async () => {
    const question = restoreQuestions([], []).filter(
      (q) => q.action === 'backup:GetRecoveryPointRestoreMetadata',
    );
    expect(question).toHaveLength(1);
    expect((await ask(stacks.default, question))[question[0]?.label as string]).toContain(VALIDATE);
  });

  it('lets no role invoke any function when no validator is listed, but the reconciler makeReady', async () => {
    const questions = invokeQuestions(VALIDATORS).map((q) => ({
      ...q,
      allowed: q.allowed.filter((r) => r === RECONCILE),
    }));
    expect(await ask(stacks.default, questions)).toStrictEqual(expected(questions));
  });
});

describe('the simulator: HeadBucket before a drill of a bucket', () => {
  it("lets the queue and event functions ask only about a drill's new bucket of this account", async () => {
    const bucket = (name: string, owner = ACCOUNT): Question => ({
      label: `s3:ListBucket of ${name} (${owner})`,
      action: 's3:ListBucket',
      resource: `arn:aws:s3:::${name}`,
      context: { 's3:ResourceAccount': owner },
      allowed: [],
    });
    const answers = await ask(stacks.default, [
      bucket('invoices-d1a2b3c4'),
      bucket('invoices'),
      bucket('invoices-d1a2b3c4', OTHER_ACCOUNT),
    ]);
    const askers = (label: string) => (answers[label] ?? []).filter((r) => [QUEUE, EVENT, ALARM].includes(r));
    expect(askers(`s3:ListBucket of invoices-d1a2b3c4 (${ACCOUNT})`)).toStrictEqual([EVENT, QUEUE]);
    expect(askers(`s3:ListBucket of invoices (${ACCOUNT})`)).toStrictEqual([]);
    expect(askers(`s3:ListBucket of invoices-d1a2b3c4 (${OTHER_ACCOUNT})`)).toStrictEqual([]);
  });
});

describe('the simulator, every optional part on', () => {
  it('holds the cleanup to drill resources as with the defaults', async () => {
    const questions = [...drillQuestions(), ...bucketQuestions(), ...keepQuestions()];
    expect(await ask(stacks.allOn, questions)).toStrictEqual(expected(questions));
  });

  it('lets the three restore functions start restores of the listed source accounts and pass each listed role', async () => {
    const questions = restoreQuestions(RESTORE_ROLES, SOURCE_ACCOUNTS);
    expect(await ask(stacks.allOn, questions)).toStrictEqual(expected(questions));
  });

  it('lets the validator invoke every listed validator, by name or ARN, and no other function', async () => {
    const questions = invokeQuestions(VALIDATORS);
    expect(await ask(stacks.allOn, questions)).toStrictEqual(expected(questions));
  });
});

describe('the allowed validators as statement resources (deploy/validator-arns.js)', () => {
  const { validatorArns } = require('../../deploy/validator-arns.js') as {
    validatorArns: (list: string) => unknown[];
  };

  it('refuses every entry that is neither a function name nor a function ARN, wildcards included', () => {
    expect(() =>
      validatorArns('check-orders,*,check-*,arn:aws:lambda:eu-west-1:123456789012:function:*'),
    ).toThrow(
      'allowedValidators holds entries that are not function names or ARNs: *, check-*, arn:aws:lambda:eu-west-1:123456789012:function:*',
    );
    expect(() => validatorArns('arn:aws:s3:::bucket')).toThrow('arn:aws:s3:::bucket');
    expect(validatorArns('')).toStrictEqual([]);
  });
});

describe('the CloudFormation resolver', () => {
  const template = {
    Resources: {
      Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'q' } },
      Key: { Type: 'AWS::KMS::Key', Properties: {} },
    },
    Outputs: {},
    Conditions: { On: { 'Fn::Equals': ['true', 'true'] }, Off: { 'Fn::Not': [{ Condition: 'On' }] } },
  } as unknown as Template;
  const resolve = (value: unknown) => new Resolver(template, STACK).resolve(value);

  it("substitutes a Sub's variables once, as CloudFormation does: a variable's value stays as written", () => {
    expect(
      resolve({
        'Fn::Sub': [
          'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${Names}',
          { Names: 'a,arn:${AWS::Partition}:x' },
        ],
      }),
    ).toBe(`arn:aws:lambda:${REGION}:${ACCOUNT}:function:a,arn:\${AWS::Partition}:x`);
    expect(resolve({ 'Fn::Sub': '${!Literal}-${Queue.Arn}-${Key}' })).toBe(
      `\${Literal}-arn:aws:sqs:${REGION}:${ACCOUNT}:q-Key`,
    );
  });

  it('evaluates Join, Split and If with the conditions, and drops AWS::NoValue', () => {
    expect(resolve({ 'Fn::Split': [',', { 'Fn::Join': [',', ['a', { Ref: 'Queue' }]] }] })).toStrictEqual([
      'a',
      `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/q`,
    ]);
    expect(
      resolve([{ 'Fn::If': ['Off', 'x', { Ref: 'AWS::NoValue' }] }, { 'Fn::If': ['On', 'y', 'z'] }]),
    ).toStrictEqual(['y']);
  });

  it('fails loudly on anything it does not resolve', () => {
    expect(() => resolve({ 'Fn::ImportValue': 'x' })).toThrow('unresolved intrinsic Fn::ImportValue');
    expect(() => resolve({ Ref: 'Missing' })).toThrow('no resource Missing');
    expect(() => resolve({ 'Fn::GetAtt': ['Key', 'KeyId'] })).toThrow('unresolved Fn::GetAtt Key.KeyId');
    expect(() => resolve({ 'Fn::If': ['Unknown', 'a', 'b'] })).toThrow('unknown condition Unknown');
  });
});
