/**
 * Whether a restored resource is usable, from what AWS says about it (pure). Each type's verdict
 * (in its module under src/resources/) takes an observation its module read and returns pass, fail
 * (with a reason a person can act on) or not-yet (check again later: the resource is still being
 * created, booting or checked); here, what holds for every type.
 */

import { fail, type Verdict } from '../resources/module.js';
import { type ResourceType, TYPES } from '../resources/registry.js';

export { type TableObservation, tableVerdict } from '../resources/dynamodb.js';
export { type VolumeObservation, volumeVerdict } from '../resources/ebs.js';
export { type InstanceObservation, instanceVerdict } from '../resources/ec2.js';
export { type FileSystemObservation, fileSystemVerdict } from '../resources/efs.js';
export {
  fail,
  type Missing,
  notYet,
  pass,
  type Verdict,
} from '../resources/module.js';
export {
  type DbClusterObservation,
  dbClusterVerdict,
  type RdsInstanceObservation,
  rdsInstanceVerdict,
} from '../resources/rds-family.js';
export { type BucketObservation, bucketVerdict } from '../resources/s3.js';

/**
 * The final word on a not-yet at a deadline: a check that still cannot pass after the time the
 * deployment allows is a failure, with the last reason.
 */
export function atDeadline(v: Verdict, now: Date, deadline: Date): Verdict {
  if (v.verdict !== 'not-yet' || now.getTime() < deadline.getTime()) return v;
  return fail(`Not usable by the validation deadline (${deadline.toISOString()}): ${v.reason}`);
}

/** The types with a built-in check (their module says `validated`). */
export const CHECKED_TYPES: readonly ResourceType[] = TYPES.filter((m) => m.validated).map((m) => m.type);
export type CheckedType = ResourceType;

/** The type whose built-in check applies (sub-types such as `DynamoDB.FullyManaged` map to theirs). */
export function checkedType(resourceType: string | undefined): CheckedType | undefined {
  const base = (resourceType ?? '').split('.')[0] ?? '';
  return CHECKED_TYPES.find((t) => t === base);
}
