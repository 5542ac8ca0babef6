/**
 * EBS and EC2 make-ready on the local endpoint, through the real makeReady handler and SDK
 * clients: a restored volume and a restored instance get the pipeline's tag and their source's
 * tags, the validator judges each only once it is ready; and the local EC2 refuses what AWS
 * refuses for these steps.
 */

import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { localClientConfig } from '../../local/setup';
import { readReadyRecord } from '../../src/table/ready';
import {
  makeReadyDepsOn,
  makeReadyOn,
  restoreAndLink,
  startValidationEnv,
  TABLE,
  type ValidationEnv,
  validateOnce,
} from './validation/local-env';

const EBS_POINT = 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718';
const EC2_POINT = 'arn:aws:ec2:eu-west-1::image/ami-0abcdef1234567890';
const SOURCE_TAGS = { team: 'orders', Name: 'orders-1', 'aws:backup:source-resource': 'x' };

let env: ValidationEnv;
let ec2: EC2Client;
beforeEach(async () => {
  env = await startValidationEnv({ timing: { availableAfterMs: 0, runningAfterMs: 0, statusOkAfterMs: 0 } });
  ec2 = new EC2Client({ ...localClientConfig(env.aws.url, 'eu-west-1'), maxAttempts: 1 });
  // The recovery points' sources (local/seed.json), running with their tags.
  const store = env.aws.resources.store;
  for (const [kind, id] of [
    ['volume', 'vol-0a1b2c3d4e5f60718'],
    ['instance', 'i-0abcdef1234567890'],
  ] as const)
    store.put({
      kind,
      id,
      arn: `arn:aws:ec2:eu-west-1:123456789012:${kind}/${id}`,
      tags: { ...SOURCE_TAGS },
    });
});
afterEach(async () => {
  ec2.destroy();
  await env.close();
});

const makeReadyDeps = () => makeReadyDepsOn(env, { ec2: () => ec2 });
const validate = (job: { restoreJobId: string; createdResourceArn: string }, type: string, attempt: number) =>
  validateOnce(env, job, type, attempt);

describe('EBS and EC2 restores made ready on the local endpoint', () => {
  it.each([
    ['EBS', EBS_POINT, { availabilityZone: 'eu-west-1a', volumeSize: '100' }],
    ['EC2', EC2_POINT, {}],
  ])(
    "%s: the copy gets the ready tag and its source's tags; the validator judges it only once ready",
    async (type, point, metadata) => {
      const job = await restoreAndLink(env, {
        RecoveryPointArn: point,
        ResourceType: type,
        Metadata: metadata,
      });
      expect(await validate(job, type, 1)).toBe('requeued');
      const outcome = await makeReadyOn(env, job.restoreJobId, makeReadyDeps());
      expect(outcome).toBe('ready');
      expect(env.aws.resources.store.byArn(job.createdResourceArn)?.tags).toStrictEqual({
        'backup-restore:ready': job.restoreJobId,
        team: 'orders',
        Name: 'orders-1',
      });
      const record = await readReadyRecord(env.deps.ddb, TABLE, job.restoreJobId);
      const prefix = type.toLowerCase();
      expect(record?.steps.map((s) => [s.step, s.status])).toStrictEqual([
        [`${prefix}.ready-tag`, 'changed'],
        [`${prefix}.tags`, 'changed'],
      ]);
      expect(await validate(job, type, 2)).toBe('passed');
    },
  );
});

describe('the local EC2 refuses what AWS refuses for these steps', () => {
  const tag = (ids: string[], tags: Record<string, string>) =>
    ec2.send(
      new CreateTagsCommand({
        Resources: ids,
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );

  it('an unknown id: InvalidVolume.NotFound or InvalidInstanceID.NotFound, and nothing tagged', async () => {
    await expect(
      ec2.send(new DescribeVolumesCommand({ VolumeIds: ['vol-0ffffffffffffffff'] })),
    ).rejects.toMatchObject({ name: 'InvalidVolume.NotFound' });
    await expect(
      ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0ffffffffffffffff'] })),
    ).rejects.toMatchObject({ name: 'InvalidInstanceID.NotFound' });
    await expect(tag(['vol-0a1b2c3d4e5f60718', 'vol-0ffffffffffffffff'], { x: '1' })).rejects.toMatchObject({
      name: 'InvalidVolume.NotFound',
    });
    await expect(tag(['i-0ffffffffffffffff'], { x: '1' })).rejects.toMatchObject({
      name: 'InvalidInstanceID.NotFound',
    });
    expect(env.aws.resources.store.get('volume', 'vol-0a1b2c3d4e5f60718')?.tags).toStrictEqual(SOURCE_TAGS);
  });

  it("a key starting with aws:, or more than 50 tags of one's own: refused", async () => {
    await expect(tag(['i-0abcdef1234567890'], { 'aws:owner': 'me' })).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    // Two of its own already (its aws: tag does not count): 48 more fit, 49 do not.
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
    await expect(tag(['i-0abcdef1234567890'], many(49))).rejects.toMatchObject({ name: 'TagLimitExceeded' });
    await tag(['i-0abcdef1234567890'], many(48));
    expect(
      Object.keys(env.aws.resources.store.get('instance', 'i-0abcdef1234567890')?.tags ?? {}),
    ).toHaveLength(51);
  });
});
