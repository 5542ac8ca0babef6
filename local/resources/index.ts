/**
 * The local resource services (RDS, EC2/EBS, EFS, S3, the DynamoDB control plane, Lambda Invoke)
 * behind the one local endpoint, and the hook that makes a completed restore job's resource exist.
 *
 * Each request is routed by the service in its SigV4 credential scope
 * (`Credential=<key>/<date>/<region>/<service>/aws4_request`): every SDK client signs with its own
 * service name, so routing never guesses from paths that two services share.
 */

import type { IncomingHttpHeaders } from 'node:http';
import { DYNAMODB_CONTROL_OPERATIONS, dynamoDbControl } from './dynamodb-control.js';
import { ec2Action } from './ec2.js';
import { efsRoute } from './efs.js';
import { LocalLambda } from './lambda.js';
import { rdsAction } from './rds.js';
import type { LocalReply } from './reply.js';
import { s3Route } from './s3.js';
import { type LocalResource, type ResourceKind, ResourceStore, type ResourceTiming } from './store.js';

export { LocalReply } from './reply.js';
export type { LocalResource, ResourceKind, ResourceTiming } from './store.js';

/** A route the endpoint runs (with its fault injection) like its own. */
export interface ResourceRoute {
  operation: string;
  run: () => LocalReply | Promise<LocalReply>;
}

/** What a completed restore job tells the store (fields of the local job used here). */
export interface CompletedRestore {
  ResourceType?: string;
  CreatedResourceArn?: string;
  Metadata: Record<string, string>;
  RecoveryPointArn: string;
}

/** The service a request is signed for, from its Authorization header. */
export function signedService(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  const m =
    typeof auth === 'string' ? /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth) : null;
  return m?.[1];
}

/** The local resources and their services. */
export class LocalResources {
  readonly store: ResourceStore;
  readonly lambda: LocalLambda;

  constructor(
    region: string,
    accountId: string,
    timing: ResourceTiming = {},
    /** Data-plane DynamoDB tables (described read-only). */
    private readonly dataPlaneTables: ReadonlyMap<string, unknown> = new Map(),
    /** Restore metadata of a recovery point (EBS `volumeSize`), when known. */
    private readonly pointMetadata: (recoveryPointArn: string) => Record<string, string> | undefined = () =>
      undefined,
    /** The recovery point's BackupSizeInBytes, when known (0: the source held no data). */
    private readonly pointSize: (recoveryPointArn: string) => number | undefined = () => undefined,
  ) {
    this.store = new ResourceStore(region, accountId, timing);
    this.lambda = new LocalLambda(region, accountId);
  }

  /** The route for a request to one of these services; undefined for anything else. */
  route(headers: IncomingHttpHeaders, method: string, url: URL, body: string): ResourceRoute | undefined {
    const service = signedService(headers);
    switch (service) {
      case 'rds':
      case 'ec2': {
        if (method !== 'POST') return undefined;
        const form = new URLSearchParams(body);
        const action = form.get('Action') ?? '';
        const reply = () =>
          (service === 'rds' ? rdsAction(this.store, form) : ec2Action(this.store, form)) as LocalReply;
        // Only the actions served here; the probe has no side effect (describe/tag/delete run in `run`).
        const probe = service === 'rds' ? RDS_ACTIONS : EC2_ACTIONS;
        return probe.has(action) ? { operation: action, run: reply } : undefined;
      }
      case 'elasticfilesystem':
        return efsRoute(this.store, method, url, body);
      case 's3':
        return s3Route(this.store, method, url, body);
      case 'lambda':
        return this.lambda.route(
          method,
          url,
          body,
          String(headers['x-amz-invocation-type'] ?? 'RequestResponse'),
        );
      case 'dynamodb': {
        const target = String(headers['x-amz-target'] ?? '');
        const operation = target.slice('DynamoDB_20120810.'.length);
        if (!DYNAMODB_CONTROL_OPERATIONS.has(operation)) return undefined;
        // A Scan of one of the pipeline's own tables is the local DynamoDB's, not a restored table's.
        if (operation === 'Scan') {
          const name = String((JSON.parse(body || '{}') as { TableName?: unknown }).TableName ?? '');
          if (this.dataPlaneTables.has(name)) return undefined;
        }
        return {
          operation,
          run: () =>
            dynamoDbControl(
              this.store,
              operation,
              JSON.parse(body || '{}') as Record<string, unknown>,
              this.dataPlaneTables,
            ),
        };
      }
      default:
        return undefined;
    }
  }

  /**
   * An EC2 restore's volumes, as the AMI's block device mapping makes them: the root volume
   * (DeleteOnTermination true) and a data volume mapped with DeleteOnTermination false.
   */
  private instanceVolumes(instance: LocalResource): void {
    const base = instance.id.replace(/^i-/, '').slice(0, 12);
    for (const [suffix, deleteOnTermination] of [
      ['0', true],
      ['1', false],
    ] as const) {
      const id = `vol-${base}${suffix}`;
      this.store.put({
        kind: 'volume',
        id,
        arn: `arn:aws:ec2:${this.store.region}:${this.store.accountId}:volume/${id}`,
        sizeGiB: 8,
        availabilityZone: `${this.store.region}a`,
        attachedTo: instance.id,
        deleteOnTermination,
      });
    }
  }

  /** Makes the resource a COMPLETED restore job names (its CreatedResourceArn) exist, `creating`. */
  restoreCompleted(job: CompletedRestore): LocalResource | undefined {
    const made = this.restoreResource(job);
    if (made?.kind === 'instance') this.instanceVolumes(made);
    return made;
  }

  private restoreResource(job: CompletedRestore): LocalResource | undefined {
    const arn = job.CreatedResourceArn;
    if (arn === undefined) return undefined;
    const made = materialise(arn, job.ResourceType ?? '');
    if (made === undefined) return undefined;
    const meta = job.Metadata;
    const pointMeta = this.pointMetadata(job.RecoveryPointArn) ?? {};
    const size = this.pointSize(job.RecoveryPointArn);
    const hadData = size === undefined || size > 0;
    return this.store.put({
      ...made,
      arn,
      ...(made.kind === 'volume'
        ? {
            sizeGiB: Number(meta.volumeSize ?? pointMeta.volumeSize ?? 8),
            availabilityZone: meta.availabilityZone ?? `${this.store.region}a`,
          }
        : {}),
      ...(made.kind === 'db' || made.kind === 'cluster' ? { engine: meta.engine ?? pointMeta.engine } : {}),
      ...(made.kind === 'table' ? { items: hadData ? 3 : 0 } : {}),
      ...(made.kind === 'file-system' && meta.CreationToken !== undefined
        ? { creationToken: meta.CreationToken }
        : {}),
      ...(made.kind === 'bucket'
        ? { objects: hadData ? ['data/a.csv', 'data/b.csv', 'index.html'] : [] }
        : {}),
    });
  }
}

const RDS_ACTIONS: ReadonlySet<string> = new Set([
  'DescribeDBInstances',
  'DescribeDBClusters',
  'ListTagsForResource',
  'AddTagsToResource',
  'DeleteDBInstance',
  'DeleteDBCluster',
  'ModifyDBInstance',
  'ModifyDBCluster',
  'CreateDBInstance',
]);

const EC2_ACTIONS: ReadonlySet<string> = new Set([
  'DescribeVolumes',
  'DescribeInstances',
  'DescribeInstanceStatus',
  'CreateTags',
  'DeleteVolume',
  'TerminateInstances',
]);

/** The resource part of an ARN (after the account) that names each kind, followed by its id. */
const ARN_RESOURCE_PREFIXES: readonly (readonly [string, ResourceKind])[] = [
  ['volume/', 'volume'],
  ['instance/', 'instance'],
  ['db:', 'db'],
  ['cluster:', 'cluster'],
  ['table/', 'table'],
  ['file-system/', 'file-system'],
];

/** The kind and id of the resource an ARN names, for the types restored locally. */
export function materialise(
  arn: string,
  resourceType: string,
): { kind: ResourceKind; id: string } | undefined {
  const resource = arn.split(':').slice(5).join(':');
  for (const [prefix, kind] of ARN_RESOURCE_PREFIXES) {
    if (resource.startsWith(prefix)) return { kind, id: resource.slice(prefix.length) };
  }
  if (arn.startsWith('arn:aws:s3:::') || resourceType === 'S3') return { kind: 'bucket', id: resource };
  return undefined;
}
