/**
 * The priority of the StartRestoreJob calls an item makes, carried through every await by
 * AsyncLocalStorage: set by the runner from what arrived, read by the pacer in the Backup client.
 * Alarms first (a recovery under way), then other recoveries, then drills.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import type { Arrival } from '../arrival/decode.js';
import { drillSpecOf } from '../drills/drill.js';

/** Who asks for a StartRestoreJob call, most urgent first. */
export type Priority = 'alarm' | 'recovery' | 'drill';

/** Every priority, most urgent first (its index is its rank). */
export const PRIORITIES: readonly Priority[] = ['alarm', 'recovery', 'drill'];

const storage = new AsyncLocalStorage<Priority>();

/**
 * The priority of an arrival: an alarm, a drill (its request object, as decoded on arrival, says
 * Drill), or another recovery.
 */
export function priorityOf(arrival: Arrival): Priority {
  if (arrival.kind === 'alarm') return 'alarm';
  if (arrival.kind === 'job-event' || 'unreadable' in arrival.request) return 'recovery';
  return drillSpecOf(arrival.request.value) === undefined ? 'recovery' : 'drill';
}

/** Runs `work` with its StartRestoreJob calls at `priority`. */
export function withPriority<T>(priority: Priority, work: () => Promise<T>): Promise<T> {
  return storage.run(priority, work);
}

/** The priority of the current item; a recovery outside one (tools, tests). */
export function currentPriority(): Priority {
  return storage.getStore() ?? 'recovery';
}
