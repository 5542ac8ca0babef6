/** The packaged CloudFormation template: resources, event source settings and a locked-down IAM policy. */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Resource = { Type: string; Properties: Record<string, any> };
type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, any>;
  Sid?: string;
};

let resources: Record<string, Resource>;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sls-package-'));
  execFileSync(join('node_modules', '.bin', 'serverless'), ['package', '--stage', 'ci', '--package', dir], {
    cwd: join(__dirname, '..'),
    stdio: 'pipe',
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
  });
  resources = JSON.parse(
    readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'),
  ).Resources;
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const one = (type: string) => {
  const found = ofType(type);
  expect(found).toHaveLength(1);
  return (found[0] as [string, Resource])[1];
};
const statements = (): Statement[] =>
  one('AWS::IAM::Role').Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement as Statement[]);
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
    const mapping = one('AWS::Lambda::EventSourceMapping').Properties;
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
      .find((p) => p.EventPattern['detail-type'][0] === 'Restore Requested');
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
      .find((p) => p.EventPattern.source[0] === 'aws.backup');
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
  });

  it('sets a retention on every log group', () => {
    const groups = ofType('AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThanOrEqual(2);
    for (const [, g] of groups) expect(g.Properties.RetentionInDays).toBeGreaterThan(0);
  });
});

describe('IAM', () => {
  it('allows no wildcard action', () => {
    for (const s of statements().filter((s) => s.Effect === 'Allow')) {
      for (const action of actions(s)) expect(action).not.toMatch(/\*/);
    }
  });

  it('passes only the allowed restore roles, and only to AWS Backup', () => {
    const pass = statements().filter((s) => actions(s).includes('iam:PassRole'));
    expect(pass).toHaveLength(1);
    const [s] = pass as [Statement];
    expect(JSON.stringify(s.Resource)).not.toMatch(/role\/\*|"\*"/);
    expect(JSON.stringify(s.Resource)).toContain('service-role/AWSBackupDefaultServiceRole');
    expect(s.Condition).toStrictEqual({ StringEquals: { 'iam:PassedToService': 'backup.amazonaws.com' } });
  });

  it('sends SQS messages only to the dead-letter queue', () => {
    const send = statements().filter((s) => actions(s).some((a) => a.startsWith('sqs:Send')));
    expect(send.length).toBeGreaterThan(0);
    for (const s of send) {
      const targets = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
      expect(targets).toStrictEqual(targets.map(() => ({ 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] })));
    }
  });

  it('reads and writes only the job link table, and publishes only to the alert topic', () => {
    for (const s of statements().filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')))) {
      expect(actions(s).sort()).toStrictEqual([
        'dynamodb:BatchWriteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
      ]);
      expect(s.Resource).toStrictEqual([{ 'Fn::GetAtt': ['RestoreJobsTable', 'Arn'] }]);
    }
    for (const s of statements().filter((s) => actions(s).some((a) => a.startsWith('sns:')))) {
      expect(JSON.stringify(s.Resource)).toMatch(
        /:sns:\$\{AWS::Region\}:\$\{AWS::AccountId\}:backup-restore-pipeline-ci-restore-alerts"/,
      );
    }
  });

  it('starts restore jobs and reads recovery points only in this account and Region', () => {
    const backup = statements().filter((s) => actions(s).some((a) => a.startsWith('backup:')));
    expect(backup.flatMap(actions).sort()).toStrictEqual([
      'backup:DescribeRecoveryPoint',
      'backup:GetRecoveryPointRestoreMetadata',
      'backup:ListRecoveryPointsByResource',
      'backup:ListRestoreJobsByProtectedResource',
      'backup:StartRestoreJob',
    ]);
    for (const s of backup) {
      if (s.Resource === '*') {
        // Only the list actions, which support no resource-level permission, and only in this Region.
        expect(actions(s).every((a) => a.startsWith('backup:List'))).toBe(true);
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

  it('lets only opted-in alarms going into ALARM reach the alarm function, one at a time', () => {
    const rule = ofType('AWS::Events::Rule')
      .map(([, r]) => r.Properties)
      .find((p) => p.EventPattern.source[0] === 'aws.cloudwatch');
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
