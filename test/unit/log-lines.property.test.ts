/**
 * Property: whatever the metadata values, every line the queue handler writes (logs and metrics)
 * is valid JSON with its structure intact, and holds none of the values, even when AWS quotes them
 * in its answers or the body is not JSON.
 */

import { StartRestoreJobCommand } from '@aws-sdk/client-backup';
import fc from 'fast-check';
import { createHandler } from '../../handlers/restore-from-queue';
import { context, sqsEvent } from '../helpers/fixtures';
import { mockAws, restoreAws } from '../helpers/mocks';

afterEach(restoreAws);

const POINT = 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718';
// Values marked so that they cannot occur in a line by chance, of 3 characters or more (shorter
// ones are not scrubbed: they would garble every line); the rest of each is arbitrary text
// (quotes, backslashes, JSON words, control-free unicode).
const value = fc
  .oneof(
    fc.string({ minLength: 1, maxLength: 16 }),
    fc.constantFrom('false', 'true', 'null', '"', '\\', '}', '[redacted]', ':'),
  )
  .map((s) => `\u00a7\u00a7${s}`);

it('every line is JSON and holds no metadata value, for any values', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uniqueArray(value, { minLength: 1, maxLength: 4 }), async (values) => {
      restoreAws();
      const { backup, deps, deadLetters } = mockAws();
      const metadata = Object.fromEntries(values.map((v, i) => [`k${i}`, v]));
      // AWS refuses, quoting the request's values (as its validation messages do).
      backup.on(StartRestoreJobCommand).rejects(
        Object.assign(new Error(`Invalid values ${values.join(', ')} in ${JSON.stringify(metadata)}`), {
          name: 'InvalidParameterValueException',
          $metadata: { httpStatusCode: 400 },
        }),
      );
      const broken = `{"RecoveryPointArn": "${POINT}", "Metadata": {"k": ${JSON.stringify(values[0])} "oops"`;
      await createHandler(deps)(
        sqsEvent(
          {
            RecoveryPointArn: POINT,
            ResourceType: 'EBS',
            Metadata: { availabilityZone: 'eu-west-1a', ...metadata },
          },
          broken,
        ),
        context,
      );
      const lines = [...deps.lines, ...deps.metricLines];
      expect(lines.length).toBeGreaterThan(1);
      for (const line of lines) {
        const parsed = JSON.parse(line);
        if (parsed.error?.retryable !== undefined) expect(typeof parsed.error.retryable).toBe('boolean');
        for (const v of values) {
          expect(line).not.toContain(v);
          expect(line).not.toContain(JSON.stringify(v).slice(1, -1));
        }
      }
      const reasons = deadLetters().flatMap((l) => [l.reason, l.error.message]);
      expect(reasons).toHaveLength(4);
      for (const v of values) for (const r of reasons) expect(r).not.toContain(v);
    }),
    { numRuns: 60 },
  );
});
