/** One dead letter as the commands print it: a row for a person, an object for --json. */

import type { LetterInfo } from './dead-letters.js';
import { age, type Paint, safe } from './output.js';

/** The letter in two lines: id, failure kind, age and ids; then its reason. */
export function letterRow(l: LetterInfo, p: Paint): string {
  const colour = l.failure === 'rejected' ? p.red : l.failure === 'restore-job-failed' ? p.yellow : p.bold;
  const ageText = l.ageSeconds === undefined ? '?' : age(l.ageSeconds * 1000);
  return [
    `${safe(l.messageId)}  ${colour(safe(l.failure))}  ${ageText} ago${l.triggerId ? `  ${safe(l.triggerType ?? 'trigger')} ${safe(l.triggerId)}` : ''}${l.restoreJobId ? `  job ${safe(l.restoreJobId)}` : ''}`,
    `  ${safe(l.reason)}`,
  ].join('\n');
}

/** The letter's known fields. */
export function letterJson(l: LetterInfo) {
  return Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined));
}
