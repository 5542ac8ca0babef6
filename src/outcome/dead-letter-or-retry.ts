/**
 * What a failed request becomes: retried by its trigger, or dead-lettered with a reason. The one
 * place that decides, for the queue and the EventBridge functions alike.
 */

import { describeError, RestorePipelineError } from '../errors.js';
import { buildDeadLetter, KeptLetterError, sendDeadLetter } from '../letters/dead-letters.js';
import { errorFields, type Logger } from '../logger.js';
import type { AttemptInfo, Deps, Incoming } from '../types.js';

/** What a person should know about a request whose retries ran out. */
export const EXHAUSTED_HINT =
  'Retries ran out; AWS may still have accepted the restore if an answer was lost. Before redriving, check the restore jobs with restore-pipeline status: the redrive reuses the idempotency token, but AWS documents no window for it, so a redrive may start a new job if the first one did start';

/**
 * The error handed back to the trigger to retry: the same name and retryable flag, its message
 * scrubbed (Lambda writes it to the log and, once its retries run out, to the on-failure record).
 * No cause: the original's text is not carried along.
 */
function scrubbedError(described: ReturnType<typeof describeError>): RestorePipelineError {
  return Object.assign(new RestorePipelineError(described.message, { retryable: described.retryable }), {
    name: described.name,
  });
}

/**
 * Dead-letters a failed request, or rethrows so its trigger retries it. Permanent errors, and
 * retryable ones on the last attempt, are dead-lettered and resolve; other retryable errors are
 * rethrown. A dead letter that cannot be sent throws, so the request is retried rather than lost.
 */
export async function deadLetterOrRetry(
  deps: Deps,
  incoming: Incoming,
  attempt: AttemptInfo,
  error: unknown,
  log: Logger,
): Promise<void> {
  const described = describeError(error);
  if (described.retryable && !attempt.lastAttempt) {
    log.warn('Request failed; it will be retried', {
      ...errorFields(error),
      attempt: attempt.trigger.attempt,
    });
    throw scrubbedError(described);
  }
  const kept = error instanceof KeptLetterError ? error : undefined;
  const failure = kept?.failure ?? (described.retryable ? 'retries-exhausted' : 'rejected');
  const letter = buildDeadLetter({
    failure,
    error:
      failure === 'retries-exhausted'
        ? Object.assign(
            new RestorePipelineError(`${described.message}. ${EXHAUSTED_HINT}`, { retryable: true }),
            {
              name: described.name,
            },
          )
        : error,
    trigger: attempt.trigger,
    original: incoming.original,
    now: deps.now(),
    redriveCount: incoming.redriveCount,
    ...(kept?.restoreJob === undefined ? {} : { restoreJob: kept.restoreJob }),
  });
  try {
    const messageId = await sendDeadLetter(deps.sqs, deps.config.deadLetterQueueUrl, letter);
    log.warn('Request dead-lettered', { ...errorFields(error), failure, deadLetterMessageId: messageId });
  } catch (sendError) {
    log.error('Could not send the dead letter; the request will be retried', {
      ...errorFields(sendError),
      reason: described.message,
    });
    throw sendError;
  }
}
