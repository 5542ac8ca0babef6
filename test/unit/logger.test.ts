import fc from 'fast-check';
import { createLogger, errorFields } from '../../src/logger';
import { metricFields } from '../../src/metrics';
import { runInvocation } from '../../src/runner/invocation';

describe('logger', () => {
  it('writes one JSON object a line with the child fields', () => {
    const lines: string[] = [];
    const log = createLogger({ sink: (l) => lines.push(l) }).child({ messageId: 'm-1' });
    log.info('hello', { restoreJobId: 'j-1' });
    log.debug('hidden at info level');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      level: 'info',
      message: 'hello',
      messageId: 'm-1',
      restoreJobId: 'j-1',
    });
  });

  it('writes a metric line as one line that is both the log line and an EMF data point, whatever the level', () => {
    const lines: string[] = [];
    const secret = 'hunter2-metadata-value';
    const log = createLogger({ sink: (l) => lines.push(l), level: 'error' }).child({ messageId: 'm-1' }, [
      secret,
    ]);
    log.info('dropped at error level');
    log.metric(
      'Restore job started',
      { restoreJobId: 'j-1', reason: `quoting ${secret}` },
      metricFields('RestoreJobsStarted', 'Count', 1, 'EBS', new Date(1_700_000_000_000)),
    );
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toStrictEqual({
      level: 'info',
      time: expect.any(String),
      message: 'Restore job started',
      messageId: 'm-1',
      restoreJobId: 'j-1',
      reason: 'quoting [redacted]',
      _aws: {
        Timestamp: 1_700_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: 'BackupRestorePipeline',
            Dimensions: [['ResourceType']],
            Metrics: [{ Name: 'RestoreJobsStarted', Unit: 'Count' }],
          },
        ],
      },
      ResourceType: 'EBS',
      RestoreJobsStarted: 1,
    });
  });

  it('scrubs registered secrets from outside text (errors, reasons), also where they appear JSON-escaped', () => {
    const lines: string[] = [];
    const log = createLogger({ sink: (l) => lines.push(l) }).child({}, ['CANARY-"s3cr3t"', 'ab']);
    const aws = new Error('Invalid value CANARY-"s3cr3t" in {"note":"CANARY-\\"s3cr3t\\""}');
    log.error('AWS refused the restore', { ...errorFields(aws), reason: 'status: CANARY-"s3cr3t"' });
    expect(lines.join('')).not.toContain('s3cr3t');
    expect(JSON.parse(lines[0] ?? '').error.message).toBe(
      'Invalid value [redacted] in {"note":"[redacted]"}',
    );
    // Secrets shorter than 3 characters are not scrubbed (they would garble every line).
    log.error('x', { reason: 'ab' });
    expect(JSON.parse(lines[1] ?? '').reason).toBe('ab');
  });

  it('leaves its own structure alone: a secret "false" or "info" cannot change a field', () => {
    const lines: string[] = [];
    const log = createLogger({ sink: (l) => lines.push(l) }).child({ messageId: 'm-1' }, ['false', 'info']);
    log.info('Request failed', {
      ...errorFields(Object.assign(new Error('got false'), { retryable: false })),
    });
    const line = JSON.parse(lines[0] ?? '');
    expect(line).toMatchObject({ level: 'info', messageId: 'm-1', error: { retryable: false } });
    expect(line.error.message).toBe('got [redacted]');
  });

  it('scrubs secrets the invocation learnt elsewhere (a child logger of another module)', async () => {
    const lines: string[] = [];
    const root = createLogger({ sink: (l) => lines.push(l) });
    await runInvocation(undefined, ['from-config-value'], async () => {
      root.child({}, ['stored-metadata-value']);
      root.warn('failed', errorFields(new Error('echo stored-metadata-value and from-config-value')));
    });
    expect(lines[0]).not.toContain('metadata-value');
    expect(lines[0]).not.toContain('config-value');
  });

  it('logs errors as name, message and cause', () => {
    const error = new Error('outer', { cause: new TypeError('inner') });
    expect(errorFields(error)).toStrictEqual({
      error: { name: 'Error', message: 'outer', cause: { name: 'TypeError', message: 'inner' } },
    });
  });

  it('property: every line is valid JSON with its structure intact, for any secrets and any outside text', () => {
    const words = fc.constantFrom(
      'false',
      'true',
      'null',
      '"',
      '\\',
      '}',
      '{',
      ':',
      ',',
      'level',
      'info',
      '[redacted]',
    );
    const value = fc.oneof(words, fc.string({ minLength: 0, maxLength: 12 }), fc.string({ unit: 'binary' }));
    fc.assert(
      fc.property(fc.array(value, { maxLength: 6 }), fc.array(value, { maxLength: 4 }), (secrets, echo) => {
        const lines: string[] = [];
        const log = createLogger({ sink: (l) => lines.push(l), level: 'debug' }).child(
          { messageId: 'm-1', attempt: 2 },
          secrets,
        );
        const text = `AWS says ${echo.join(' ')} ${secrets.join(' / ')} ${JSON.stringify(secrets)}`;
        log.warn('Request failed; it will be retried', {
          ...errorFields(Object.assign(new Error(text, { cause: new Error(text) }), { retryable: false })),
          reason: text,
          attempt: 2,
        });
        for (const line of lines) {
          const parsed = JSON.parse(line);
          expect(parsed).toMatchObject({ level: 'warn', messageId: 'm-1', attempt: 2 });
          expect(parsed.error.retryable).toBe(false);
          // What is left between the [redacted] marks holds no secret.
          const left = [parsed.error.message, parsed.error.cause.message, parsed.reason].flatMap(
            (t: string) => t.split('[redacted]'),
          );
          for (const s of secrets.filter((v) => v.length >= 3)) {
            for (const part of left) expect(part).not.toContain(s);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
