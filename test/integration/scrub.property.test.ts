/**
 * Scrubbing hides values, not words: a Metadata value is replaced where it stands whole (or
 * anywhere, when it is long), the words around it and the words that merely contain a short value
 * stay readable, and one record's values never touch another record's text.
 */

import { StartRestoreJobCommand } from '@aws-sdk/client-backup';
import fc from 'fast-check';
import { createHandler } from '../../handlers/restore-from-queue';
import {
  ANYWHERE_SECRET_LENGTH,
  MIN_SECRET_LENGTH,
  REDACTED,
  rememberSecrets,
  runInvocation,
  scrubText,
  withOwnSecrets,
} from '../../src/runner/invocation';
import { parseDeadLetter } from '../helpers/dead-letters';
import { context, sqsEvent } from '../helpers/fixtures';
import { mockAws, restoreAws } from '../helpers/mocks';
import { localPipelines } from '../helpers/pipeline';

// Letters, digits and separators that share nothing with the "[redacted]" mark, so that what is
// left of a text after scrubbing can be searched for values.
const wordChar = fc.constantFrom(...'bfgkmoxyzBFGKXYZ0157_');
const sepChar = fc.constantFrom(...' -:/."\',;()=');
const word = fc.string({ unit: wordChar, minLength: 1, maxLength: 12 });
const text = fc
  .array(fc.tuple(word, fc.string({ unit: sepChar, minLength: 1, maxLength: 3 })), { maxLength: 12 })
  .map((parts) => parts.flat().join(''));
const secret = fc.string({ unit: fc.oneof(wordChar, sepChar), minLength: MIN_SECRET_LENGTH, maxLength: 14 });

const isWord = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}_]/u.test(c);
/** Where `s` occurs in `t`. */
const occurrences = (t: string, s: string) => {
  const at: number[] = [];
  for (let i = t.indexOf(s); i !== -1; i = t.indexOf(s, i + 1)) at.push(i);
  return at;
};

describe('scrubText', () => {
  it('leaves no value standing: what remains of a value is only inside a longer word, and only when short', () => {
    fc.assert(
      fc.property(text, fc.uniqueArray(secret, { maxLength: 4 }), fc.boolean(), (t, secrets, named) => {
        // The values as a request would carry them, inside the text AWS sends back.
        const quoted = `${t} ${secrets.map((s) => `'${s}'`).join(' ')} ${t}`;
        // Named or not: a mark that names the field never shows a value either.
        const out = scrubText(
          quoted,
          named ? secrets.map((s, i) => [s, `Metadata.k${i}`] as const) : secrets,
        );
        for (const s of secrets) {
          for (const i of occurrences(out, s)) {
            expect(s.length).toBeLessThan(ANYWHERE_SECRET_LENGTH);
            const embedded =
              (isWord(out[i - 1]) && isWord(s[0])) || (isWord(out[i + s.length]) && isWord(s.at(-1)));
            expect(embedded).toBe(true);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('changes nothing when each short value occurs only inside longer words', () => {
    const shortWordSecret = fc.string({
      unit: wordChar,
      minLength: MIN_SECRET_LENGTH,
      maxLength: ANYWHERE_SECRET_LENGTH - 1,
    });
    fc.assert(
      fc.property(text, fc.uniqueArray(shortWordSecret, { maxLength: 4 }), (t, secrets) => {
        for (const s of secrets)
          for (const i of occurrences(t, s)) fc.pre(isWord(t[i - 1]) && isWord(t[i + s.length]));
        expect(scrubText(t, secrets)).toBe(t);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps the words around a value and replaces the value whole', () => {
    expect(scrubText('Restore failed: volume type gp3 is not valid here', ['gp3'])).toBe(
      `Restore failed: volume type ${REDACTED} is not valid here`,
    );
    // A value that is an ordinary word hides itself, not the words that contain it.
    expect(scrubText('The unfailed retries failed; true is construed', ['failed', 'true'])).toBe(
      `The unfailed retries ${REDACTED}; ${REDACTED} is construed`,
    );
    // A long value is replaced wherever it is, joined to other text or not.
    expect(scrubText('zone=xeu-west-1zx', ['eu-west-1z'])).toBe(`zone=x${REDACTED}x`);
  });
});

describe('marks that say what they hid', () => {
  it('name the field of a whole value, and never a name that holds a secret or is not a plain key', async () => {
    const out = await runInvocation(undefined, [], () =>
      withOwnSecrets(
        [],
        async () => scrubText('zone eu-west-9z; note gp3x; odd value; vol-eu-west-9z-gp3x'),
        [
          ['eu-west-9z', 'Metadata.availabilityZone'],
          ['gp3x', 'Metadata.volumeType'],
          ['value', 'Metadata.]fake['],
          ['Metadata', 'Metadata.other'],
        ],
      ),
    );
    expect(out).toBe(
      // Every name here holds the secret "Metadata", so every mark is plain; the value of a key
      // that is not plain is hidden all the same.
      'zone [redacted]; note [redacted]; odd [redacted]; vol-[redacted]-[redacted]',
    );
  });

  it('name the field when no name holds a secret', async () => {
    const out = await runInvocation(undefined, [], () =>
      withOwnSecrets([], async () => scrubText('Invalid availability zone: eu-west-9z'), [
        ['eu-west-9z', 'Metadata.availabilityZone'],
      ]),
    );
    expect(out).toBe('Invalid availability zone: [redacted Metadata.availabilityZone]');
  });
});

describe('withOwnSecrets', () => {
  it("keeps each item's secrets to its own text, in one invocation", async () => {
    const seen = await runInvocation(undefined, ['config-secret'], () =>
      Promise.all([
        withOwnSecrets(['failed'], async () => {
          rememberSecrets(['stored-value-a']);
          return scrubText('A failed: stored-value-a config-secret');
        }),
        withOwnSecrets(['other'], async () => {
          await new Promise((r) => setTimeout(r, 5));
          return scrubText('B failed with stored-value-a; config-secret');
        }),
      ]),
    );
    expect(seen).toStrictEqual([
      `A ${REDACTED}: ${REDACTED} ${REDACTED}`,
      `B failed with stored-value-a; ${REDACTED}`,
    ]);
  });
});

describe('a batch through the queue function', () => {
  afterEach(restoreAws);

  it("does not blank one record's reason with another record's Metadata value", async () => {
    const { backup, deps, deadLetters } = mockAws();
    // AWS refuses only the second record's zone, quoting it.
    backup.on(StartRestoreJobCommand).resolves({ RestoreJobId: 'job-1' });
    backup.on(StartRestoreJobCommand, { Metadata: { availabilityZone: 'eu-west-1z' } }).rejects(
      Object.assign(new Error('Invalid availability zone: eu-west-1z failed validation'), {
        name: 'InvalidParameterValueException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const point = 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718';
    await createHandler(deps)(
      sqsEvent(
        // One record's values are ordinary words...
        {
          RecoveryPointArn: point,
          ResourceType: 'EBS',
          Metadata: { availabilityZone: 'eu-west-1a', note: 'failed', mode: 'validation' },
        },
        // ...and another record's reason quotes AWS's message.
        { RecoveryPointArn: point, ResourceType: 'EBS', Metadata: { availabilityZone: 'eu-west-1z' } },
      ),
      context,
    );
    const reasons = deadLetters().map((l) => l.reason);
    expect(reasons).toHaveLength(1);
    // The record's own value is replaced; AWS's words and the pipeline's stay, though the other
    // record of the batch has "failed" and "validation" as values.
    expect(reasons[0]).toBe(
      'StartRestoreJob failed with InvalidParameterValueException: Invalid availability zone: [redacted Metadata.availabilityZone] failed validation',
    );
    for (const r of reasons) expect(r).not.toContain('eu-west-1z');
    for (const line of deps.lines) expect(line).not.toContain('eu-west-1z');
  });
});

describe('a reconciler run', () => {
  const start = localPipelines(() => ({
    visibilityTimeoutS: 1,
    jobEvents: { lossRate: 1, duplicateRate: 0, maxDelayMs: 0 },
  }));

  it("settles each job with its own request's values only", async () => {
    const p = await start();
    const point = 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718';
    // AWS's message for both: "Invalid availability zone: eu-west-1z does not exist in this Region".
    const a = await p.submit({
      RecoveryPointArn: point,
      ResourceType: 'EBS',
      Metadata: { availabilityZone: 'eu-west-1z', note: 'exist' },
    });
    const b = await p.submit({
      RecoveryPointArn: point,
      ResourceType: 'EBS',
      Metadata: { availabilityZone: 'eu-west-1z', note: 'Region' },
    });
    // runUntilIdle runs the reconciler once: both job ends were lost, it settles both in one run.
    await p.runUntilIdle();
    const reasons = new Map(
      p.deadLetters().map((m) => {
        const l = parseDeadLetter(m.body);
        const body = l.original && 'body' in l.original ? l.original.body : '';
        return [body.includes('exist') ? a : b, l.reason] as const;
      }),
    );
    expect(reasons.get(a)).toMatch(
      /Invalid availability zone: \[redacted Metadata\.availabilityZone\] does not \[redacted Metadata\.note\] in this Region\./,
    );
    expect(reasons.get(b)).toMatch(
      /Invalid availability zone: \[redacted Metadata\.availabilityZone\] does not exist in this \[redacted Metadata\.note\]\./,
    );
  });
});
