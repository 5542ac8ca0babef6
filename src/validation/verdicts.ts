/**
 * Whether a restored resource is usable, from what AWS says about it (pure). Each function takes
 * an observation read by read-resources.ts and returns pass, fail (with a reason a person can act
 * on) or not-yet (check again later: the resource is still being created, booting or checked).
 */

/** The outcome of one check. */
export type Verdict =
  | { readonly verdict: 'pass'; readonly reason: string }
  | { readonly verdict: 'fail'; readonly reason: string }
  | { readonly verdict: 'not-yet'; readonly reason: string };

export const pass = (reason: string): Verdict => ({ verdict: 'pass', reason });
export const fail = (reason: string): Verdict => ({ verdict: 'fail', reason });
export const notYet = (reason: string): Verdict => ({ verdict: 'not-yet', reason });

/** The resource AWS named in CreatedResourceArn does not exist (yet, or any more). */
export interface Missing {
  readonly found: false;
}

/** An RDS DB instance (DescribeDBInstances). */
export type RdsInstanceObservation =
  | Missing
  | { readonly found: true; readonly id: string; readonly status: string; readonly endpoint?: string };

/** An Aurora (or DocumentDB, Neptune) DB cluster (DescribeDBClusters). */
export type DbClusterObservation =
  | Missing
  | { readonly found: true; readonly id: string; readonly status: string; readonly endpoint?: string };

/** A DynamoDB table: DescribeTable, and a Scan of one item. */
export type TableObservation =
  | Missing
  | {
      readonly found: true;
      readonly name: string;
      readonly status: string;
      /** A Scan with Limit 1 returned an item (only read once the table is ACTIVE). */
      readonly hasItem?: boolean;
      /** From the recovery point: undefined when AWS does not say. */
      readonly sourceHadItems?: boolean;
    };

/** An EBS volume (DescribeVolumes). */
export type VolumeObservation =
  | Missing
  | {
      readonly found: true;
      readonly id: string;
      readonly state: string;
      readonly sizeGiB?: number;
      /** The size the restore asked for or the snapshot had; undefined when unknown. */
      readonly expectedSizeGiB?: number;
    };

/** An EFS file system (DescribeFileSystems). */
export type FileSystemObservation =
  | Missing
  | { readonly found: true; readonly id: string; readonly state: string };

/** An S3 bucket: ListObjectsV2 with MaxKeys 1. */
export type BucketObservation =
  | Missing
  | { readonly found: true; readonly name: string; readonly objectCount: number };

/** An EC2 instance: DescribeInstances and DescribeInstanceStatus (IncludeAllInstances). */
export type InstanceObservation =
  | Missing
  | {
      readonly found: true;
      readonly id: string;
      readonly state: string;
      readonly systemStatus?: string;
      readonly instanceStatus?: string;
    };

// A resource that AWS has just reported as restored may not be visible at once (eventual
// consistency): missing is worth another look until the deadline, when it becomes a failure.
const missing = (what: string) =>
  notYet(`${what} does not exist (yet): AWS reported it as the restore's created resource`);

const RDS_FAILED = new Set([
  'failed',
  'incompatible-restore',
  'incompatible-parameters',
  'incompatible-network',
  'incompatible-option-group',
  'inaccessible-encryption-credentials',
  'inaccessible-encryption-credentials-recoverable',
  'storage-full',
  'restore-error',
  'deleting',
  'stopped',
  'stopping',
]);

/** RDS DB instance: `available` with an endpoint. */
export function rdsInstanceVerdict(o: RdsInstanceObservation): Verdict {
  if (!o.found) return missing('The restored DB instance');
  if (o.status === 'available') {
    return o.endpoint === undefined || o.endpoint === ''
      ? notYet(`DB instance ${o.id} is available but has no endpoint yet`)
      : pass(`DB instance ${o.id} is available at ${o.endpoint}`);
  }
  if (RDS_FAILED.has(o.status)) {
    return fail(
      `DB instance ${o.id} is ${o.status}: it cannot serve. Check its events (aws rds describe-events --source-identifier ${o.id}), fix the cause and restore again`,
    );
  }
  return notYet(`DB instance ${o.id} is ${o.status}`);
}

/** Aurora, DocumentDB or Neptune DB cluster: `available` with an endpoint. */
export function dbClusterVerdict(o: DbClusterObservation): Verdict {
  if (!o.found) return missing('The restored DB cluster');
  if (o.status === 'available') {
    return o.endpoint === undefined || o.endpoint === ''
      ? notYet(`DB cluster ${o.id} is available but has no endpoint yet`)
      : pass(
          `DB cluster ${o.id} is available at ${o.endpoint} (a restored cluster has no instances: add one before it can serve)`,
        );
  }
  if (RDS_FAILED.has(o.status) || o.status === 'inaccessible-encryption-credentials') {
    return fail(
      `DB cluster ${o.id} is ${o.status}: it cannot serve. Check its events, fix the cause and restore again`,
    );
  }
  return notYet(`DB cluster ${o.id} is ${o.status}`);
}

/** DynamoDB table: `ACTIVE`, and holding at least one item when the source had items. */
export function tableVerdict(o: TableObservation): Verdict {
  if (!o.found) return missing('The restored table');
  if (o.status === 'CREATING' || o.status === 'UPDATING') return notYet(`Table ${o.name} is ${o.status}`);
  if (o.status !== 'ACTIVE') {
    return fail(
      `Table ${o.name} is ${o.status}, not ACTIVE: it cannot serve. Fix the cause and restore again`,
    );
  }
  if (o.sourceHadItems === true && o.hasItem === false) {
    return fail(
      `Table ${o.name} is ACTIVE but empty, while the recovery point holds data: the restore lost the items. Restore again from this or another recovery point`,
    );
  }
  if (o.sourceHadItems === undefined) {
    return pass(`Table ${o.name} is ACTIVE (the recovery point does not say whether the source had items)`);
  }
  return pass(`Table ${o.name} is ACTIVE${o.hasItem === true ? ' and holds items' : ''}`);
}

/** EBS volume: `available` (or already `in-use`) of the expected size. */
export function volumeVerdict(o: VolumeObservation): Verdict {
  if (!o.found) return missing('The restored volume');
  if (o.state === 'creating') return notYet(`Volume ${o.id} is creating`);
  if (o.state !== 'available' && o.state !== 'in-use') {
    return fail(`Volume ${o.id} is ${o.state}: it cannot be attached. Delete it and restore again`);
  }
  if (o.expectedSizeGiB !== undefined && o.sizeGiB !== o.expectedSizeGiB) {
    return fail(
      `Volume ${o.id} is ${o.sizeGiB ?? 'of unknown size'} GiB, expected ${o.expectedSizeGiB} GiB: check the restore's volumeSize metadata`,
    );
  }
  return pass(`Volume ${o.id} is ${o.state}${o.sizeGiB === undefined ? '' : `, ${o.sizeGiB} GiB`}`);
}

/** EFS file system: `available`. */
export function fileSystemVerdict(o: FileSystemObservation): Verdict {
  if (!o.found) return missing('The restored file system');
  if (o.state === 'available') return pass(`File system ${o.id} is available`);
  if (o.state === 'creating' || o.state === 'updating') return notYet(`File system ${o.id} is ${o.state}`);
  return fail(`File system ${o.id} is ${o.state}: it cannot be mounted. Delete it and restore again`);
}

/** S3 bucket: exists and holds objects. */
export function bucketVerdict(o: BucketObservation): Verdict {
  if (!o.found) return missing('The restored bucket');
  if (o.objectCount === 0) {
    return fail(
      `Bucket ${o.name} is empty: the restore copied no objects. Check the restore job's status message and the restore role's S3 and KMS permissions, then restore again`,
    );
  }
  return pass(`Bucket ${o.name} holds objects`);
}

const INSTANCE_GONE = new Set(['shutting-down', 'terminated', 'stopping', 'stopped']);

/** EC2 instance: `running` with both status checks `ok`. */
export function instanceVerdict(o: InstanceObservation): Verdict {
  if (!o.found) return missing('The restored instance');
  if (o.state === 'pending') return notYet(`Instance ${o.id} is pending`);
  if (INSTANCE_GONE.has(o.state)) {
    return fail(
      `Instance ${o.id} is ${o.state}: it does not run. Check its console output, fix the cause and restore again`,
    );
  }
  const checks = [o.systemStatus, o.instanceStatus];
  if (checks.some((s) => s === 'impaired')) {
    return fail(
      `Instance ${o.id} runs but its status checks fail (system ${o.systemStatus}, instance ${o.instanceStatus}): check its console output and the restored AMI`,
    );
  }
  if (checks.every((s) => s === 'ok'))
    return pass(`Instance ${o.id} is running and passes its status checks`);
  return notYet(
    `Instance ${o.id} is running; status checks are system ${o.systemStatus ?? 'unknown'}, instance ${o.instanceStatus ?? 'unknown'}`,
  );
}

/**
 * The final word on a not-yet at a deadline: a check that still cannot pass after the time the
 * deployment allows is a failure, with the last reason.
 */
export function atDeadline(v: Verdict, now: Date, deadline: Date): Verdict {
  if (v.verdict !== 'not-yet' || now.getTime() < deadline.getTime()) return v;
  return fail(`Not usable by the validation deadline (${deadline.toISOString()}): ${v.reason}`);
}

/** The built-in check's name per resource type; undefined for types without one. */
export const CHECKED_TYPES = [
  'RDS',
  'Aurora',
  'DocumentDB',
  'Neptune',
  'DynamoDB',
  'EBS',
  'EFS',
  'S3',
  'EC2',
] as const;
export type CheckedType = (typeof CHECKED_TYPES)[number];

/** The type whose built-in check applies (sub-types such as `DynamoDB.FullyManaged` map to theirs). */
export function checkedType(resourceType: string | undefined): CheckedType | undefined {
  const base = (resourceType ?? '').split('.')[0] ?? '';
  return (CHECKED_TYPES as readonly string[]).includes(base) ? (base as CheckedType) : undefined;
}
