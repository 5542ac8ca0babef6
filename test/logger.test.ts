import { createLogger, errorFields } from '../src/logger';

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

  it('scrubs registered secrets, also where they appear JSON-escaped', () => {
    const lines: string[] = [];
    const log = createLogger({ sink: (l) => lines.push(l) }).child({}, ['CANARY-"s3cr3t"', 'ab']);
    log.error('AWS said: invalid value CANARY-"s3cr3t"', { detail: 'CANARY-"s3cr3t"' });
    expect(lines.join('')).not.toContain('s3cr3t');
    expect(lines.join('')).toContain('[redacted]');
    // Secrets shorter than 3 characters are not scrubbed (they would garble every line).
    log.info('ab');
    expect(JSON.parse(lines[1] ?? '').message).toBe('ab');
  });

  it('logs errors as name, message and cause', () => {
    const error = new Error('outer', { cause: new TypeError('inner') });
    expect(errorFields(error)).toStrictEqual({
      error: { name: 'Error', message: 'outer', cause: { name: 'TypeError', message: 'inner' } },
    });
  });
});
