import {
  ConflictException,
  DependencyFailureException,
  InvalidParameterValueException,
  InvalidResourceStateException,
  LimitExceededException,
  MissingParameterValueException,
  ResourceNotFoundException,
  ServiceUnavailableException,
} from '@aws-sdk/client-backup';
import { AwsCallError, classifyAwsError, describeError, InvalidRequestError } from '../../src/errors';

const meta = (status: number) => ({ $metadata: { httpStatusCode: status } });

describe('classifyAwsError', () => {
  it.each([
    [new InvalidParameterValueException({ message: 'bad', ...meta(400) }), false],
    [new MissingParameterValueException({ message: 'missing', ...meta(400) }), false],
    [new ResourceNotFoundException({ message: 'gone', ...meta(400) }), false],
    [Object.assign(new Error('no'), { name: 'AccessDeniedException', ...meta(403) }), false],
    [Object.assign(new Error('other 4xx'), { name: 'SomethingNew', ...meta(400) }), false],
    [new ServiceUnavailableException({ message: 'busy', ...meta(500) }), true],
    // "A limit in the request has been exceeded": not a rate, so the same request cannot pass later.
    [new LimitExceededException({ message: 'limit', ...meta(400) }), false],
    // "Try again later" (a client fault by the SDK, retryable by AWS's documented meaning).
    [new ConflictException({ message: 'busy', ...meta(409) }), true],
    [new InvalidResourceStateException({ message: 'in use', ...meta(400) }), true],
    [new DependencyFailureException({ message: 'dependency', ...meta(500) }), true],
    // The SDK's own metadata: a modelled $retryable, and server against client faults.
    [
      Object.assign(new Error('busy'), { name: 'NewThing', $retryable: { throttling: true }, ...meta(400) }),
      true,
    ],
    [Object.assign(new Error('server'), { name: 'NewServerThing', $fault: 'server', ...meta(400) }), true],
    [Object.assign(new Error('client'), { name: 'NewClientThing', $fault: 'client', ...meta(500) }), false],
    [Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', ...meta(400) }), true],
    [Object.assign(new Error('slow down'), { name: 'Whatever', ...meta(429) }), true],
    [Object.assign(new Error('internal'), { name: 'Whatever', ...meta(503) }), true],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true],
    [Object.assign(new Error('timed out'), { name: 'TimeoutError' }), true],
    [new Error('unknown, no status'), true],
  ])('sorts %p as retryable=%p', (error, retryable) => {
    const sorted = classifyAwsError('StartRestoreJob', error);
    expect(sorted).toBeInstanceOf(AwsCallError);
    expect(sorted.retryable).toBe(retryable);
    expect(sorted.cause).toBe(error);
    expect(sorted.message).toBe(
      `StartRestoreJob failed with ${(error as Error).name}: ${(error as Error).message}`,
    );
  });

  it('passes the pipeline own errors through', () => {
    const own = new InvalidRequestError('x');
    expect(classifyAwsError('Op', own)).toBe(own);
  });
});

describe('describeError', () => {
  it('keeps name, message and the retryable flag', () => {
    expect(describeError(new InvalidRequestError('bad'))).toStrictEqual({
      name: 'InvalidRequestError',
      message: 'bad',
      retryable: false,
    });
    expect(describeError(new TypeError('boom'))).toStrictEqual({
      name: 'TypeError',
      message: 'boom',
      retryable: true,
    });
    expect(describeError('text')).toStrictEqual({ name: 'Error', message: 'text', retryable: true });
  });
});
