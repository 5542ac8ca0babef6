/**
 * makeReady's role in the packaged template, resolved in a fake account: it agrees with AWS's
 * Service Authorization data, and the simulator lets it change only copies that carry the ready
 * key (written by it, that key alone, only where it is not yet), in this Region and account.
 */

import { Resolver, type Stack } from '../helpers/cfn-resolve';
import { decide, disagreements, type Policy, type Request } from '../helpers/iam-check';
import { packageStack, removePackages } from '../helpers/package-stack';

const STACK: Stack = { partition: 'aws', region: 'eu-west-1', accountId: '123456789012' };
const OTHER_REGION = 'us-east-1';
const OTHER_ACCOUNT = '999988887777';
const KEY = 'backup-restore:ready';
let role: { arn: string; policies: { name: string; policy: Policy }[] };

beforeAll(async () => {
  const template = await packageStack();
  const resolver = new Resolver(template, STACK);
  const fn = template.Resources.MakeReadyLambdaFunction;
  const r = template.Resources[fn?.Properties.Role['Fn::GetAtt'][0]];
  const policies = resolver.resolve(r?.Properties.Policies) as {
    PolicyName: string;
    PolicyDocument: Policy;
  }[];
  role = {
    arn: resolver.resolve(fn?.Properties.Role) as string,
    policies: policies.map((p) => ({ name: p.PolicyName, policy: p.PolicyDocument })),
  };
}, 180_000);
afterAll(removePackages);

const arn = (service: string, resource: string, region = STACK.region, account = STACK.accountId) =>
  `arn:aws:${service}:${region}:${account}:${resource}`;
const marked = { [`aws:ResourceTag/${KEY}`]: 'job-1' };
const writing = (keys: string[]) => ({
  'aws:TagKeys': keys,
  ...Object.fromEntries(keys.map((k) => [`aws:RequestTag/${k}`, 'v'])),
});
const allowed = async (q: Request) =>
  (
    await decide(role.arn, role.policies, {
      ...q,
      context: { 'aws:RequestedRegion': STACK.region, ...q.context },
    })
  ).result === 'Allowed';

const CLUSTER = arn('rds', 'cluster:ledger-restored');
const VOLUME = arn('ec2', 'volume/vol-0bbbbbbbbbbbbbbb2');
const INSTANCE = arn('ec2', 'instance/i-0bbbbbbbbbbbbbbb2');
// EC2 gives a resource's tags as ec2:ResourceTag (and aws:ResourceTag).
const ec2Marked = { [`ec2:ResourceTag/${KEY}`]: 'job-1', ...marked };
const TABLE = arn('dynamodb', 'table/orders-restored');
const FILE_SYSTEM = arn('elasticfilesystem', 'file-system/fs-0bbbbbbbbbbbbbbb2');
const JOB_TABLE = arn('dynamodb', 'table/RestoreJobsTable');

describe("makeReady's role", () => {
  it("agrees with AWS's Service Authorization data: actions, condition keys, resource types", async () => {
    const problems: string[] = [];
    for (const { policy } of role.policies)
      for (const s of policy.Statement)
        for (const p of await disagreements(s)) problems.push(`${s.Sid}: ${p}`);
    expect(problems).toStrictEqual([]);
  });

  it('reads its restore job as AWS Backup describes it, in this Region only', async () => {
    // DescribeRestoreJob takes only "*" as its resource (docs/aws-behaviour.md#iam-list-no-resource).
    expect(await allowed({ action: 'backup:DescribeRestoreJob', resource: '*' })).toBe(true);
    expect(
      await allowed({
        action: 'backup:DescribeRestoreJob',
        resource: '*',
        context: { 'aws:RequestedRegion': OTHER_REGION },
      }),
    ).toBe(false);
  });

  it('changes a copy only once it carries the ready key, in this Region and account', async () => {
    for (const [action, resource] of [
      ['dynamodb:UpdateContinuousBackups', TABLE],
      ['dynamodb:UpdateTimeToLive', TABLE],
      ['dynamodb:UpdateContributorInsights', TABLE],
      ['dynamodb:UpdateTable', TABLE],
      ['rds:ModifyDBCluster', CLUSTER],
      ['rds:ModifyDBInstance', arn('rds', 'db:orders-db-restored')],
    ] as const) {
      expect([action, await allowed({ action, resource, context: marked })]).toStrictEqual([action, true]);
      expect([action, await allowed({ action, resource })]).toStrictEqual([action, false]);
      const elsewhere = resource.replace(STACK.region, OTHER_REGION);
      expect([
        action,
        await allowed({
          action,
          resource: elsewhere,
          context: { ...marked, 'aws:RequestedRegion': OTHER_REGION },
        }),
      ]).toStrictEqual([action, false]);
      expect([
        action,
        await allowed({
          action,
          resource: resource.replace(STACK.accountId, OTHER_ACCOUNT),
          context: marked,
        }),
      ]).toStrictEqual([action, false]);
    }
  });

  it('writes the ready key alone only where it is not yet, and copies other keys only onto marked copies', async () => {
    for (const [action, resource] of [
      ['dynamodb:TagResource', TABLE],
      ['rds:AddTagsToResource', CLUSTER],
      ['elasticfilesystem:TagResource', FILE_SYSTEM],
    ] as const) {
      const q = (context: Record<string, string | string[]>) => allowed({ action, resource, context });
      expect(await q(writing([KEY]))).toBe(true);
      expect(await q({ ...writing([KEY]), ...marked })).toBe(false);
      expect(await q(writing([KEY, 'team']))).toBe(false);
      expect(await q(writing(['team']))).toBe(false);
      expect(await q({ ...writing(['team']), ...marked })).toBe(true);
      expect(await q({ ...writing(['backup-restore:drill']), ...marked })).toBe(false);
      // The drill key in another case: IAM would read it as the drill key on the resource.
      expect(await q({ ...writing(['Backup-Restore:Drill']), ...marked })).toBe(false);
    }
  });

  it('reads volumes and instances with their tags (EC2 Describe takes only "*"), in this Region only', async () => {
    for (const action of ['ec2:DescribeVolumes', 'ec2:DescribeInstances']) {
      expect([action, await allowed({ action, resource: '*' })]).toStrictEqual([action, true]);
      expect([
        action,
        await allowed({ action, resource: '*', context: { 'aws:RequestedRegion': OTHER_REGION } }),
      ]).toStrictEqual([action, false]);
    }
  });

  it('tags a volume or an instance with the ready key alone only where it has none, and copies other keys only onto one carrying it', async () => {
    for (const resource of [VOLUME, INSTANCE]) {
      const q = (context: Record<string, string | string[]>, at = resource) =>
        allowed({ action: 'ec2:CreateTags', resource: at, context });
      expect([resource, await q(writing([KEY]))]).toStrictEqual([resource, true]);
      expect([resource, await q({ ...writing([KEY]), ...ec2Marked })]).toStrictEqual([resource, false]);
      expect([resource, await q(writing([KEY, 'team']))]).toStrictEqual([resource, false]);
      // No CreateTags of other keys on a volume or instance without the ready key.
      expect([resource, await q(writing(['team']))]).toStrictEqual([resource, false]);
      expect([resource, await q({ ...writing(['team', 'Name']), ...ec2Marked })]).toStrictEqual([
        resource,
        true,
      ]);
      expect([resource, await q({ ...writing(['backup-restore:drill']), ...ec2Marked })]).toStrictEqual([
        resource,
        false,
      ]);
      // The drill or ready key in another case: IAM would read it as that key on the resource.
      for (const key of ['Backup-Restore:Drill', 'BACKUP-RESTORE:DRILL', 'backup-restore:Ready'])
        expect([resource, key, await q({ ...writing([key]), ...ec2Marked })]).toStrictEqual([
          resource,
          key,
          false,
        ]);
      const elsewhere = resource.replace(STACK.region, OTHER_REGION);
      expect([
        resource,
        await q({ ...writing(['team']), ...ec2Marked, 'aws:RequestedRegion': OTHER_REGION }, elsewhere),
      ]).toStrictEqual([resource, false]);
      expect([
        resource,
        await q({ ...writing([KEY]) }, resource.replace(STACK.accountId, OTHER_ACCOUNT)),
      ]).toStrictEqual([resource, false]);
    }
    // Never on another kind of EC2 resource (a snapshot).
    expect(
      await allowed({
        action: 'ec2:CreateTags',
        resource: arn('ec2', 'snapshot/snap-1', STACK.region, ''),
        context: writing([KEY]),
      }),
    ).toBe(false);
  });

  it('tags a file system with the ready key alone only where it has none, other keys only where it has it, and never the drill key', async () => {
    const q = (context: Record<string, string | string[]>, at = FILE_SYSTEM) =>
      allowed({ action: 'elasticfilesystem:TagResource', resource: at, context });
    const DRILL = 'backup-restore:drill';
    expect(await q(writing([KEY]))).toBe(true);
    expect(await q({ ...writing([KEY]), ...marked })).toBe(false);
    expect(await q(writing([KEY, 'team']))).toBe(false);
    expect(await q(writing(['team']))).toBe(false);
    expect(await q({ ...writing(['team', 'Name']), ...marked })).toBe(true);
    // The drill key, on a file system with or without the ready key, alone or beside another key.
    for (const context of [
      writing([DRILL]),
      writing([KEY, DRILL]),
      { ...writing([DRILL]), ...marked },
      { ...writing(['team', DRILL]), ...marked },
      { ...writing([DRILL]), ...marked, [`aws:ResourceTag/${DRILL}`]: 'job-2' },
    ])
      expect([context, await q(context)]).toStrictEqual([context, false]);
    // Nor another of the pipeline's keys on a marked file system.
    expect(await q({ ...writing(['backup-restore:other']), ...marked })).toBe(false);
    // IAM reads a tag key in aws:ResourceTag/<key> whatever its case: the drill key in another case
    // would be the drill key to the cleanup's conditions.
    for (const key of ['BACKUP-RESTORE:DRILL', 'Backup-Restore:Drill', 'backup-restore:Ready'])
      expect([key, await q({ ...writing([key]), ...marked })]).toStrictEqual([key, false]);
    // Only this Region's and account's file systems, never an access point.
    expect(
      await q(
        { ...writing([KEY]), 'aws:RequestedRegion': OTHER_REGION },
        FILE_SYSTEM.replace(STACK.region, OTHER_REGION),
      ),
    ).toBe(false);
    expect(await q(writing([KEY]), FILE_SYSTEM.replace(STACK.accountId, OTHER_ACCOUNT))).toBe(false);
    expect(await q(writing([KEY]), arn('elasticfilesystem', 'access-point/fsap-0bbbbbbbbbbbbbbb2'))).toBe(
      false,
    );
  });

  it('reads file systems with their tags, in this Region only', async () => {
    const action = 'elasticfilesystem:DescribeFileSystems';
    expect(await allowed({ action, resource: FILE_SYSTEM })).toBe(true);
    expect(
      await allowed({
        action,
        resource: FILE_SYSTEM.replace(STACK.region, OTHER_REGION),
        context: { 'aws:RequestedRegion': OTHER_REGION },
      }),
    ).toBe(false);
  });

  it('creates an instance only tagged with the ready key, and only in a cluster that carries it', async () => {
    const db = arn('rds', 'db:ledger-restored-writer');
    expect(await allowed({ action: 'rds:CreateDBInstance', resource: db, context: writing([KEY]) })).toBe(
      true,
    );
    expect(await allowed({ action: 'rds:CreateDBInstance', resource: db })).toBe(false);
    expect(
      await allowed({ action: 'rds:CreateDBInstance', resource: db, context: writing([KEY, 'team']) }),
    ).toBe(false);
    expect(await allowed({ action: 'rds:CreateDBInstance', resource: CLUSTER, context: marked })).toBe(true);
    expect(await allowed({ action: 'rds:CreateDBInstance', resource: CLUSTER })).toBe(false);
  });

  it("names this Region's and account's parameter and option groups only on copies carrying the ready key, and changes no group", async () => {
    const q = (action: string, resource: string, context: Record<string, string> = {}) =>
      allowed({ action, resource, context });
    const READY_DB = arn('rds', 'db:orders-db-restored');
    // ModifyDBInstance and ModifyDBCluster are authorized on the copy and on the groups they name.
    for (const [action, copy, groups] of [
      ['rds:ModifyDBInstance', READY_DB, ['pg:orders-pg', 'og:orders-og']],
      ['rds:ModifyDBCluster', CLUSTER, ['cluster-pg:ledger-cluster-pg']],
    ] as const) {
      expect([action, await q(action, copy, marked)]).toStrictEqual([action, true]);
      expect([action, await q(action, copy)]).toStrictEqual([action, false]);
      for (const group of groups) {
        const at = arn('rds', group);
        expect([action, group, await q(action, at)]).toStrictEqual([action, group, true]);
        expect([
          action,
          group,
          await q(action, arn('rds', group, OTHER_REGION), { 'aws:RequestedRegion': OTHER_REGION }),
        ]).toStrictEqual([action, group, false]);
        expect([
          action,
          group,
          await q(action, arn('rds', group, STACK.region, OTHER_ACCOUNT)),
        ]).toStrictEqual([action, group, false]);
      }
    }
    // Only the kinds of group each step names.
    expect(await q('rds:ModifyDBCluster', arn('rds', 'pg:orders-pg'))).toBe(false);
    expect(await q('rds:ModifyDBCluster', arn('rds', 'og:orders-og'))).toBe(false);
    // A new Aurora instance: the source writer's parameter group, the default option group only.
    expect(await q('rds:CreateDBInstance', arn('rds', 'pg:ledger-pg'))).toBe(true);
    expect(await q('rds:CreateDBInstance', arn('rds', 'og:default:aurora-postgresql-15'))).toBe(true);
    expect(await q('rds:CreateDBInstance', arn('rds', 'og:orders-og'))).toBe(false);
    expect(await q('rds:CreateDBInstance', arn('rds', 'pg:ledger-pg', STACK.region, OTHER_ACCOUNT))).toBe(
      false,
    );
    // No group is changed, reset or deleted, and no copy rebooted.
    for (const [action, resource] of [
      ['rds:ModifyDBParameterGroup', 'pg:orders-pg'],
      ['rds:ResetDBParameterGroup', 'pg:orders-pg'],
      ['rds:DeleteDBParameterGroup', 'pg:orders-pg'],
      ['rds:ModifyOptionGroup', 'og:orders-og'],
      ['rds:DeleteOptionGroup', 'og:orders-og'],
      ['rds:ModifyDBClusterParameterGroup', 'cluster-pg:ledger-cluster-pg'],
      ['rds:DeleteDBClusterParameterGroup', 'cluster-pg:ledger-cluster-pg'],
      ['rds:RebootDBInstance', 'db:orders-db-restored'],
      ['rds:RebootDBCluster', 'cluster:ledger-restored'],
    ] as const)
      expect([action, await q(action, arn('rds', resource), marked)]).toStrictEqual([action, false]);
  });

  it('never tags or changes the job table, whatever tag it is given, and deletes nothing', async () => {
    for (const action of [
      'dynamodb:TagResource',
      'dynamodb:UpdateTable',
      'dynamodb:UpdateContinuousBackups',
      'dynamodb:UpdateTimeToLive',
      'dynamodb:UpdateContributorInsights',
    ])
      expect([
        action,
        await allowed({ action, resource: JOB_TABLE, context: { ...marked, ...writing([KEY]) } }),
      ]).toStrictEqual([action, false]);
    for (const [action, resource] of [
      ['dynamodb:DeleteTable', TABLE],
      ['rds:DeleteDBCluster', CLUSTER],
      ['rds:DeleteDBInstance', arn('rds', 'db:ledger-restored-writer')],
      ['ec2:DeleteVolume', VOLUME],
      ['ec2:TerminateInstances', INSTANCE],
      ['ec2:DeleteTags', VOLUME],
      ['elasticfilesystem:DeleteFileSystem', FILE_SYSTEM],
      ['elasticfilesystem:UntagResource', FILE_SYSTEM],
      ['elasticfilesystem:DeleteTags', FILE_SYSTEM],
      // The deprecated tag write takes tag keys too: never granted, so no drill key through it.
      ['elasticfilesystem:CreateTags', FILE_SYSTEM],
    ] as const)
      expect([action, await allowed({ action, resource, context: ec2Marked })]).toStrictEqual([
        action,
        false,
      ]);
  });
});
