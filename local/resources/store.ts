/**
 * The resources a local restore creates (RDS instances, Aurora clusters, DynamoDB tables, EBS
 * volumes, EC2 instances, EFS file systems, S3 buckets), with states that change over time the way
 * AWS's do: creating -> available, pending -> running, status checks initializing -> ok. A test may
 * pin a resource in any state AWS documents (an `error` volume, `impaired` status checks).
 */

/** When states change, in milliseconds after creation. */
export interface ResourceTiming {
  /** creating -> available (RDS, Aurora, EBS, EFS), CREATING -> ACTIVE (DynamoDB). */
  availableAfterMs?: number;
  /** EC2: pending -> running. */
  runningAfterMs?: number;
  /** EC2: status checks initializing -> ok. */
  statusOkAfterMs?: number;
  /** deleting -> gone. */
  goneAfterMs?: number;
  /** DynamoDB: UPDATING -> ACTIVE after an UpdateTable. */
  updatingMs?: number;
  /**
   * DynamoDB's ItemCount is refreshed "approximately every six hours": until then a restored
   * table reports 0 items, whatever it holds.
   */
  itemCountRefreshMs?: number;
}

export type ResourceKind = 'db' | 'cluster' | 'table' | 'volume' | 'instance' | 'file-system' | 'bucket';

/** One local resource. Fields used by some kinds only are optional. */
export interface LocalResource {
  kind: ResourceKind;
  /** The identifier its service knows it by (DB identifier, table or bucket name, vol-, i-, fs-). */
  id: string;
  arn: string;
  createdAt: number;
  tags: Record<string, string>;
  /** Pinned state: overrides the timed one (e.g. `error`, `failed`, `stopped`). */
  state?: string;
  /** EC2 status checks pinned (`ok`, `impaired`, `initializing`, `insufficient-data`). */
  statusChecks?: string;
  deletedAt?: number;
  /** EBS size in GiB. */
  sizeGiB?: number;
  availabilityZone?: string;
  /** RDS/Aurora engine. */
  engine?: string;
  deletionProtection?: boolean;
  /** DynamoDB items (count only) and S3 object keys. */
  items?: number;
  objects?: string[];
  /**
   * S3: every version and delete marker, oldest first (an unversioned bucket's objects are `null`
   * versions; when unset, `objects` are those).
   */
  versions?: { key: string; versionId: string; deleteMarker?: boolean }[];
  /** S3: the bucket's versioning status (unset: never enabled). */
  versioning?: 'Enabled' | 'Suspended';
  /** S3: ABAC switched on (PutBucketAbac); tags then change only through S3 Control TagResource. */
  abac?: boolean;
  /** S3: Object Lock on (its versions cannot be deleted). */
  objectLock?: boolean;
  /** DynamoDB: UPDATING until then (epoch ms), after an UpdateTable. */
  updatingUntil?: number;
  /** EBS: attached to an instance. */
  attachedTo?: string;
  /** EBS: deleted with the instance it is attached to (DeleteOnTermination). */
  deleteOnTermination?: boolean;
  /** EBS: when the volume is detached from its terminated instance (epoch ms). */
  detachAt?: number;
  /** EFS: mount targets (a file system with mount targets cannot be deleted). */
  mountTargets?: number;
  /** EFS: the CreationToken the restore was given. */
  creationToken?: string;
  /** Aurora, DocumentDB, Neptune: the cluster's DB instance identifiers. */
  members?: string[];
  /** RDS: the DB parameter group (unset: the engine's default) and its ParameterApplyStatus. */
  parameterGroup?: string;
  parameterApplyStatus?: string;
  /** RDS: the option group (unset: the engine's default). */
  optionGroup?: string;
  /** Aurora: the DB cluster parameter group (unset: the engine's default). */
  clusterParameterGroup?: string;
  /** A cluster member: its DBClusterParameterGroupStatus (unset: in-sync). */
  clusterParameterGroupStatus?: string;
}

const DEFAULT_TIMING: Required<ResourceTiming> = {
  availableAfterMs: 300,
  runningAfterMs: 300,
  statusOkAfterMs: 600,
  goneAfterMs: 200,
  updatingMs: 300,
  itemCountRefreshMs: 6 * 60 * 60 * 1000,
};

/** The store of every local resource, keyed by kind and id. */
export class ResourceStore {
  readonly timing: Required<ResourceTiming>;
  private readonly all = new Map<string, LocalResource>();

  constructor(
    readonly region: string,
    readonly accountId: string,
    timing: ResourceTiming = {},
    readonly now: () => number = Date.now,
  ) {
    this.timing = { ...DEFAULT_TIMING, ...timing };
  }

  private key(kind: ResourceKind, id: string): string {
    return `${kind}/${id}`;
  }

  /** Creates (or replaces) a resource. */
  put(resource: Omit<LocalResource, 'createdAt' | 'tags'> & Partial<LocalResource>): LocalResource {
    const r: LocalResource = { createdAt: this.now(), tags: {}, ...resource };
    this.all.set(this.key(r.kind, r.id), r);
    return r;
  }

  /** The resource, unless it never existed or is gone. */
  get(kind: ResourceKind, id: string): LocalResource | undefined {
    const r = this.all.get(this.key(kind, id));
    if (r === undefined) return undefined;
    if (r.deletedAt !== undefined && this.now() - r.deletedAt >= this.timing.goneAfterMs) {
      this.all.delete(this.key(kind, id));
      return undefined;
    }
    return r;
  }

  /** The resource by its ARN (any kind). */
  byArn(arn: string): LocalResource | undefined {
    for (const r of this.all.values()) if (r.arn === arn) return this.get(r.kind, r.id);
    return undefined;
  }

  /** Every live resource of a kind. */
  list(kind: ResourceKind): LocalResource[] {
    return [...this.all.values()]
      .filter((r) => r.kind === kind)
      .map((r) => this.get(r.kind, r.id))
      .filter((r): r is LocalResource => r !== undefined);
  }

  /** Starts deleting: the resource reads `deleting` (or the kind's word for it), then is gone. */
  markDeleted(r: LocalResource): void {
    r.deletedAt ??= this.now();
  }

  /** Milliseconds since the resource was created. */
  age(r: LocalResource): number {
    return this.now() - r.createdAt;
  }

  /** The timed state: `before` until `afterMs`, then `after`; a pinned state wins. */
  timed(r: LocalResource, before: string, after: string, afterMs = this.timing.availableAfterMs): string {
    if (r.state !== undefined) return r.state;
    return this.age(r) >= afterMs ? after : before;
  }
}
