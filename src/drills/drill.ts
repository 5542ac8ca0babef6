/**
 * Drills (pure): whether a job's request was a drill, when its resource is due for deletion, and
 * the ownership checks every deletion must pass. Nothing here calls AWS.
 */

import { type OriginalRequest, originalBody } from '../arrival/original.js';

/** The tag the cleanup puts on a drill's resource after COMPLETED; its value is the restore job id. */
export const DRILL_TAG_KEY = 'backup-restore:drill';

/** The restore suffix the pipeline gives the names it chooses (`<original>-r<7 hex>`, src/plan/metadata.ts). */
export const RESTORE_SUFFIX = /-r[0-9a-f]{7}$/;

/** What a drill asked for. */
export interface DrillSpec {
  readonly deleteAfterHours: number;
}

/**
 * The drill a job's original request asked for, or undefined (lenient: the request was checked when
 * it arrived). An alarm restore is a recovery and never a drill, whatever its event carries.
 */
export function drillOf(original: OriginalRequest): DrillSpec | undefined {
  let request: unknown;
  if (original.trigger === 'eventbridge') {
    const event = original.event as { source?: unknown; detail?: unknown } | null;
    if (event === null || typeof event !== 'object' || event.source === 'aws.cloudwatch') return undefined;
    request = event.detail;
  } else {
    try {
      request = JSON.parse(originalBody(original) ?? 'null');
    } catch {
      return undefined;
    }
  }
  const drill = (request as { Drill?: { DeleteAfterHours?: unknown } } | null)?.Drill;
  const hours = drill?.DeleteAfterHours;
  return typeof hours === 'number' && Number.isInteger(hours) && hours >= 0 && hours <= 168
    ? { deleteAfterHours: hours }
    : undefined;
}

/**
 * When a drill's resource is due (ISO), from its completion: DeleteAfterHours after it, or, for 0,
 * undefined until the validation's final verdict sets it.
 */
export function drillDueAt(spec: DrillSpec, completedAt: string): string | undefined {
  if (spec.deleteAfterHours === 0) return undefined;
  const t = Date.parse(completedAt);
  return Number.isFinite(t) ? new Date(t + spec.deleteAfterHours * 3_600_000).toISOString() : undefined;
}

/** What the cleanup saw of a drill, for the ownership checks. */
export interface OwnershipEvidence {
  readonly restoreJobId: string;
  /** The drill named on the job's link (undefined: the link is not a drill's, or is an alarm's). */
  readonly linkDrill: DrillSpec | undefined;
  /** The link's trigger: an alarm restore is never deleted. */
  readonly alarmRestore: boolean;
  /** The resource the drill record names (AWS's CreatedResourceArn, written by the tracker at COMPLETED). */
  readonly recordedArn: string;
  /** DescribeRestoreJob's CreatedResourceArn, now. */
  readonly jobCreatedArn: string | undefined;
  /** The resource's tags, now. */
  readonly tags: Readonly<Record<string, string>>;
  /** The name the pipeline chose (DB identifier, table, bucket, EFS CreationToken); undefined for EBS and EC2. */
  readonly name: string | undefined;
  /** True for types whose identifier AWS chooses (EBS, EC2): no name to check. */
  readonly nameByAws: boolean;
}

/**
 * Every ownership check that refuses the deletion (empty: the resource is the drill's own). With
 * `beforeTagging` (the cleanup about to put the tag on): the tag may be missing, but a tag naming
 * another job still refuses (it is never overwritten).
 */
export function ownershipRefusals(e: OwnershipEvidence, beforeTagging = false): string[] {
  const refusals: string[] = [];
  if (e.alarmRestore) refusals.push('the job is an alarm restore (a recovery, never a drill)');
  else if (e.linkDrill === undefined) refusals.push("the job's link does not name it a drill");
  if (e.jobCreatedArn === undefined || e.jobCreatedArn !== e.recordedArn) {
    refusals.push(
      `DescribeRestoreJob names ${e.jobCreatedArn ?? 'no created resource'}, not ${e.recordedArn}`,
    );
  }
  const tag = e.tags[DRILL_TAG_KEY];
  if (tag !== e.restoreJobId && !(beforeTagging && tag === undefined)) {
    refusals.push(
      tag === undefined
        ? `the resource does not carry the tag ${DRILL_TAG_KEY}`
        : `the resource's tag ${DRILL_TAG_KEY} names job ${tag}, not ${e.restoreJobId}`,
    );
  }
  if (!e.nameByAws && (e.name === undefined || !RESTORE_SUFFIX.test(e.name))) {
    refusals.push(
      `its name ${JSON.stringify(e.name ?? '')} does not carry the pipeline's restore suffix (-r<7 hex>)`,
    );
  }
  return refusals;
}
