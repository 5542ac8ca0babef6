/**
 * The template's per-type IAM against the type modules (src/resources/<type>.ts): every action a
 * module's steps need is allowed to the function that calls it, on the resource it names and with
 * the tag it carries, and every per-type action the template grants those functions is one a
 * module needs. The template is packaged and resolved as test/integration/iam.test.ts does it.
 */

import type { IamNeed, IamUser, ResourceTypeModule } from '../../src/resources/module';
import { TYPES } from '../../src/resources/registry';
import { Resolver, type Stack } from '../helpers/cfn-resolve';
import { decide, type Policy } from '../helpers/iam-check';
import { packageStack, removePackages, type Template } from '../helpers/package-stack';

const STACK: Stack = { partition: 'aws', region: 'eu-west-1', accountId: '123456789012' };
const ROLE_OF: Readonly<Record<IamUser, string>> = {
  validate: 'ValidateRestoreRole',
  cleanup: 'CleanupDrillsRole',
};
/** The services whose actions only a type's steps call (Backup's are every type's: not here). */
const TYPE_SERVICES = new Set(['rds', 'dynamodb', 'ec2', 'elasticfilesystem', 's3']);

interface Role {
  readonly arn: string;
  readonly policies: { name: string; policy: Policy }[];
}

/** The validator's and the cleanup's roles, resolved; and the job table's ARN. */
function rolesOf(template: Template): { roles: Record<IamUser, Role>; jobTable: string } {
  const resolver = new Resolver(template, STACK);
  const role = (logicalId: string): Role => {
    const policies = resolver.resolve(template.Resources[logicalId]?.Properties.Policies) as {
      PolicyName: string;
      PolicyDocument: Policy;
    }[];
    return {
      arn: `arn:aws:iam::${STACK.accountId}:role/${logicalId}`,
      policies: policies.map((p) => ({ name: p.PolicyName, policy: p.PolicyDocument })),
    };
  };
  return {
    roles: { validate: role(ROLE_OF.validate), cleanup: role(ROLE_OF.cleanup) },
    jobTable: resolver.resolve({ 'Fn::GetAtt': ['RestoreJobsTable', 'Arn'] }) as string,
  };
}

const list = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);
const needsOf = (modules: readonly ResourceTypeModule[]) =>
  modules.flatMap((m) => m.iam.map((need) => ({ type: m.type, need })));

/** Each need of a module its function's role does not allow, as `type: function action resource`. */
async function ungranted(roles: Record<IamUser, Role>, modules: readonly ResourceTypeModule[]) {
  const problems: string[] = [];
  for (const { type, need } of needsOf(modules)) {
    const role = roles[need.by];
    const s3 = need.resource.startsWith('arn:aws:s3:::');
    const context: Record<string, string | string[]> = {
      'aws:RequestedRegion': STACK.region,
      ...(s3 ? { 's3:ResourceAccount': STACK.accountId } : {}),
    };
    for (const [key, value] of Object.entries(need.context ?? {}))
      context[key] = typeof value === 'string' ? value : [...value];
    const { result } = await decide(role.arn, role.policies, {
      action: need.action,
      resource: need.resource,
      context,
      ...(s3 ? { abac: true, owner: STACK.accountId } : {}),
    });
    if (result !== 'Allowed') problems.push(`${type}: ${need.by} ${need.action} ${need.resource}`);
  }
  return problems;
}

/** Each per-type action a role allows that no module needs of its function, as `function action`. */
function unneeded(roles: Record<IamUser, Role>, jobTable: string, modules: readonly ResourceTypeModule[]) {
  const needed = new Set(needsOf(modules).map(({ need }) => `${need.by} ${need.action}`));
  const problems = new Set<string>();
  for (const by of Object.keys(roles) as IamUser[])
    for (const { policy } of roles[by].policies)
      for (const s of policy.Statement) {
        const resources = list(s.Resource);
        // The job table's own statements are the pipeline's, not a type's.
        if (s.Effect !== 'Allow' || resources.every((r) => r.startsWith(jobTable))) continue;
        for (const action of list(s.Action))
          if (TYPE_SERVICES.has(action.split(':')[0] ?? '') && !needed.has(`${by} ${action}`))
            problems.add(`${by} ${action}`);
      }
  return [...problems].sort();
}

let roles: Record<IamUser, Role>;
let jobTable: string;
beforeAll(async () => {
  ({ roles, jobTable } = rolesOf(await packageStack()));
}, 180_000);
afterAll(removePackages);

const modules = TYPES as readonly ResourceTypeModule[];

it("grants each function every action its types' modules need, on their resources", async () => {
  expect(await ungranted(roles, modules)).toStrictEqual([]);
});

it('grants the validator and the drill cleanup no per-type action a module does not need', () => {
  expect(unneeded(roles, jobTable, modules)).toStrictEqual([]);
});

describe('the checks themselves', () => {
  const extra: IamNeed[] = [
    { action: 'ec2:DeleteSnapshot', resource: 'arn:aws:ec2:eu-west-1::snapshot/snap-1', by: 'cleanup' },
    // The right action without the drill tag the template asks for.
    { action: 'rds:DeleteDBInstance', resource: 'arn:aws:rds:eu-west-1:123456789012:db:x', by: 'cleanup' },
    {
      action: 'dynamodb:DeleteTable',
      resource: 'arn:aws:dynamodb:eu-west-1:123456789012:table/x',
      by: 'validate',
    },
  ];

  it('find a module need the template does not grant', async () => {
    const more = { ...modules[0], type: 'Extra', iam: extra } as ResourceTypeModule;
    expect(await ungranted(roles, [...modules, more])).toStrictEqual([
      'Extra: cleanup ec2:DeleteSnapshot arn:aws:ec2:eu-west-1::snapshot/snap-1',
      'Extra: cleanup rds:DeleteDBInstance arn:aws:rds:eu-west-1:123456789012:db:x',
      'Extra: validate dynamodb:DeleteTable arn:aws:dynamodb:eu-west-1:123456789012:table/x',
    ]);
  });

  it('hold the delete of an instance make-ready added to the drill tag: the ready tag alone lets the cleanup delete nothing', async () => {
    const db = 'arn:aws:rds:eu-west-1:123456789012:db:x';
    const cluster = 'arn:aws:rds:eu-west-1:123456789012:cluster:x';
    const ready = { 'aws:ResourceTag/backup-restore:ready': 'job-1' };
    const drill = { 'aws:ResourceTag/backup-restore:drill': 'job-1', ...ready };
    const tried: IamNeed[] = [
      { action: 'rds:DeleteDBInstance', resource: db, by: 'cleanup', context: ready },
      { action: 'rds:DeleteDBCluster', resource: cluster, by: 'cleanup', context: ready },
      { action: 'rds:ModifyDBInstance', resource: db, by: 'cleanup', context: ready },
      { action: 'rds:DeleteDBInstance', resource: db, by: 'cleanup', context: drill },
    ];
    const more = { ...modules[0], type: 'Ready', iam: tried } as ResourceTypeModule;
    expect(await ungranted(roles, [more])).toStrictEqual([
      `Ready: cleanup rds:DeleteDBInstance ${db}`,
      `Ready: cleanup rds:DeleteDBCluster ${cluster}`,
      `Ready: cleanup rds:ModifyDBInstance ${db}`,
    ]);
  });

  it('find a grant no module needs once its module is gone', () => {
    const withoutEfs = modules.filter((m) => m.type !== 'EFS');
    expect(unneeded(roles, jobTable, withoutEfs)).toStrictEqual([
      'cleanup elasticfilesystem:DeleteFileSystem',
      'cleanup elasticfilesystem:DescribeFileSystems',
      'cleanup elasticfilesystem:TagResource',
      'validate elasticfilesystem:DescribeFileSystems',
    ]);
  });
});
