/**
 * Local Amazon S3 (REST-XML, path-style: the SDK addresses a bucket as `/<bucket>` when its
 * endpoint is an IP address): buckets a restore created. ListBuckets (by prefix, with each
 * bucket's CreationDate), ListObjectsV2, ListObjectVersions, GetBucketVersioning, GetBucketAbac,
 * PutBucketAbac, GetObjectLockConfiguration, GetBucketTagging, PutBucketTagging (refused once ABAC
 * is on), DeleteObjects (with or without VersionId: without one, a versioned bucket gets a delete
 * marker), DeleteBucket (BucketNotEmpty while any version or delete marker is left); and S3
 * Control's TagResource and ListTagsForResource (`/v20180820/tags/<arn>`, also signed `s3`).
 */

import { S3ControlClient } from '@aws-sdk/client-s3-control';
import { el, LocalReply, pathSegments, type RestCall, xml } from './reply.js';
import type { LocalResource, ResourceStore } from './store.js';

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const CONTROL_NS = 'http://awss3control.amazonaws.com/doc/2018-08-20/';

function error(status: number, code: string, message: string, bucket: string): LocalReply {
  return xml(
    `<Error>${el('Code', code)}${el('Message', message)}${el('BucketName', bucket)}${el('RequestId', crypto.randomUUID())}</Error>`,
    status,
  );
}

const noSuchBucket = (bucket: string) =>
  error(404, 'NoSuchBucket', 'The specified bucket does not exist', bucket);
const empty = () => new LocalReply(204, { 'x-amz-request-id': crypto.randomUUID() }, '');

type Version = NonNullable<LocalResource['versions']>[number];

/** Every version and delete marker of the bucket, oldest first. */
function versionsOf(r: LocalResource): Version[] {
  return r.versions ?? (r.objects ?? []).map((key) => ({ key, versionId: 'null' }));
}

/** Sets the versions, and `objects` to the keys whose latest version is not a delete marker. */
function setVersions(r: LocalResource, versions: Version[]): void {
  r.versions = versions;
  const latest = new Map<string, Version>();
  for (const v of versions) latest.set(v.key, v);
  r.objects = [...latest.values()].filter((v) => v.deleteMarker !== true).map((v) => v.key);
}

function listObjects(r: LocalResource, query: URLSearchParams): LocalReply {
  const max = Math.min(Number(query.get('max-keys') ?? 1000) || 1000, 1000);
  const keys = [...(r.objects ?? [])].sort();
  const after = query.get('continuation-token') ?? query.get('start-after') ?? '';
  const page = keys.filter((k) => k > after).slice(0, max);
  const truncated = keys.filter((k) => k > after).length > page.length;
  const contents = page
    .map(
      (k) =>
        `<Contents>${el('Key', k)}${el('LastModified', new Date(r.createdAt).toISOString())}${el('ETag', '"d41d8cd98f00b204e9800998ecf8427e"')}${el('Size', 0)}${el('StorageClass', 'STANDARD')}</Contents>`,
    )
    .join('');
  return xml(
    `<ListBucketResult xmlns="${NS}">${el('Name', r.id)}<Prefix></Prefix>${el('KeyCount', page.length)}${el('MaxKeys', max)}${el('IsTruncated', truncated)}${contents}${truncated ? el('NextContinuationToken', page[page.length - 1]) : ''}</ListBucketResult>`,
  );
}

/** ListObjectVersions: pages of at most max-keys entries, in key then version order, with markers. */
function listVersions(r: LocalResource, query: URLSearchParams): LocalReply {
  const max = Math.min(Number(query.get('max-keys') ?? 1000) || 1000, 1000);
  const all = versionsOf(r).map((v, i) => ({ ...v, order: `${v.key}\u0000${String(i).padStart(8, '0')}` }));
  all.sort((a, b) => (a.order < b.order ? -1 : 1));
  const marker = query.get('key-marker');
  const start =
    marker === null
      ? 0
      : all.findIndex((v) => v.order > `${marker}\u0000${query.get('version-id-marker') ?? ''}`);
  const rest = start < 0 ? [] : all.slice(start);
  const page = rest.slice(0, max);
  const truncated = rest.length > page.length;
  const latest = new Map<string, string>();
  for (const v of versionsOf(r)) latest.set(v.key, v.versionId);
  const entry = (v: Version) =>
    `${el('Key', v.key)}${el('VersionId', v.versionId)}${el('IsLatest', latest.get(v.key) === v.versionId)}${el('LastModified', new Date(r.createdAt).toISOString())}`;
  const items = page
    .map((v) =>
      v.deleteMarker === true
        ? `<DeleteMarker>${entry(v)}</DeleteMarker>`
        : `<Version>${entry(v)}${el('ETag', '"d41d8cd98f00b204e9800998ecf8427e"')}${el('Size', 0)}${el('StorageClass', 'STANDARD')}</Version>`,
    )
    .join('');
  const last = page[page.length - 1];
  const next =
    truncated && last !== undefined
      ? `${el('NextKeyMarker', last.key)}${el('NextVersionIdMarker', last.order.split('\u0000')[1])}`
      : '';
  return xml(
    `<ListVersionsResult xmlns="${NS}">${el('Name', r.id)}<Prefix></Prefix>${el('MaxKeys', max)}${el('IsTruncated', truncated)}${items}${next}</ListVersionsResult>`,
  );
}

/** DeleteObjects: a VersionId deletes that version; none adds a delete marker to a versioned bucket. */
function deleteObjects(r: LocalResource, body: string): LocalReply {
  let versions = versionsOf(r);
  const done: string[] = [];
  const errors: string[] = [];
  for (const m of body.matchAll(/<Object>([\s\S]*?)<\/Object>/g)) {
    const key = unescapeXml(/<Key>([^<]*)<\/Key>/.exec(m[1] ?? '')?.[1] ?? '');
    const versionId = /<VersionId>([^<]*)<\/VersionId>/.exec(m[1] ?? '')?.[1];
    if (
      versionId !== undefined &&
      r.objectLock === true &&
      versions.some((v) => v.key === key && !v.deleteMarker)
    ) {
      errors.push(
        `<Error>${el('Key', key)}${el('VersionId', versionId)}${el('Code', 'AccessDenied')}${el('Message', 'Access Denied because object protected by object lock.')}</Error>`,
      );
      continue;
    }
    if (versionId !== undefined)
      versions = versions.filter((v) => !(v.key === key && v.versionId === versionId));
    else if (r.versioning === 'Enabled')
      versions.push({ key, versionId: crypto.randomUUID(), deleteMarker: true });
    else if (r.versioning === 'Suspended')
      versions = [
        ...versions.filter((v) => !(v.key === key && v.versionId === 'null')),
        { key, versionId: 'null', deleteMarker: true },
      ];
    else versions = versions.filter((v) => v.key !== key);
    done.push(
      `<Deleted>${el('Key', key)}${versionId === undefined ? '' : el('VersionId', versionId)}</Deleted>`,
    );
  }
  setVersions(r, versions);
  const quiet = /<Quiet>true<\/Quiet>/.test(body);
  return xml(`<DeleteResult xmlns="${NS}">${quiet ? '' : done.join('')}${errors.join('')}</DeleteResult>`);
}

/** ListBuckets: the account's buckets whose name starts with `prefix`, each with its CreationDate. */
function listBuckets(store: ResourceStore, query: URLSearchParams): LocalReply {
  const prefix = query.get('prefix') ?? '';
  const buckets = store
    .list('bucket')
    .filter((r) => r.deletedAt === undefined && r.id.startsWith(prefix))
    .map(
      (r) =>
        `<Bucket>${el('Name', r.id)}${el('CreationDate', new Date(r.createdAt).toISOString())}${el('BucketRegion', store.region)}</Bucket>`,
    )
    .join('');
  return xml(
    `<ListAllMyBucketsResult xmlns="${NS}"><Owner>${el('ID', store.accountId)}</Owner><Buckets>${buckets}</Buckets>${el('Prefix', prefix)}</ListAllMyBucketsResult>`,
  );
}

/** S3 Control's tag calls for a general purpose bucket (`arn:aws:s3:::<name>`). */
function controlRoute(store: ResourceStore, method: string, parts: string[], body: string): RestCall {
  const [, collection, arn] = parts;
  if (collection !== 'tags' || arn === undefined) return undefined;
  const name = arn.startsWith('arn:') ? arn.split(':').slice(5).join(':') : arn;
  const withBucket = (run: (r: LocalResource) => LocalReply) => () => {
    const r = store.get('bucket', name);
    return r === undefined ? noSuchBucket(name) : run(r);
  };
  if (method === 'GET') {
    return {
      operation: 'ListTagsForResource',
      run: withBucket((r) =>
        xml(
          `<ListTagsForResourceResult xmlns="${CONTROL_NS}"><Tags>${Object.entries(r.tags)
            .map(([k, v]) => `<Tag>${el('Key', k)}${el('Value', v)}</Tag>`)
            .join('')}</Tags></ListTagsForResourceResult>`,
        ),
      ),
    };
  }
  if (method === 'POST') {
    return {
      operation: 'TagResource',
      run: withBucket((r) => {
        Object.assign(r.tags, tagsIn(body));
        return xml(`<TagResourceResult xmlns="${CONTROL_NS}"/>`);
      }),
    };
  }
  return undefined;
}

function tagsIn(body: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const m of body.matchAll(/<Tag>\s*<Key>([^<]*)<\/Key>\s*<Value>([^<]*)<\/Value>\s*<\/Tag>/g)) {
    tags[unescapeXml(m[1] ?? '')] = unescapeXml(m[2] ?? '');
  }
  return tags;
}

/** The bucket calls answered by a `?<sub-resource>` query. */
function subResource(
  r: LocalResource,
  method: string,
  q: URLSearchParams,
  body: string,
  bucket: string,
): LocalReply | undefined {
  if (method === 'GET' && q.has('versioning'))
    return xml(
      `<VersioningConfiguration xmlns="${NS}">${r.versioning === undefined ? '' : el('Status', r.versioning)}</VersioningConfiguration>`,
    );
  if (method === 'GET' && q.has('abac'))
    return xml(
      `<AbacStatus xmlns="${NS}">${el('Status', r.abac === true ? 'Enabled' : 'Disabled')}</AbacStatus>`,
    );
  if (method === 'PUT' && q.has('abac')) {
    r.abac = /<Status>Enabled<\/Status>/.test(body);
    return new LocalReply(200, { 'x-amz-request-id': crypto.randomUUID() }, '');
  }
  if (method === 'GET' && q.has('object-lock')) {
    return r.objectLock === true
      ? xml(
          `<ObjectLockConfiguration xmlns="${NS}">${el('ObjectLockEnabled', 'Enabled')}</ObjectLockConfiguration>`,
        )
      : error(
          404,
          'ObjectLockConfigurationNotFoundError',
          'Object Lock configuration does not exist for this bucket',
          bucket,
        );
  }
  if (method === 'GET' && q.has('versions')) return listVersions(r, q);
  if (method === 'GET' && q.has('tagging')) {
    return Object.keys(r.tags).length === 0
      ? error(404, 'NoSuchTagSet', 'The TagSet does not exist', bucket)
      : xml(
          `<Tagging xmlns="${NS}"><TagSet>${Object.entries(r.tags)
            .map(([k, v]) => `<Tag>${el('Key', k)}${el('Value', v)}</Tag>`)
            .join('')}</TagSet></Tagging>`,
        );
  }
  if (method === 'PUT' && q.has('tagging')) {
    // With ABAC on, bucket tags change only through S3 Control TagResource / UntagResource.
    if (r.abac === true)
      return error(
        400,
        'InvalidRequest',
        'ABAC is enabled for this bucket: use TagResource and UntagResource',
        bucket,
      );
    r.tags = tagsIn(body);
    return empty();
  }
  if (method === 'POST' && q.has('delete')) return deleteObjects(r, body);
  return undefined;
}

const OPERATIONS: readonly [string, string, string][] = [
  ['GET', 'versioning', 'GetBucketVersioning'],
  ['GET', 'abac', 'GetBucketAbac'],
  ['PUT', 'abac', 'PutBucketAbac'],
  ['GET', 'object-lock', 'GetObjectLockConfiguration'],
  ['GET', 'versions', 'ListObjectVersions'],
  ['GET', 'tagging', 'GetBucketTagging'],
  ['PUT', 'tagging', 'PutBucketTagging'],
  ['POST', 'delete', 'DeleteObjects'],
];

/** Answers one S3 (or S3 Control) call; undefined for a request not served locally. */
export function s3Route(store: ResourceStore, method: string, url: URL, body: string): RestCall {
  const parts = pathSegments(url);
  if (parts[0] === 'v20180820') return controlRoute(store, method, parts, body);
  const bucket = parts[0];
  const q = url.searchParams;
  if (bucket === undefined) {
    return method === 'GET' ? { operation: 'ListBuckets', run: () => listBuckets(store, q) } : undefined;
  }
  if (parts.length > 1) return undefined;
  const withBucket = (run: (r: LocalResource) => LocalReply) => () => {
    const r = store.get('bucket', bucket);
    return r === undefined ? noSuchBucket(bucket) : run(r);
  };
  if (method === 'GET' && q.get('list-type') === '2') {
    return { operation: 'ListObjectsV2', run: withBucket((r) => listObjects(r, q)) };
  }
  const sub = OPERATIONS.find(([m, name]) => m === method && q.has(name));
  if (sub !== undefined) {
    return {
      operation: sub[2],
      run: withBucket(
        (r) => subResource(r, method, q, body, bucket) ?? error(400, 'InvalidRequest', 'unsupported', bucket),
      ),
    };
  }
  if (method === 'HEAD' && [...q.keys()].length === 0) {
    // HeadBucket: no body in any answer, only the status (docs/aws-behaviour.md#s3-head-bucket-owner).
    return {
      operation: 'HeadBucket',
      run: () => {
        const r = store.get('bucket', bucket);
        const status = r === undefined || r.deletedAt !== undefined ? 404 : 200;
        return new LocalReply(status, { 'x-amz-request-id': crypto.randomUUID() }, '');
      },
    };
  }
  if (method === 'DELETE' && [...q.keys()].length === 0) {
    return {
      operation: 'DeleteBucket',
      run: withBucket((r) => {
        if (versionsOf(r).length > 0) {
          return error(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty', bucket);
        }
        store.markDeleted(r);
        return empty();
      }),
    };
  }
  return undefined;
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/**
 * An S3 Control client of the local endpoint at `url`. The SDK puts the account in the host
 * (`<account>.<endpoint host>`), which an IP address cannot take: the client is given an endpoint
 * provider that keeps the local URL (the account still goes in `x-amz-account-id`).
 */
export function localS3ControlClient(url: string, region: string): S3ControlClient {
  return new S3ControlClient({
    region,
    endpoint: url,
    endpointProvider: () => ({ url: new URL(url) }),
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}
