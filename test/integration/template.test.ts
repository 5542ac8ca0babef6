/** The packaged CloudFormation template: resources, event source settings, per-function IAM, monitoring. */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { deployedPatterns } from '../../local/eventbridge';
import { MAKE_READY_PATTERN } from '../../local/make-ready-rule';
import { Resolver } from '../helpers/cfn-resolve';
import { type Template as PackagedTemplate, packageStack, removePackages } from '../helpers/package-stack';

type Resource = { Type: string; Properties: Record<string, any>; Condition?: string };
type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, any>;
  Sid?: string;
};
type Template = PackagedTemplate & { Resources: Record<string, Resource> };

let resources: Record<string, Resource>;
let template: Template;
/** The same stack packaged with alerts: 'true'. */
let withAlerts: Template;
/** The same stack packaged as a recovery account for two source accounts. */
let withSources: Template;
const SOURCE_ACCOUNTS = ['444455556666', '555566667777'];
let withDrills: Template;
const DRILLS = [
  {
    resourceArn: 'arn:aws:rds:eu-west-1:123456789012:db:orders-db',
    rate: 'rate(7 days)',
    deleteAfterHours: 4,
    validator: 'check-orders',
  },
  {
    resourceArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders',
    rate: 'rate(1 day)',
    deleteAfterHours: 0,
  },
];

beforeAll(async () => {
  // One after the other: both build in the project's .esbuild folder.
  template = await packageStack();
  withAlerts = await packageStack('alerts=true');
  withSources = await packageStack(
    `allowedSourceAccountIds=${SOURCE_ACCOUNTS.join(',')}`,
    'allowedRestoreRoleNames=service-role/AWSBackupDefaultServiceRole,RestoreOperator',
  );
  withDrills = await packageStack(`drillSchedule=${JSON.stringify(DRILLS)}`);
  resources = template.Resources;
}, 360_000);

afterAll(removePackages);

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const FUNCTIONS = [
  'RestoreFromQueueLambdaFunction',
  'RestoreFromEventLambdaFunction',
  'RestoreOnAlarmLambdaFunction',
  'TrackRestoreJobLambdaFunction',
  'ReconcileRestoreJobsLambdaFunction',
  'ValidateRestoreLambdaFunction',
  'CleanupDrillsLambdaFunction',
  'MakeReadyLambdaFunction',
] as const;
/** The statements of a function's own role (conditional statements as the stack would have them). */
const roleStatements = (t: Template, fn: string, alertsOn = false, sourcesOn = false): Statement[] => {
  const role = t.Resources[t.Resources[fn]?.Properties.Role['Fn::GetAtt'][0]] as Resource;
  expect(role.Type).toBe('AWS::IAM::Role');
  return role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement as any[]).flatMap(
    (s: any) => {
      if (s['Fn::If'] === undefined) return [s as Statement];
      // Alerts as asked; validators as packaged (none allowed by default).
      expect(['AlertsEnabled', 'ValidatorsAllowed', 'SourceAccountsListed']).toContain(s['Fn::If'][0]);
      const on =
        (s['Fn::If'][0] === 'AlertsEnabled' && alertsOn) ||
        (s['Fn::If'][0] === 'SourceAccountsListed' && sourcesOn);
      const chosen = s['Fn::If'][on ? 1 : 2];
      return chosen?.Ref === 'AWS::NoValue' ? [] : [chosen as Statement];
    },
  );
};
const statements = (): Statement[] => FUNCTIONS.flatMap((fn) => roleStatements(template, fn, true));
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const queueFunction = () => resources.RestoreFromQueueLambdaFunction as Resource;
const eventFunction = () => resources.RestoreFromEventLambdaFunction as Resource;

describe('queues', () => {
  it('redrives the request queue to the dead-letter queue after MAX_RECEIVE_COUNT (at least 5) receives', () => {
    const queue = resources.RequestQueue as Resource;
    const max = Number(queueFunction().Properties.Environment.Variables.MAX_RECEIVE_COUNT);
    expect(max).toBeGreaterThanOrEqual(5);
    expect(queue.Properties.RedrivePolicy).toStrictEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] },
      maxReceiveCount: max,
    });
  });

  it('keeps the visibility timeout at least 6 times the function timeout', () => {
    expect((resources.RequestQueue as Resource).Properties.VisibilityTimeout).toBeGreaterThanOrEqual(
      6 * queueFunction().Properties.Timeout,
    );
  });

  it('encrypts both queues, keeps dead letters 14 days, and takes the largest dead letters', () => {
    for (const name of ['RequestQueue', 'DeadLetterQueue']) {
      const p = (resources[name] as Resource).Properties;
      expect(p.SqsManagedSseEnabled === true || p.KmsMasterKeyId !== undefined).toBe(true);
    }
    expect((resources.DeadLetterQueue as Resource).Properties).toMatchObject({
      MessageRetentionPeriod: 1209600,
      MaximumMessageSize: 1048576,
    });
  });

  it('refuses requests without TLS on both queues', () => {
    const policies = ofType('AWS::SQS::QueueInlinePolicy').map(([, r]) => r.Properties);
    for (const name of ['RequestQueue', 'DeadLetterQueue']) {
      const policy = policies.find((p) => p.Queue.Ref === name);
      expect(policy?.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Principal: '*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          Resource: { 'Fn::GetAtt': [name, 'Arn'] },
        }),
      );
    }
  });
});

describe('triggers', () => {
  it('feeds the queue function with partial batch responses', () => {
    const mapping = ofType('AWS::Lambda::EventSourceMapping')
      .map(([, r]) => r.Properties)
      .find((p) => p.FunctionName['Fn::GetAtt'][0] === 'RestoreFromQueueLambdaFunction');
    expect(mapping).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['RequestQueue', 'Arn'] },
      FunctionName: { 'Fn::GetAtt': ['RestoreFromQueueLambdaFunction', 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
    });
  });

  it('routes "Restore Requested" events to the event function, with the dead-letter queue as on-failure destination', () => {
    const rule = ofType('AWS::Events::Rule')
      .map(([, r]) => r.Properties)
      .find((p) => p.EventPattern?.['detail-type'][0] === 'Restore Requested');
    expect(rule?.EventPattern).toStrictEqual({
      source: ['backup-restore.requests'],
      'detail-type': ['Restore Requested'],
    });
    expect(rule?.Targets[0].Arn).toStrictEqual({ 'Fn::GetAtt': ['RestoreFromEventLambdaFunction', 'Arn'] });
    expect(
      ofType('AWS::Lambda::EventInvokeConfig').find(
        ([, r]) => r.Properties.FunctionName.Ref === 'RestoreFromEventLambdaFunction',
      )?.[1].Properties,
    ).toMatchObject({
      FunctionName: { Ref: 'RestoreFromEventLambdaFunction' },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } } },
    });
  });

  it('routes restore job state changes to the tracker on detail.status, which FAILED events carry', () => {
    const rule = ofType('AWS::Events::Rule')
      .map(([, r]) => r.Properties)
      .find((p) => p.EventPattern?.source[0] === 'aws.backup');
    expect(rule?.EventPattern).toStrictEqual({
      source: ['aws.backup'],
      'detail-type': ['Restore Job State Change'],
      detail: { status: ['COMPLETED', 'FAILED', 'ABORTED'] },
    });
    expect(rule?.Targets[0].Arn).toStrictEqual({ 'Fn::GetAtt': ['TrackRestoreJobLambdaFunction', 'Arn'] });
    expect(
      ofType('AWS::Lambda::EventInvokeConfig').find(
        ([, r]) => r.Properties.FunctionName.Ref === 'TrackRestoreJobLambdaFunction',
      )?.[1].Properties.DestinationConfig,
    ).toStrictEqual({ OnFailure: { Destination: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } } });
  });

  it('is routed locally by the same patterns as the deployed rules (npm run serve, PutEvents)', () => {
    const byFunction = Object.fromEntries(
      ofType('AWS::Events::Rule')
        .filter(([, r]) => r.Properties.EventPattern !== undefined)
        .map(([, r]) => [
          r.Properties.Targets[0].Arn['Fn::GetAtt'][0].replace('LambdaFunction', ''),
          r.Properties.EventPattern,
        ]),
    );
    const local = deployedPatterns();
    expect(byFunction).toStrictEqual({
      RestoreFromEvent: local.restoreFromEvent,
      RestoreOnAlarm: local.restoreOnAlarm,
      TrackRestoreJob: local.trackRestoreJob,
      // npm run serve and the make-ready demo route COMPLETED events to makeReady with this pattern.
      MakeReady: MAKE_READY_PATTERN,
    });
  });

  it('indexes job links by trigger id for the operators (byTriggerId, all attributes)', () => {
    const table = (resources.RestoreJobsTable as Resource).Properties;
    expect(table.AttributeDefinitions).toContainEqual({ AttributeName: 'triggerId', AttributeType: 'S' });
    expect(table.GlobalSecondaryIndexes).toStrictEqual([
      {
        IndexName: 'byTriggerId',
        KeySchema: [{ AttributeName: 'triggerId', KeyType: 'HASH' }],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
  });

  it('keeps job links in an encrypted table with a TTL, and makes the alert topic optional', () => {
    expect((resources.RestoreJobsTable as Resource).Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'restoreJobId', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    expect((resources.AlertTopic as Resource & { Condition: string }).Condition).toBe('AlertsEnabled');
  });

  it('gives the functions the configuration they check at cold start', () => {
    for (const fn of [
      queueFunction(),
      eventFunction(),
      resources.TrackRestoreJobLambdaFunction as Resource,
    ]) {
      const env = fn.Properties.Environment.Variables;
      expect(env.DEAD_LETTER_QUEUE_URL).toStrictEqual({ Ref: 'DeadLetterQueue' });
      expect(env.RESTORE_ROLE_ARN).toStrictEqual({
        'Fn::Sub':
          'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/service-role/AWSBackupDefaultServiceRole',
      });
      expect(env).toHaveProperty('ALLOWED_RESTORE_ROLE_ARNS');
      expect(env.RESTORE_JOBS_TABLE).toStrictEqual({ Ref: 'RestoreJobsTable' });
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
    }
    // The tracker's topic exists only with alerts on (a local value wins in serverless invoke local).
    expect(
      (resources.TrackRestoreJobLambdaFunction as Resource).Properties.Environment.Variables.ALERT_TOPIC_ARN,
    ).toStrictEqual({ 'Fn::If': ['AlertsEnabled', { Ref: 'AlertTopic' }, ''] });
  });

  it('sets a retention on every log group', () => {
    const groups = ofType('AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThanOrEqual(2);
    for (const [, g] of groups) expect(g.Properties.RetentionInDays).toBeGreaterThan(0);
  });
});

const DRILL_TAG = 'backup-restore:drill';

describe('IAM: one role per function, with only what it calls', () => {
  const RECOVERY_POINTS = 'recovery points of this account and Region';
  const label = (fn: string, s: Statement): string => {
    const r = JSON.stringify(s.Resource);
    const c = JSON.stringify(s.Condition ?? null);
    if (
      s.Resource === '*' &&
      c === JSON.stringify({ StringEquals: { 'aws:RequestedRegion': { Ref: 'AWS::Region' } } })
    )
      return 'any, in this Region';
    if (
      Array.isArray(s.Resource) &&
      s.Resource.length === 8 &&
      s.Resource.every(
        (x: any) => typeof x?.['Fn::Sub'] === 'string' && x['Fn::Sub'].includes('${AWS::Region}'),
      )
    )
      return RECOVERY_POINTS;
    if (
      r.includes('role/') &&
      !/role\/\*|"\*"/.test(r) &&
      c === JSON.stringify({ StringEquals: { 'iam:PassedToService': 'backup.amazonaws.com' } })
    )
      return 'the allowed restore roles, to AWS Backup';
    const named: Record<string, string> = {
      [JSON.stringify([{ 'Fn::GetAtt': ['RestoreJobsTable', 'Arn'] }])]: 'the link table',
      [JSON.stringify([{ 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] }])]: 'the dead-letter queue',
      [JSON.stringify([{ 'Fn::GetAtt': ['RequestQueue', 'Arn'] }])]: 'the request queue',
      [JSON.stringify([{ 'Fn::GetAtt': ['ValidationQueue', 'Arn'] }])]: 'the validation queue',
      [JSON.stringify([
        { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] },
        { 'Fn::GetAtt': ['ValidationQueue', 'Arn'] },
      ])]: 'the dead-letter and validation queues',
      [JSON.stringify([{ 'Fn::GetAtt': [fn.replace('LambdaFunction', 'LogGroup'), 'Arn'] }])]:
        'its own log group',
      [JSON.stringify([{ Ref: 'AlertTopic' }])]: 'the alert topic',
      [JSON.stringify([{ 'Fn::GetAtt': ['MakeReadyLambdaFunction', 'Arn'] }])]: 'the makeReady function',
    };
    if (r === JSON.stringify([{ 'Fn::GetAtt': ['AlertTopicKey', 'Arn'] }]))
      return c ===
        JSON.stringify({
          StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'sns.${AWS::Region}.amazonaws.com' } },
        })
        ? 'the alert key, through SNS'
        : `the alert key, ${c}`;
    return named[r] !== undefined && s.Condition === undefined ? (named[r] as string) : `${r} ${c}`;
  };
  /** action -> what it may act on, for one function's role. */
  const grants = (fn: string, alertsOn = false): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const s of roleStatements(alertsOn ? withAlerts : template, fn, alertsOn)) {
      // The one Deny (the cleanup's, on the job table) is checked on its own.
      if (s.Effect === 'Deny' && fn === 'CleanupDrillsLambdaFunction') continue;
      expect(s.Effect).toBe('Allow');
      for (const action of actions(s)) {
        expect(out[action]).toBeUndefined(); // each action granted once
        out[action] = label(fn, s);
      }
    }
    return out;
  };
  const logs = { 'logs:CreateLogStream': 'its own log group', 'logs:PutLogEvents': 'its own log group' };
  const starts = {
    'backup:StartRestoreJob': RECOVERY_POINTS,
    'iam:PassRole': 'the allowed restore roles, to AWS Backup',
    'backup:GetRecoveryPointRestoreMetadata': RECOVERY_POINTS,
    'backup:ListRecoveryPointsByResource': 'any, in this Region',
    // Only EFS and EC2 points name their vault: the others' vaults are searched.
    'backup:ListBackupVaults': 'any, in this Region',
    'backup:ListRecoveryPointsByBackupVault': 'any, in this Region',
    // Links and StartRestoreJob pacing slots (pace#<slot>) are conditional puts on the one table;
    // a link that exists is read to tell a repeat from a reused token.
    'dynamodb:PutItem': 'the link table',
    'dynamodb:GetItem': 'the link table',
    'sqs:SendMessage': 'the dead-letter queue',
  };
  /** HeadBucket before a drill of a bucket (queue and event functions): this account's drill bucket names. */
  const headsDrillBuckets = {
    's3:ListBucket': `${JSON.stringify({ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::*-d???????' })} ${JSON.stringify(
      {
        StringEquals: {
          'aws:RequestedRegion': { Ref: 'AWS::Region' },
          's3:ResourceAccount': { Ref: 'AWS::AccountId' },
        },
      },
    )}`,
  };
  /** What settles a job's end: the tracker, the reconciler, and the queue function for a redriven job event. */
  const settles = {
    'dynamodb:GetItem': 'the link table',
    'dynamodb:PutItem': 'the link table',
    'dynamodb:UpdateItem': 'the link table',
    'backup:DescribeRestoreJob': 'any, in this Region',
    'sqs:SendMessage': 'the dead-letter and validation queues',
  };

  it('gives each function a role of its own', () => {
    const roles = FUNCTIONS.map((fn) => (resources[fn] as Resource).Properties.Role['Fn::GetAtt'][0]);
    expect(new Set(roles).size).toBe(FUNCTIONS.length);
    expect(ofType('AWS::IAM::Role')).toHaveLength(FUNCTIONS.length);
    expect(ofType('AWS::Lambda::Function')).toHaveLength(FUNCTIONS.length);
  });

  it('lets the queue function poll its queue, start restores, and handle what a redrive brings back', () => {
    expect(grants('RestoreFromQueueLambdaFunction')).toStrictEqual({
      ...logs,
      ...starts,
      ...settles,
      ...headsDrillBuckets,
      'sqs:ReceiveMessage': 'the request queue',
      'sqs:DeleteMessage': 'the request queue',
      'sqs:GetQueueAttributes': 'the request queue',
      'backup:DescribeRecoveryPoint': RECOVERY_POINTS,
      // Redriven alarm events (one restore per resource).
      'backup:ListRestoreJobsByProtectedResource': 'any, in this Region',
    });
  });

  it('lets the event function start restores, check the vault, and dead-letter', () => {
    expect(grants('RestoreFromEventLambdaFunction')).toStrictEqual({
      ...logs,
      ...starts,
      ...headsDrillBuckets,
      'backup:DescribeRecoveryPoint': RECOVERY_POINTS,
    });
  });

  it('lets the alarm function start restores and see the running restores of a resource', () => {
    expect(grants('RestoreOnAlarmLambdaFunction')).toStrictEqual({
      ...logs,
      ...starts,
      'backup:ListRestoreJobsByProtectedResource': 'any, in this Region',
      // The claim on the resource (src/outcome/resource-claim.ts).
      'dynamodb:UpdateItem': 'the link table',
      'backup:DescribeRestoreJob': 'any, in this Region',
    });
  });

  it('lets the tracker and the reconciler settle job ends, dead-letter and alert, and start or pass nothing; the reconciler asks makeReady', () => {
    const tracker = {
      ...logs,
      ...settles,
      // The stored metadata, only to keep AWS's echo of it out of logs and alerts.
      'backup:GetRecoveryPointRestoreMetadata': RECOVERY_POINTS,
      // No tagging: a drill's record is written with the link table's PutItem; the cleanup tags.
    };
    const alerting = {
      'sns:Publish': 'the alert topic',
      'kms:GenerateDataKey': 'the alert key, through SNS',
      'kms:Decrypt': 'the alert key, through SNS',
    };
    expect(grants('TrackRestoreJobLambdaFunction')).toStrictEqual(tracker);
    expect(grants('TrackRestoreJobLambdaFunction', true)).toStrictEqual({ ...tracker, ...alerting });
    const reconciler = {
      ...tracker,
      'backup:ListRestoreJobs': 'any, in this Region',
      // A completed job whose event never reached makeReady: asked once (src/ready/lost.ts).
      'lambda:InvokeFunction': 'the makeReady function',
    };
    expect(grants('ReconcileRestoreJobsLambdaFunction')).toStrictEqual(reconciler);
    expect(grants('ReconcileRestoreJobsLambdaFunction', true)).toStrictEqual({ ...reconciler, ...alerting });
  });

  it('lets the cleanup find open drills, tag their resources, and change or delete only what carries the drill tag', () => {
    const any = 'any, in this Region';
    const region = { 'aws:RequestedRegion': { Ref: 'AWS::Region' } };
    const account = { 's3:ResourceAccount': { Ref: 'AWS::AccountId' } };
    const own = (...resources: string[]) =>
      resources.map((r) => ({
        'Fn::Sub': `arn:\${AWS::Partition}:${r.replace('REGION:ACCOUNT', '${AWS::Region}:${AWS::AccountId}')}`,
      }));
    const tagOnly = {
      'ForAllValues:StringEquals': { 'aws:TagKeys': [DRILL_TAG] },
      Null: { [`aws:RequestTag/${DRILL_TAG}`]: 'false', [`aws:ResourceTag/${DRILL_TAG}`]: 'true' },
      StringEquals: region,
    };
    const taggedOnly = { StringLike: { [`aws:ResourceTag/${DRILL_TAG}`]: '*' }, StringEquals: region };
    const held = (resources: unknown, condition: unknown) =>
      `${JSON.stringify(resources)} ${JSON.stringify(condition)}`;
    const databases = own('rds:REGION:ACCOUNT:db:*', 'rds:REGION:ACCOUNT:cluster:*');
    const tables = own('dynamodb:REGION:ACCOUNT:table/*');
    const instances = own('ec2:REGION:ACCOUNT:instance/*', 'ec2:REGION:ACCOUNT:volume/*');
    const fileSystems = own('elasticfilesystem:REGION:ACCOUNT:file-system/*');
    const [buckets, objects] = own('s3:::*', 's3:::*/*');
    const bucketsHere = held(buckets, { StringEquals: { ...region, ...account } });
    const taggedBuckets = (r: unknown) =>
      held(r, {
        StringLike: { [`aws:ResourceTag/${DRILL_TAG}`]: '*' },
        StringEquals: { ...region, ...account },
      });
    const readBuckets = held('*', { StringEquals: { ...region, ...account } });
    expect(grants('CleanupDrillsLambdaFunction')).toStrictEqual({
      ...logs,
      'dynamodb:Scan': 'the link table',
      'dynamodb:GetItem': 'the link table',
      'dynamodb:UpdateItem': 'the link table',
      'backup:DescribeRestoreJob': any,
      'rds:DescribeDBInstances': any,
      'rds:DescribeDBClusters': any,
      'dynamodb:DescribeTable': any,
      'dynamodb:ListTagsOfResource': any,
      'ec2:DescribeVolumes': any,
      'ec2:DescribeInstances': any,
      'elasticfilesystem:DescribeFileSystems': any,
      's3:GetBucketAbac': readBuckets,
      's3:ListTagsForResource': readBuckets,
      's3:GetBucketVersioning': readBuckets,
      's3:GetBucketObjectLockConfiguration': readBuckets,
      's3:ListBucketVersions': readBuckets,
      's3:ListAllMyBuckets': any,
      // The drill tag, written once, alone, on the first run after COMPLETED.
      'rds:AddTagsToResource': held(databases, tagOnly),
      'dynamodb:TagResource': held(tables, tagOnly),
      'ec2:CreateTags': held(instances, tagOnly),
      'elasticfilesystem:TagResource': held(fileSystems, tagOnly),
      's3:TagResource': held(buckets, {
        'ForAllValues:StringEquals': tagOnly['ForAllValues:StringEquals'],
        Null: tagOnly.Null,
        StringEquals: { ...region, ...account },
      }),
      // No tag can be there before ABAC is on: this account's buckets, in this Region.
      's3:PutBucketAbac': bucketsHere,
      'rds:ModifyDBInstance': held(databases, taggedOnly),
      'rds:ModifyDBCluster': held(databases, taggedOnly),
      'rds:DeleteDBInstance': held(databases, taggedOnly),
      'rds:DeleteDBCluster': held(databases, taggedOnly),
      'dynamodb:UpdateTable': held(tables, taggedOnly),
      'dynamodb:DeleteTable': held(tables, taggedOnly),
      'ec2:DeleteVolume': held(instances, taggedOnly),
      'ec2:TerminateInstances': held(instances, taggedOnly),
      'elasticfilesystem:DeleteFileSystem': held(fileSystems, taggedOnly),
      's3:DeleteBucket': taggedBuckets(buckets),
      's3:DeleteObject': taggedBuckets(objects),
      's3:DeleteObjectVersion': taggedBuckets(objects),
      'sqs:SendMessage': 'the dead-letter queue',
    });
    const denies = roleStatements(template, 'CleanupDrillsLambdaFunction').filter((s) => s.Effect === 'Deny');
    expect(denies).toStrictEqual([
      {
        Sid: 'NeverTagChangeOrDeleteTheJobTable',
        Effect: 'Deny',
        Action: ['dynamodb:TagResource', 'dynamodb:UpdateTable', 'dynamodb:DeleteTable'],
        Resource: [{ 'Fn::GetAtt': ['RestoreJobsTable', 'Arn'] }],
      },
    ]);
  });

  it('lets only the cleanup tag resources', () => {
    const tagging = [
      'rds:AddTagsToResource',
      'dynamodb:TagResource',
      'ec2:CreateTags',
      'elasticfilesystem:TagResource',
      's3:TagResource',
      's3:PutBucketTagging',
    ];
    for (const fn of FUNCTIONS) {
      for (const alertsOn of [false, true]) {
        const granted = roleStatements(alertsOn ? withAlerts : template, fn, alertsOn)
          .filter((s) => s.Effect === 'Allow')
          .flatMap(actions);
        const tags = [...new Set(granted.filter((a) => tagging.includes(a)))].sort();
        // makeReady tags the copies it makes ready (held to the ready key, test/integration/ready-iam.test.ts).
        const expected: Record<string, string[]> = {
          CleanupDrillsLambdaFunction: tagging.filter((a) => a !== 's3:PutBucketTagging').sort(),
          MakeReadyLambdaFunction: [
            'dynamodb:TagResource',
            'ec2:CreateTags',
            'elasticfilesystem:TagResource',
            'rds:AddTagsToResource',
          ],
        };
        expect([fn, tags]).toStrictEqual([fn, expected[fn] ?? []]);
      }
    }
  });

  it('lets the validator describe restored resources and record verdicts, and invoke no function by default', () => {
    const any = 'any, in this Region';
    expect(grants('ValidateRestoreLambdaFunction')).toStrictEqual({
      ...logs,
      'sqs:ReceiveMessage': 'the validation queue',
      'sqs:DeleteMessage': 'the validation queue',
      'sqs:GetQueueAttributes': 'the validation queue',
      'sqs:SendMessage': 'the dead-letter and validation queues',
      'rds:DescribeDBInstances': any,
      'rds:DescribeDBClusters': any,
      'dynamodb:DescribeTable': any,
      'dynamodb:Scan': any,
      'ec2:DescribeVolumes': any,
      'ec2:DescribeInstances': any,
      'ec2:DescribeInstanceStatus': any,
      'elasticfilesystem:DescribeFileSystems': any,
      's3:ListBucket': any,
      'backup:PutRestoreValidationResult': any,
      'backup:DescribeRestoreJob': any,
      'backup:DescribeRecoveryPoint': RECOVERY_POINTS,
      // The size of an EBS volume restored without volumeSize.
      'backup:GetRecoveryPointRestoreMetadata': RECOVERY_POINTS,
      'dynamodb:GetItem': 'the link table',
      'dynamodb:PutItem': 'the link table',
      // A 0-hour drill is made due at its verdict.
      'dynamodb:UpdateItem': 'the link table',
    });
  });

  it("passes each allowed role by its own ARN, in the stack's partition and account", () => {
    const roleArn = (name: string) => ({
      'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${name}`,
    });
    const passRole = (t: Template) =>
      roleStatements(t, 'RestoreFromEventLambdaFunction').find((s) => actions(s).includes('iam:PassRole'));
    expect(passRole(template)?.Resource).toStrictEqual([roleArn('service-role/AWSBackupDefaultServiceRole')]);
    // Two names: each ARN is its own substitution (a Join delimiter cannot carry the partition).
    expect(passRole(withSources)?.Resource).toStrictEqual([
      roleArn('service-role/AWSBackupDefaultServiceRole'),
      roleArn('RestoreOperator'),
    ]);
    expect(
      (withSources.Resources.RestoreFromEventLambdaFunction as Resource).Properties.Environment.Variables
        .ALLOWED_RESTORE_ROLE_ARNS,
    ).toStrictEqual({
      'Fn::Join': [',', [roleArn('service-role/AWSBackupDefaultServiceRole'), roleArn('RestoreOperator')]],
    });
  });

  it('allows no wildcard action, and no function queries the link table', () => {
    for (const s of statements()) {
      for (const action of actions(s)) {
        expect(action).not.toMatch(/\*/);
        expect(action).not.toBe('dynamodb:Query');
      }
    }
  });

  it('starts restore jobs and reads recovery points only in this account and Region', () => {
    const backup = statements().filter((s) => actions(s).some((a) => a.startsWith('backup:')));
    expect([...new Set(backup.flatMap(actions).filter((a) => a.startsWith('backup:')))].sort()).toStrictEqual(
      [
        'backup:DescribeRecoveryPoint',
        'backup:DescribeRestoreJob',
        'backup:GetRecoveryPointRestoreMetadata',
        'backup:ListBackupVaults',
        'backup:ListRecoveryPointsByBackupVault',
        'backup:ListRecoveryPointsByResource',
        'backup:ListRestoreJobs',
        'backup:ListRestoreJobsByProtectedResource',
        'backup:PutRestoreValidationResult',
        'backup:StartRestoreJob',
      ],
    );
    for (const s of backup) {
      if (s.Resource === '*') {
        // Only lists, reading a restore job and recording a validation verdict: nothing that acts
        // on a recovery point, and only in this Region.
        expect(
          actions(s).every(
            (a) =>
              !a.startsWith('backup:') ||
              a.startsWith('backup:List') ||
              a === 'backup:DescribeRestoreJob' ||
              a === 'backup:PutRestoreValidationResult',
          ),
        ).toBe(true);
        expect(s.Condition).toStrictEqual({
          StringEquals: { 'aws:RequestedRegion': { Ref: 'AWS::Region' } },
        });
        continue;
      }
      for (const resource of s.Resource as { 'Fn::Sub': string }[]) {
        const arn = resource['Fn::Sub'];
        expect(arn).toMatch(
          /^arn:\$\{AWS::Partition\}:[a-z0-9-]+:\$\{AWS::Region\}:(\$\{AWS::AccountId\})?:/,
        );
        // Only EC2 images and snapshots have no account in their ARN.
        if (!arn.includes('${AWS::AccountId}'))
          expect(arn).toMatch(/:ec2:\$\{AWS::Region\}::(image|snapshot)\//);
      }
    }
  });

  it('as a recovery account, starts restores and reads recovery points of each listed source account only, named', () => {
    const RECOVERY_POINT_ACTIONS = [
      'backup:DescribeRecoveryPoint',
      'backup:GetRecoveryPointRestoreMetadata',
      'backup:StartRestoreJob',
    ];
    const expected = SOURCE_ACCOUNTS.map((a) => `arn:aws:backup:eu-west-1:${a}:recovery-point:*`);
    for (const fn of FUNCTIONS) {
      const own = roleStatements(withSources, fn, false, false);
      const all = roleStatements(withSources, fn, false, true);
      const shared = all.filter((s) => !own.includes(s));
      // A shared statement for exactly each recovery point action the function has on its own account.
      const ownActions = own
        .flatMap(actions)
        .filter((a) => RECOVERY_POINT_ACTIONS.includes(a))
        .sort();
      expect(shared.flatMap(actions).sort()).toStrictEqual(ownActions);
      for (const s of shared) {
        expect(s.Sid).toMatch(/OfTheListedSourceAccounts$/);
        expect(s.Condition).toBeUndefined();
        expect(
          new Resolver(withSources, {
            partition: 'aws',
            region: 'eu-west-1',
            accountId: '123456789012',
          }).resolve(s.Resource),
        ).toStrictEqual(expected);
      }
      // Packaged without source accounts the condition is false (below): the role has none of them.
      expect(roleStatements(template, fn).filter((s) => /SourceAccounts/.test(s.Sid ?? ''))).toStrictEqual(
        [],
      );
    }
    expect(withSources.Conditions.SourceAccountsListed).toStrictEqual({
      'Fn::Not': [{ 'Fn::Equals': [SOURCE_ACCOUNTS.join(','), ''] }],
    });
    expect(template.Conditions.SourceAccountsListed).toStrictEqual({
      'Fn::Not': [{ 'Fn::Equals': ['', ''] }],
    });
    expect(
      (withSources.Resources.RestoreFromQueueLambdaFunction as Resource).Properties.Environment.Variables
        .ALLOWED_SOURCE_ACCOUNT_IDS,
    ).toBe(SOURCE_ACCOUNTS.join(','));
  });

  it('lets only opted-in alarms going into ALARM reach the alarm function, one at a time', () => {
    const rule = ofType('AWS::Events::Rule')
      .map(([, r]) => r.Properties)
      .find((p) => p.EventPattern?.source[0] === 'aws.cloudwatch');
    expect(rule?.EventPattern).toStrictEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: {
        state: { value: ['ALARM'] },
        $or: [{ alarmName: [{ prefix: 'restore-' }] }, { alarmTags: { 'backup-restore:enabled': ['true'] } }],
      },
    });
    expect((resources.RestoreOnAlarmLambdaFunction as Resource).Properties.ReservedConcurrentExecutions).toBe(
      1,
    );
  });
});

/** Every `*.ts` file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The metric names the code writes (`metrics.count('X', ...)`, `metrics.seconds('X', ...)`). */
const emittedMetrics = () =>
  [
    ...new Set(
      sources(join(__dirname, '..', '..', 'src'))
        .concat(sources(join(__dirname, '..', '..', 'handlers')))
        .flatMap((f) => [
          ...readFileSync(f, 'utf8').matchAll(/(?:metrics\.(?:count|seconds)|metricFields)\(\s*'(\w+)'/g),
        ])
        .map((m) => m[1] as string),
    ),
  ].sort();

/** The dashboard body with the Fn::Sub names replaced by `<Name>`, parsed. */
function dashboard(t: Template): { widgets: { properties: { title: string; metrics: unknown[][] } }[] } {
  const [body, vars] = (t.Resources.Dashboard as Resource).Properties.DashboardBody['Fn::Sub'] as [
    string,
    Record<string, string>,
  ];
  return JSON.parse(body.replace(/\$\{([^}]+)\}/g, (_, name: string) => vars[name] ?? `<${name}>`));
}

describe('dashboard, alarms and outputs', () => {
  it('graphs every metric the pipeline writes, summed over resource types', () => {
    const names = emittedMetrics();
    expect(names).toStrictEqual([
      'DrillCleanupsFailed',
      'DrillCleanupsRefused',
      'DrillsCleanedUp',
      'MakeReadyReconciled',
      'RedrivesRefused',
      'RestoreDuration',
      'RestoreJobsCompleted',
      'RestoreJobsFailed',
      'RestoreJobsReconciled',
      'RestoreJobsStarted',
      'RestoreJobsUnlinked',
      'RestoresSkipped',
    ]);
    const text = JSON.stringify(dashboard(template));
    const namespace = readFileSync(join(__dirname, '..', '..', 'src', 'metrics.ts'), 'utf8').match(
      /METRICS_NAMESPACE = '(\w+)'/,
    )?.[1];
    expect(namespace).toBeDefined();
    for (const name of names) {
      expect(text).toContain(`SEARCH('{${namespace},ResourceType} MetricName=\\"${name}\\"'`);
    }
    expect(template.Resources.Dashboard?.Properties.DashboardName).toBe('backup-restore-pipeline-ci');
  });

  it("graphs requests, the dead-letter queue, and each function's errors and throttles", () => {
    const lines = dashboard(template).widgets.flatMap((w) => w.properties.metrics);
    const has = (...line: string[]) =>
      expect(lines.map((l) => l.filter((x) => typeof x === 'string'))).toContainEqual(line);
    has('AWS/SQS', 'NumberOfMessagesSent', 'QueueName', '<RequestQueue.QueueName>');
    has('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', '<DeadLetterQueue.QueueName>');
    has('AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', '<DeadLetterQueue.QueueName>');
    for (const fn of FUNCTIONS) {
      has('AWS/Lambda', 'Errors', 'FunctionName', `<${fn}>`);
      has('AWS/Lambda', 'Throttles', 'FunctionName', `<${fn}>`);
    }
  });

  const alarm = (t: Template, name: string) => {
    const r = t.Resources[name] as Resource;
    expect(r.Type).toBe('AWS::CloudWatch::Alarm');
    return r.Properties;
  };

  it('alarms on a dead-letter queue that is not empty or getting old', () => {
    const dlq = [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['DeadLetterQueue', 'QueueName'] } }];
    expect(alarm(template, 'DeadLetterQueueNotEmptyAlarm')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: dlq,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    const age = alarm(template, 'DeadLetterQueueAgeAlarm');
    expect(age).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: dlq,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    // Well before the queue's retention deletes the letter.
    expect(age.Threshold).toBeGreaterThan(0);
    expect(age.Threshold).toBeLessThan(
      (resources.DeadLetterQueue as Resource).Properties.MessageRetentionPeriod,
    );
  });

  it("alarms on failed restores of any resource type, and on any function's errors", () => {
    const failed = alarm(template, 'RestoreJobsFailedAlarm');
    expect(failed.Metrics).toStrictEqual([
      {
        Id: 'failed',
        Expression: 'SELECT SUM(RestoreJobsFailed) FROM SCHEMA("BackupRestorePipeline", ResourceType)',
        Period: 300,
        ReturnData: true,
      },
    ]);
    expect(failed).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    const errors = alarm(template, 'FunctionErrorsAlarm');
    const watched = errors.Metrics.filter((m: any) => m.MetricStat !== undefined).map((m: any) => {
      expect(m.MetricStat.Metric).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors' });
      return m.MetricStat.Metric.Dimensions[0].Value.Ref as string;
    });
    expect(watched.sort()).toStrictEqual(
      ofType('AWS::Lambda::Function')
        .map(([id]) => id)
        .sort(),
    );
    const [sum] = errors.Metrics.filter((m: any) => m.ReturnData === true);
    for (const m of errors.Metrics.filter((m: any) => m.MetricStat !== undefined))
      expect(sum.Expression).toContain(`FILL(${m.Id}, 0)`);
  });

  it('sends the alarms to the alert topic when alerts are on, and nowhere otherwise', () => {
    const names = ofType('AWS::CloudWatch::Alarm').map(([id]) => id);
    expect(names.sort()).toStrictEqual([
      'DeadLetterQueueAgeAlarm',
      'DeadLetterQueueNotEmptyAlarm',
      'FunctionErrorsAlarm',
      'RestoreJobsFailedAlarm',
    ]);
    for (const name of names) {
      expect(alarm(template, name).AlarmActions).toStrictEqual({
        'Fn::If': ['AlertsEnabled', [{ Ref: 'AlertTopic' }], { Ref: 'AWS::NoValue' }],
      });
    }
    expect(template.Conditions.AlertsEnabled).toStrictEqual({ 'Fn::Equals': ['false', 'true'] });
    expect(withAlerts.Conditions.AlertsEnabled).toStrictEqual({ 'Fn::Equals': ['true', 'true'] });
  });

  it('encrypts the alert topic with a key CloudWatch alarms may use (the AWS managed key cannot be shared)', () => {
    const topic = withAlerts.Resources.AlertTopic as Resource;
    expect(topic.Properties.KmsMasterKeyId).toStrictEqual({ Ref: 'AlertTopicKey' });
    const key = withAlerts.Resources.AlertTopicKey as Resource;
    expect(key.Condition).toBe('AlertsEnabled');
    expect(key.Properties.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    );
  });

  it("outputs what the operators' CLI needs", () => {
    const outputs = (t: Template) =>
      Object.fromEntries(
        Object.entries(t.Outputs)
          .filter(([name]) => !name.endsWith('QualifiedArn') && name !== 'ServerlessDeploymentBucketName')
          .map(([name, o]) => [name, o.Condition === undefined ? o.Value : { [o.Condition]: o.Value }]),
      );
    const common = {
      RequestQueueUrl: { Ref: 'RequestQueue' },
      RequestQueueArn: { 'Fn::GetAtt': ['RequestQueue', 'Arn'] },
      DeadLetterQueueUrl: { Ref: 'DeadLetterQueue' },
      DeadLetterQueueArn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] },
      RestoreJobsTable: { Ref: 'RestoreJobsTable' },
      AlertTopicArn: { AlertsEnabled: { Ref: 'AlertTopic' } },
      DashboardName: { Ref: 'Dashboard' },
    };
    expect(outputs(template)).toStrictEqual(common);
    expect(outputs(withAlerts)).toStrictEqual(common);
  });
});

describe('drills', () => {
  const rules = (t: Template) =>
    Object.values(t.Resources).filter(
      (r) => r.Type === 'AWS::Events::Rule' && r.Properties.ScheduleExpression !== undefined,
    );

  it('deploys each drillSchedule entry as a schedule of restoreFromEvent sending a drill by resource', () => {
    const drills = rules(withDrills).filter(
      (r) => r.Properties.Targets[0].Arn['Fn::GetAtt'][0] === 'RestoreFromEventLambdaFunction',
    );
    expect(drills.map((r) => r.Properties.ScheduleExpression)).toStrictEqual(['rate(7 days)', 'rate(1 day)']);
    const event = JSON.parse(drills[0]?.Properties.Targets[0].InputTransformer.InputTemplate);
    expect(event).toMatchObject({ 'detail-type': 'Restore Requested', id: '<id>', time: '<time>' });
    expect(event.detail).toStrictEqual({
      ResourceArn: DRILLS[0]?.resourceArn,
      Drill: { DeleteAfterHours: 4 },
      Validator: 'check-orders',
    });
    // The event function's own rule is still there, and none of this without a schedule.
    expect(
      rules(template)
        .map((r) => r.Properties.Targets[0].Arn['Fn::GetAtt'][0])
        .sort(),
    ).toStrictEqual(['CleanupDrillsLambdaFunction', 'ReconcileRestoreJobsLambdaFunction']);
  });

  it('runs the cleanup every 15 minutes, one run at a time', () => {
    const cleanup = rules(template).find(
      (r) => r.Properties.Targets[0].Arn['Fn::GetAtt'][0] === 'CleanupDrillsLambdaFunction',
    );
    expect(cleanup?.Properties.ScheduleExpression).toBe('rate(15 minutes)');
    expect(resources.CleanupDrillsLambdaFunction?.Properties.ReservedConcurrentExecutions).toBe(1);
  });

  it('lets only the cleanup change or delete, and only resources tagged as drills', () => {
    const changes = [
      'rds:ModifyDBInstance',
      'rds:ModifyDBCluster',
      'rds:DeleteDBInstance',
      'rds:DeleteDBCluster',
      'dynamodb:UpdateTable',
      'dynamodb:DeleteTable',
      'ec2:DeleteVolume',
      'ec2:TerminateInstances',
      'elasticfilesystem:DeleteFileSystem',
      's3:DeleteBucket',
      's3:DeleteObject',
      's3:DeleteObjectVersion',
    ];
    for (const fn of FUNCTIONS) {
      const granting = roleStatements(template, fn, true).filter(
        (s) => s.Effect === 'Allow' && [s.Action].flat().some((a) => changes.includes(a as string)),
      );
      if (fn === 'MakeReadyLambdaFunction') {
        // makeReady changes only the copies it marked ready (test/integration/ready-iam.test.ts). A
        // statement on nothing but this account's groups (the ones a change names) changes no copy
        // by itself: the copy's own resource is authorized too, and held to the ready key.
        const groupsOnly = (s: Statement) =>
          [s.Resource]
            .flat()
            .every((r) =>
              /^arn:\$\{AWS::Partition\}:rds:\$\{AWS::Region\}:\$\{AWS::AccountId\}:(pg|og|cluster-pg):/.test(
                String((r as { 'Fn::Sub'?: unknown })['Fn::Sub']),
              ),
            );
        for (const s of granting.filter((g) => !groupsOnly(g)))
          expect(s.Condition?.StringLike).toStrictEqual({ 'aws:ResourceTag/backup-restore:ready': '*' });
        continue;
      }
      if (fn !== 'CleanupDrillsLambdaFunction') {
        expect(granting).toStrictEqual([]);
        continue;
      }
      // Every change and delete of the cleanup is held to the drill tag, make-ready's instances of a
      // drill's cluster included (the cleanup tags them first, once proven the job's).
      expect(granting.flatMap(actions).sort()).toStrictEqual([...changes].sort());
      for (const s of granting)
        expect(s.Condition?.StringLike).toStrictEqual({ 'aws:ResourceTag/backup-restore:drill': '*' });
    }
  });
});
