/**
 * Everything the CLI takes from the pipeline's own modules (src/), in one place, so that a move of
 * those modules changes only this file.
 */

export { parseArn } from '../src/arn.js';
export { type NamedSecret, namedSecretsOfOriginal, secretsOfOriginal } from '../src/arrival/secrets.js';
export type { RestoreRequest } from '../src/checks/checked-request.js';
export { loadConfig } from '../src/checks/config.js';
export type { RequestPolicy } from '../src/checks/policy.js';
export { parseRestoreRequest } from '../src/checks/request.js';
export { ConfigError } from '../src/config.js';
export { ForbiddenRequestError, InvalidRequestError } from '../src/errors.js';
export { scrubText } from '../src/invocation.js';
/** The request queue's MaximumMessageSize (serverless.yml): the largest request `submit` can send. */
export { REDRIVE_MAX_BYTES as REQUEST_QUEUE_MAX_BYTES } from '../src/letters/dead-letters.js';
export { linkFromItem } from '../src/table/links.js';
