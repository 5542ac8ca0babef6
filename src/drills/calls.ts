/**
 * What the drill cleanup shares with the type modules' drill steps (src/resources/calls.ts): the
 * context a tag or a deletion runs in, and the error that says a resource is not ready yet.
 */

export { call, dateOf, isNotFound, NotReadyError, tagMap, waitUntil } from '../resources/calls.js';
export type { DrillContext } from '../resources/module.js';
