/** Dead letters read back in tests: the one place their message bodies are parsed. */

import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { LocalAws } from '../../local/endpoint';
import type { DeadLetter } from '../../src/letters/dead-letters';

/**
 * Where a test reads dead letters: an aws-sdk-client-mock SQS client (every message sent through
 * it), or a dead-letter queue on a local endpoint (the messages on it, read in place, not received:
 * a local pipeline or a validation environment).
 */
export type DeadLetterSource =
  | AwsClientStub<SQSClient>
  | { readonly aws: LocalAws; readonly deadLetterQueueUrl: string };

/** One dead letter, parsed from a message body. */
export function parseDeadLetter(body: string | undefined): DeadLetter {
  return JSON.parse(body ?? '') as DeadLetter;
}

/** The dead letters at `source`, parsed, in the order they were sent. */
export function deadLetters(source: DeadLetterSource): DeadLetter[] {
  const bodies =
    'commandCalls' in source
      ? source.commandCalls(SendMessageCommand).map((call) => call.args[0].input.MessageBody)
      : (source.aws.sqs.queues.get(source.deadLetterQueueUrl.split('/').pop() ?? '')?.messages ?? []).map(
          (m) => m.Body,
        );
  return bodies.map(parseDeadLetter);
}
