/** The drill cleanup function's configuration: read once at cold start, checked, frozen. */

import { QUEUE_URL_PATTERN, REGION_PATTERN, TABLE_NAME_PATTERN } from '../checks/settings.js';

/** The checked configuration of cleanupDrills. */
export interface DrillConfig {
  readonly region: string;
  readonly restoreJobsTable: string;
  readonly deadLetterQueueUrl: string;
}

/** Thrown at cold start when the environment is not usable; lists every problem at once. */
export class DrillConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n- ${problems.join('\n- ')}`);
    this.name = 'DrillConfigError';
  }
}

/** Reads the configuration (pure); throws DrillConfigError with every problem. */
export function loadDrillConfig(env: Readonly<Record<string, string | undefined>>): DrillConfig {
  const problems: string[] = [];
  const region = env.AWS_REGION ?? '';
  if (!REGION_PATTERN.test(region)) problems.push('AWS_REGION is not set to a Region');
  const restoreJobsTable = env.RESTORE_JOBS_TABLE ?? '';
  if (!TABLE_NAME_PATTERN.test(restoreJobsTable)) problems.push('RESTORE_JOBS_TABLE must be a table name');
  const deadLetterQueueUrl = env.DEAD_LETTER_QUEUE_URL ?? '';
  if (!QUEUE_URL_PATTERN.test(deadLetterQueueUrl)) problems.push('DEAD_LETTER_QUEUE_URL must be a queue URL');
  if (problems.length > 0) throw new DrillConfigError(problems);
  return Object.freeze({ region, restoreJobsTable, deadLetterQueueUrl });
}
