/** What the drill cleanup knows, asked of the code itself (no sockets). */

import { type DrillClients, deleteResource, tagDrillResource } from '../../src/drills/resources';
import { RESOURCE_TYPES } from '../../src/resources/rules';

/**
 * The resource types the drill cleanup has steps for: each type is tagged and deleted with clients
 * that fail every call, and a type the cleanup does not know fails with its own refusal first.
 */
export async function typesTheCleanupHandles(): Promise<string[]> {
  const failing = () => {
    throw new Error('a call to AWS');
  };
  const clients = new Proxy({} as DrillClients, {
    get: (_, key) => (key === 'ddb' ? { send: failing } : failing),
  });
  const context = {
    restoreJobId: 'job',
    jobCreatedAt: undefined,
    accountId: '123456789012',
    deadline: 0,
    sleep: async () => {},
  };
  const unknown = /not cleaned up by this pipeline/;
  const handled: string[] = [];
  for (const type of RESOURCE_TYPES) {
    const arn = `arn:aws:x:eu-west-1:123456789012:thing/${type}`;
    const errors = await Promise.all([
      tagDrillResource(clients, type, arn, context).then(
        () => undefined,
        (e: Error) => e.message,
      ),
      deleteResource(clients, type, arn, context).then(
        () => undefined,
        (e: Error) => e.message,
      ),
    ]);
    if (errors.every((m) => !unknown.test(m ?? ''))) handled.push(type);
  }
  return handled;
}
