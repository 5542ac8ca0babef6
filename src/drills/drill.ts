/**
 * Drills (pure): whether a job's request was a drill, when its resource is due for deletion, and
 * the ownership checks every deletion must pass. Nothing here calls AWS.
 */

import { type OriginalRequest, originalBody } from '../arrival/original.js';

/** The tag the cleanup puts on a drill's resource after COMPLETED; its value is the restore job id. */
export const DRILL_TAG_KEY = 'backup-restore:drill';

/**
 * How long a 0-hour drill waits for its validation's verdict at most (and how long a resource that
 * failed its validation is left for inspection): it is due then, whatever the validation did.
 */
export const VERDICT_WAIT_HOURS = 24;

/** How long after its job completed a resource may still be reported created and be the job's. */
export const REUSED_NAME_MARGIN_MS = 15 * 60_000;

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
  return drillSpecOf(request);
}

/** The drill a request object asks for (its Drill, when well formed), or undefined. */
export function drillSpecOf(request: unknown): DrillSpec | undefined {
  const drill = (request as { Drill?: { DeleteAfterHours?: unknown } } | null)?.Drill;
  const hours = drill?.DeleteAfterHours;
  return typeof hours === 'number' && Number.isInteger(hours) && hours >= 0 && hours <= 168
    ? { deleteAfterHours: hours }
    : undefined;
}

/**
 * When a drill's resource is due (ISO), from its completion: DeleteAfterHours after it; for 0, after
 * VERDICT_WAIT_HOURS, brought forward to the verdict time by the validation (drillValidated).
 * Undefined only when the completion time is not a time.
 */
export function drillDueAt(spec: DrillSpec, completedAt: string): string | undefined {
  const hours = spec.deleteAfterHours === 0 ? VERDICT_WAIT_HOURS : spec.deleteAfterHours;
  const t = Date.parse(completedAt);
  return Number.isFinite(t) ? new Date(t + hours * 3_600_000).toISOString() : undefined;
}

/** What the cleanup saw of a drill, for the ownership checks: each piece is AWS's word, read afresh. */
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
  /** DescribeRestoreJob's CreationDate: when the job started. */
  readonly jobCreatedAt: Date | undefined;
  /** DescribeRestoreJob's CompletionDate: the job's resource existed by then (undefined: not given). */
  readonly jobCompletedAt?: Date;
  /**
   * The resource's own creation time as its service reports it (RDS InstanceCreateTime or
   * ClusterCreateTime, DynamoDB CreationDateTime, EC2 LaunchTime, EBS CreateTime, EFS CreationTime,
   * S3 CreationDate): undefined when the service did not say.
   */
  readonly resourceCreatedAt: Date | undefined;
  /** The resource's tags, now. */
  readonly tags: Readonly<Record<string, string>>;
  /** The resource's creation time recorded when the cleanup tagged it (undefined: not recorded). */
  readonly taggedResourceCreatedAt?: Date;
}

/** Why a resource is not provably created by the job (pure): its creation time against the job's start. */
export function createdAfterRefusal(
  what: string,
  createdAt: Date | undefined,
  jobCreatedAt: Date | undefined,
): string | undefined {
  if (jobCreatedAt === undefined) return 'DescribeRestoreJob gives no CreationDate for the job';
  if (createdAt === undefined) return `AWS gives no creation time for ${what}`;
  if (createdAt.getTime() < jobCreatedAt.getTime()) {
    return `${what} was created at ${createdAt.toISOString()}, before the job started (${jobCreatedAt.toISOString()}): the job did not create it`;
  }
  return undefined;
}

/**
 * Why `what`, created at `createdAt`, was not made by a job that completed at `completedAt`: made
 * well after it (the margin allows for the services' clocks and for AWS Backup reporting the
 * completion). Undefined when either time is unknown or it was not.
 */
export function createdAfterCompletionRefusal(
  what: string,
  createdAt: Date | undefined,
  completedAt: Date | undefined,
  so: string,
): string | undefined {
  if (createdAt === undefined || completedAt === undefined) return undefined;
  if (createdAt.getTime() - REUSED_NAME_MARGIN_MS <= completedAt.getTime()) return undefined;
  return `${what} was created at ${createdAt.toISOString()}, after the job completed (${completedAt.toISOString()}): ${so}, the job did not create it`;
}

/** At deletion: a resource whose creation time is not the one recorded at tagging is another one. */
function replacedSinceTagging(e: OwnershipEvidence): string | undefined {
  const tagged = e.taggedResourceCreatedAt;
  if (tagged === undefined || e.resourceCreatedAt?.getTime() === tagged.getTime()) return undefined;
  return `the resource was created at ${e.resourceCreatedAt?.toISOString() ?? '(not given)'}, not at ${tagged.toISOString()} as when it was tagged: another resource under the drill's name`;
}

/**
 * Every ownership check that refuses the deletion (empty: the resource is the drill's own): the
 * link names the job a drill (not an alarm restore), DescribeRestoreJob names this resource as the
 * one it created, the resource was created at or after the job started, and it carries the drill
 * tag. A name is never evidence. With `beforeTagging` (the cleanup about to put the tag on): the
 * tag may be missing, but a tag naming another job still refuses (it is never overwritten).
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
  const time = createdAfterRefusal('the resource', e.resourceCreatedAt, e.jobCreatedAt);
  if (time !== undefined) refusals.push(time);
  // Before the tag is put on (the first time, or after a reset), nothing of ours has changed the
  // resource: one created well after the job completed is another under a reused name.
  const late = beforeTagging
    ? createdAfterCompletionRefusal(
        'the resource',
        e.resourceCreatedAt,
        e.jobCompletedAt,
        'its name was reused',
      )
    : undefined;
  if (late !== undefined) refusals.push(late);
  // At deletion it must be the very resource that was tagged (a tag can be copied or written by others).
  const replaced = beforeTagging ? undefined : replacedSinceTagging(e);
  if (replaced !== undefined) refusals.push(replaced);
  const tag = e.tags[DRILL_TAG_KEY];
  if (tag !== e.restoreJobId && !(beforeTagging && tag === undefined)) {
    refusals.push(
      tag === undefined
        ? `the resource does not carry the tag ${DRILL_TAG_KEY}`
        : `the resource's tag ${DRILL_TAG_KEY} names job ${tag}, not ${e.restoreJobId}`,
    );
  }
  return refusals;
}
