/**
 * MakeReadyRole writes only `<jobId>#ready` records: it may not put or update a job link (the
 * `original` a redriven failed-job letter restores), an outcome, a redrive claim, a drill record or
 * the pacing budget. dynamodb:LeadingKeys (ForAllValues:StringLike "*#ready", and present) holds it
 * to its own items. Checked with the simulator as test/integration/ready-iam.test.ts does.
 */
import { Resolver, type Stack } from '../helpers/cfn-resolve';
import { decide, type Policy } from '../helpers/iam-check';
import { packageStack, removePackages } from '../helpers/package-stack';

const STACK: Stack = { partition: 'aws', region: 'eu-west-1', accountId: '123456789012' };
let role: { arn: string; policies: { name: string; policy: Policy }[] };
let jobTable = '';

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
  jobTable = resolver.resolve({ 'Fn::GetAtt': ['RestoreJobsTable', 'Arn'] }) as string;
}, 240_000);
afterAll(removePackages);

test.each(['dynamodb:PutItem', 'dynamodb:UpdateItem'])(
  "makeReady's role may %s only its own <jobId>#ready items in the job table",
  async (action) => {
    const ask = async (keys?: string[]) =>
      (
        await decide(role.arn, role.policies, {
          action,
          resource: jobTable,
          context: {
            'aws:RequestedRegion': STACK.region,
            ...(keys === undefined ? {} : { 'dynamodb:LeadingKeys': keys }),
          },
        })
      ).result;
    const put = (key: string) => ask([key]);
    const answers = {
      own: await put('job-1#ready'),
      link: await put('job-1'),
      outcome: await put('job-1#outcome'),
      drill: await put('job-1#drill'),
      budget: await put('pace#budget'),
      // The reconciler's mark that it asked for this run: makeReady cannot forge or clear it.
      asked: await put('job-1#ready-asked'),
      ownAndLink: await ask(['job-1#ready', 'job-1']),
      noKey: await ask(),
    };
    expect(answers).toStrictEqual({
      own: 'Allowed',
      link: 'ImplicitlyDenied',
      outcome: 'ImplicitlyDenied',
      drill: 'ImplicitlyDenied',
      budget: 'ImplicitlyDenied',
      asked: 'ImplicitlyDenied',
      ownAndLink: 'ImplicitlyDenied',
      noKey: 'ImplicitlyDenied',
    });
  },
);
