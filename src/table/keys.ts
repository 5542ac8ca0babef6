/**
 * The restore jobs table (DynamoDB, one string hash key `restoreJobId`, TTL on `expiresAt`) holds
 * ten kinds of item, told apart by their key. This is the one place that spells them:
 * - `<restoreJobId>`: a job's link to the request it came from (links.ts);
 * - `<restoreJobId>#outcome`: the job's end, claimed before its dead letter is sent (outcomes.ts);
 * - `redrive#<deadLetterId>`: a dead letter taken back from the request queue (redrives.ts);
 * - `active#<resourceArn>`: the claim of one restore of a resource at a time (claims.ts);
 * - `<restoreJobId>#validation`: the job's final verdict (verdicts.ts);
 * - `<restoreJobId>#drill`: a drill's record, which the cleanup moves on (drills.ts);
 * - `<restoreJobId>#ready`: the job's make-ready record, completed -> ready (ready.ts);
 * - `<restoreJobId>#ready-asked`: the reconciler asked makeReady for a job whose COMPLETED event it
 *   never had (ready.ts);
 * - `<restoreJobId>#unlinked-drill`: a drill's job whose link could not be written, still a drill (links.ts);
 * - `pace#budget`: the account's StartRestoreJob budget (pace.ts).
 */

import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** An item of the table. */
export type Item = Record<string, AttributeValue>;

/** The key of each kind of item. */
export const linkKey = (restoreJobId: string) => restoreJobId;
export const outcomeKey = (restoreJobId: string) => `${restoreJobId}#outcome`;
export const redriveKey = (deadLetterId: string) => `redrive#${deadLetterId}`;
export const claimKey = (resourceArn: string) => `active#${resourceArn}`;
export const verdictKey = (restoreJobId: string) => `${restoreJobId}#validation`;
export const drillKey = (restoreJobId: string) => `${restoreJobId}#drill`;
export const readyKey = (restoreJobId: string) => `${restoreJobId}#ready`;
export const readyAskedKey = (restoreJobId: string) => `${restoreJobId}#ready-asked`;
export const unlinkedDrillKey = (restoreJobId: string) => `${restoreJobId}#unlinked-drill`;
/** The key of the pacing budget item. */
export const PACE_KEY = 'pace#budget';

/** The job id of a make-ready record's key; undefined for the key of another kind of item. */
export const jobOfReadyKey = (key: string) =>
  key.endsWith('#ready') ? key.slice(0, -'#ready'.length) : undefined;

/** The DynamoDB key of an item. */
export const keyOf = (key: string) => ({ restoreJobId: { S: key } });

/** The TTL attribute of an item kept `days` from `now` (epoch seconds). */
export const expiresAt = (now: Date, days: number): { N: string } => ({
  N: String(Math.floor(now.getTime() / 1000) + days * 86_400),
});
