/**
 * The tracker and the reconciler hand drills over with DynamoDB alone: their deployed bundles (the
 * esbuild settings of serverless.yml) must not carry the drill clients (src/drills/clients.ts) or
 * the EC2, RDS, EFS and S3 clients, which the cleanup function alone needs (cold start). The type
 * modules (src/resources/) hold the facts and the AWS steps of a type in one file: the facts'
 * importers must carry none of the steps' clients.
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
  // What the bundle carries: a file esbuild read but whose code none of it uses is not in it.
  const [output] = Object.values(result.metafile.outputs);
  return Object.keys(output?.inputs ?? {});
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

  it('handlers/validate-restore.ts: the four it reads with, not S3 Control (a drill step tags with it)', async () => {
    const inputs = await inputsOf('handlers/validate-restore.ts');
    const clients = new Set(inputs.map((i) => RESOURCE_CLIENTS.exec(i)?.[1]).filter(Boolean));
    expect([...clients].sort()).toStrictEqual(['ec2', 'efs', 'rds', 's3']);
    expect(inputs.filter((i) => /@aws-sdk\/client-s3-control\//.test(i))).toStrictEqual([]);
  }, 60_000);

  it('handlers/restore-on-alarm.ts: none of them (an alarm is never a drill, so it checks no bucket)', async () => {
    const inputs = await inputsOf('handlers/restore-on-alarm.ts');
    expect(inputs.filter((i) => RESOURCE_CLIENTS.test(i) || /client-s3-control/.test(i))).toStrictEqual([]);
    expect(inputs).not.toContain('src/resources/s3-bucket-check.ts');
  }, 60_000);

  it.each([['handlers/restore-from-queue.ts'], ['handlers/restore-from-event.ts']])(
    "%s: S3's client for the check before a drill of a bucket, and not S3 Control",
    async (entry) => {
      const inputs = await inputsOf(entry);
      const clients = new Set(inputs.map((i) => RESOURCE_CLIENTS.exec(i)?.[1]).filter(Boolean));
      expect([...clients]).toStrictEqual(['s3']);
      // S3 Control, which only the drill's tagging uses, was 89 KiB of this bundle (146 KiB with
      // what it drew in), compiled at every cold start: the bucket check is a module of its own.
      expect(inputs.filter((i) => /@aws-sdk\/client-s3-control\//.test(i))).toStrictEqual([]);
      expect(inputs).toContain('src/resources/s3-bucket-check.ts');
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
