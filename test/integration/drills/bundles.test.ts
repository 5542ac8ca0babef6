/**
 * The tracker and the reconciler hand drills over with DynamoDB alone: their deployed bundles (the
 * esbuild settings of serverless.yml) must not carry the drill clients (src/drills/clients.ts) or
 * the EC2, RDS, EFS and S3 clients, which the cleanup function alone needs (cold start).
 */

import { join } from 'node:path';
import { build } from 'esbuild';
import { ESBUILD_SETTINGS } from '../../../bench/build';

const ROOT = join(__dirname, '..', '..', '..');
const RESOURCE_CLIENTS = /node_modules\/@aws-sdk\/client-(ec2|rds|efs|s3)\//;

async function inputsOf(entry: string): Promise<string[]> {
  const result = await build({
    ...ESBUILD_SETTINGS,
    mainFields: [...ESBUILD_SETTINGS.mainFields],
    entryPoints: [join(ROOT, entry)],
    write: false,
    metafile: true,
    outfile: join(ROOT, 'bench', '.build', 'metafile-only.js'),
    logLevel: 'silent',
  });
  return Object.keys(result.metafile.inputs);
}

describe('which bundles carry the drill clients', () => {
  it.each([['handlers/track-restore-job.ts'], ['handlers/reconcile-restore-jobs.ts']])(
    '%s: none of them',
    async (entry) => {
      const inputs = await inputsOf(entry);
      // The record it writes is bundled: the bundle is the tracker's real one.
      expect(inputs).toContain('src/drills/record.ts');
      expect(inputs.filter((i) => RESOURCE_CLIENTS.test(i) || i === 'src/drills/clients.ts')).toStrictEqual(
        [],
      );
    },
    60_000,
  );

  it('handlers/cleanup-drills.ts: all four (it tags and deletes)', async () => {
    const inputs = await inputsOf('handlers/cleanup-drills.ts');
    const clients = new Set(inputs.map((i) => RESOURCE_CLIENTS.exec(i)?.[1]).filter(Boolean));
    expect([...clients].sort()).toStrictEqual(['ec2', 'efs', 'rds', 's3']);
    expect(inputs).toContain('src/drills/clients.ts');
  }, 60_000);
});
