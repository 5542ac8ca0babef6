/** The SDK middleware that takes one call of the account budget per StartRestoreJob attempt. */

import type { BackupClient } from '@aws-sdk/client-backup';
import { deadlineFor, MIN_ATTEMPT_MS } from '../invocation.js';
import { currentPriority } from '../runner/priority.js';
import type { Pacer } from './pacer.js';

/** The name of the middleware in the Backup client's stack. */
export const PACING_MIDDLEWARE_NAME = 'startRestoreJobPacing';

type Stack = BackupClient['middlewareStack'];
type Middleware = Parameters<Stack['addRelativeTo']>[0];

/**
 * Paces every StartRestoreJob attempt of `client` through `pacer`, at the priority of the item
 * being worked on. Placed after the SDK's retry middleware, it runs once per attempt (retries
 * included); it never waits past the invocation's deadline.
 */
export function paceStartRestoreJob(client: BackupClient, pacer: Pacer): BackupClient {
  const pacing = ((next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
    async (args: unknown) => {
      if (context.commandName === 'StartRestoreJobCommand') {
        const at = deadlineFor('work');
        await pacer.take(currentPriority(), at === undefined ? undefined : at - MIN_ATTEMPT_MS);
      }
      return next(args);
    }) as unknown as Middleware;
  client.middlewareStack.addRelativeTo(pacing, {
    relation: 'after',
    toMiddleware: 'retryMiddleware',
    name: PACING_MIDDLEWARE_NAME,
    override: true,
  });
  return client;
}
