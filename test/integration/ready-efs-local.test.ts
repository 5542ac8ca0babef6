/**
 * EFS make-ready on the local endpoint, through the real makeReady handler and SDK clients: a
 * restored file system gets the pipeline's tag and its source's tags, and the validator judges it
 * only once it is ready; a copy whose source's tags EFS cannot take is recorded not ready and
 * dead-lettered; and the local EFS refuses what AWS refuses for TagResource.
 */

import { EFSClient, TagResourceCommand } from '@aws-sdk/client-efs';
import { localClientConfig } from '../../local/setup';
import { readReadyRecord } from '../../src/table/ready';
import {
  makeReadyDepsOn,
  makeReadyOn,
  receive,
  restoreAndLink,
  startValidationEnv,
  TABLE,
  type ValidationEnv,
  validateOnce,
} from './validation/local-env';

const EFS_POINT = 'arn:aws:backup:eu-west-1:123456789012:recovery-point:3c1f7e42-9a0d-4b6e-8f21-5d7a9b0c1e2f';
const SOURCE_ID = 'fs-0123456789abcdef0';
const SOURCE_TAGS = { team: 'files', Name: 'shared', 'backup-restore:drill': 'job-0' };

let env: ValidationEnv;
let efs: EFSClient;
beforeEach(async () => {
  env = await startValidationEnv({ timing: { availableAfterMs: 0 } });
  efs = new EFSClient({ ...localClientConfig(env.aws.url, 'eu-west-1'), maxAttempts: 1 });
  // The recovery point's source (local/seed.json), with its tags.
  env.aws.resources.store.put({
    kind: 'file-system',
    id: SOURCE_ID,
    arn: `arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/${SOURCE_ID}`,
    tags: { ...SOURCE_TAGS },
  });
});
afterEach(async () => {
  efs.destroy();
  await env.close();
});

const makeReadyDeps = () => makeReadyDepsOn(env, { efs: () => efs });
const validate = (job: { restoreJobId: string; createdResourceArn: string }, attempt: number) =>
  validateOnce(env, job, 'EFS', attempt);

/** Restores the seed's file system and runs the makeReady handler on its COMPLETED event. */
async function restoreAndMakeReady() {
  const job = await restoreAndLink(env, { RecoveryPointArn: EFS_POINT, ResourceType: 'EFS', Metadata: {} });
  const outcome = await makeReadyOn(env, job.restoreJobId, makeReadyDeps());
  return { job, outcome };
}

describe('an EFS restore made ready on the local endpoint', () => {
  it("gets the ready tag and its source's tags (never the drill key); the validator judges it only once ready", async () => {
    const job = await restoreAndLink(env, { RecoveryPointArn: EFS_POINT, ResourceType: 'EFS', Metadata: {} });
    expect(await validate(job, 1)).toBe('requeued');
    const outcome = await makeReadyOn(env, job.restoreJobId, makeReadyDeps());
    expect(outcome).toBe('ready');
    expect(env.aws.resources.store.byArn(job.createdResourceArn)?.tags).toStrictEqual({
      'backup-restore:ready': job.restoreJobId,
      team: 'files',
      Name: 'shared',
    });
    const record = await readReadyRecord(env.deps.ddb, TABLE, job.restoreJobId);
    expect(record?.steps.map((s) => [s.step, s.status])).toStrictEqual([
      ['efs.ready-tag', 'changed'],
      ['efs.tags', 'changed'],
    ]);
    expect(await validate(job, 2)).toBe('passed');
  });

  it("a source whose tags would take the copy past EFS's 50: the ready tag only, not ready, dead-lettered naming the step", async () => {
    const source = env.aws.resources.store.get('file-system', SOURCE_ID);
    if (source === undefined) throw new Error('no source');
    source.tags = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
    const { job, outcome } = await restoreAndMakeReady();
    expect(outcome).toBe('not-ready');
    expect(env.aws.resources.store.byArn(job.createdResourceArn)?.tags).toStrictEqual({
      'backup-restore:ready': job.restoreJobId,
    });
    const record = await readReadyRecord(env.deps.ddb, TABLE, job.restoreJobId);
    expect(record?.steps.map((s) => [s.step, s.status])).toStrictEqual([
      ['efs.ready-tag', 'changed'],
      ['efs.tags', 'failed'],
    ]);
    expect(record?.steps[1]?.error?.message).toMatch(/^TagResource \(EFS\) failed with BadRequest/);
    const letters = (await receive(env, env.deadLetterQueueUrl)).Records.map((r) => JSON.parse(r.body));
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ failure: 'make-ready-failed' });
    expect(JSON.stringify(letters[0])).toContain('efs.tags');
  });
});

describe('the local EFS refuses what AWS refuses for TagResource', () => {
  const tag = (id: string, tags: Record<string, string>) =>
    efs.send(
      new TagResourceCommand({
        ResourceId: id,
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
  const tagsNow = () => env.aws.resources.store.get('file-system', SOURCE_ID)?.tags;
  const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));

  it('an unknown file system: FileSystemNotFound', async () => {
    await expect(tag('fs-0ffffffffffffffff', { x: '1' })).rejects.toMatchObject({
      name: 'FileSystemNotFound',
    });
  });

  it.each([
    ['a key starting with aws:', { 'aws:owner': 'me' }],
    ['a key starting with AWS: in another case', { 'AwS:owner': 'me' }],
    ['an empty key', { '': 'x' }],
    ['a key of 129 characters', { ['k'.repeat(129)]: 'x' }],
    ['a value of 257 characters', { team: 'v'.repeat(257) }],
    ['a key with a character EFS does not take', { 'team*': 'x' }],
    ['a value with a character EFS does not take', { team: 'a;b' }],
    ['one good tag beside a bad one', { fine: '1', 'aws:x': '2' }],
  ])('%s: BadRequest, and nothing written', async (_what, tags) => {
    await expect(tag(SOURCE_ID, tags)).rejects.toMatchObject({ name: 'BadRequest' });
    expect(tagsNow()).toStrictEqual(SOURCE_TAGS);
  });

  it('takes keys of 128 and values of 256 characters, and up to 50 tags on a file system, not 51', async () => {
    await tag(SOURCE_ID, { ['k'.repeat(128)]: 'v'.repeat(256), 'a b_c.d:e/f=g+h-i@j': '' });
    // Five now: 45 more fit, 46 do not (and none of those is written).
    await expect(tag(SOURCE_ID, many(46))).rejects.toMatchObject({ name: 'BadRequest' });
    expect(Object.keys(tagsNow() ?? {})).toHaveLength(5);
    await tag(SOURCE_ID, many(45));
    expect(Object.keys(tagsNow() ?? {})).toHaveLength(50);
    // Overwriting a key it carries adds none.
    await tag(SOURCE_ID, { k0: 'w' });
    await expect(tag(SOURCE_ID, { one: 'more' })).rejects.toMatchObject({ name: 'BadRequest' });
  });
});
