/**
 * Local Amazon S3 (REST-XML, path-style: the SDK addresses a bucket as `/<bucket>` when its
 * endpoint is an IP address): buckets a restore created. ListObjectsV2, GetBucketTagging,
 * PutBucketTagging, DeleteObjects, DeleteBucket.
 */

import { el, LocalReply, pathSegments, type RestCall, xml } from './reply.js';
import type { LocalResource, ResourceStore } from './store.js';

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

function error(status: number, code: string, message: string, bucket: string): LocalReply {
  return xml(
    `<Error>${el('Code', code)}${el('Message', message)}${el('BucketName', bucket)}${el('RequestId', crypto.randomUUID())}</Error>`,
    status,
  );
}

const noSuchBucket = (bucket: string) =>
  error(404, 'NoSuchBucket', 'The specified bucket does not exist', bucket);

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

/** Answers one S3 call; undefined for a request not served locally. */
export function s3Route(store: ResourceStore, method: string, url: URL, body: string): RestCall {
  const parts = pathSegments(url);
  const bucket = parts[0];
  if (bucket === undefined || parts.length > 1) return undefined;
  const q = url.searchParams;
  const withBucket = (run: (r: LocalResource) => LocalReply) => () => {
    const r = store.get('bucket', bucket);
    return r === undefined ? noSuchBucket(bucket) : run(r);
  };
  if (method === 'GET' && q.get('list-type') === '2') {
    return { operation: 'ListObjectsV2', run: withBucket((r) => listObjects(r, q)) };
  }
  if (method === 'GET' && q.has('tagging')) {
    return {
      operation: 'GetBucketTagging',
      run: withBucket((r) =>
        Object.keys(r.tags).length === 0
          ? error(404, 'NoSuchTagSet', 'The TagSet does not exist', bucket)
          : xml(
              `<Tagging xmlns="${NS}"><TagSet>${Object.entries(r.tags)
                .map(([k, v]) => `<Tag>${el('Key', k)}${el('Value', v)}</Tag>`)
                .join('')}</TagSet></Tagging>`,
            ),
      ),
    };
  }
  if (method === 'PUT' && q.has('tagging')) {
    return {
      operation: 'PutBucketTagging',
      run: withBucket((r) => {
        // PutBucketTagging replaces the whole tag set.
        const tags: Record<string, string> = {};
        for (const m of body.matchAll(/<Tag>\s*<Key>([^<]*)<\/Key>\s*<Value>([^<]*)<\/Value>\s*<\/Tag>/g)) {
          tags[unescapeXml(m[1] ?? '')] = unescapeXml(m[2] ?? '');
        }
        r.tags = tags;
        return new LocalReply(204, { 'x-amz-request-id': crypto.randomUUID() }, '');
      }),
    };
  }
  if (method === 'POST' && q.has('delete')) {
    return {
      operation: 'DeleteObjects',
      run: withBucket((r) => {
        const keys = [...body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => unescapeXml(m[1] ?? ''));
        r.objects = (r.objects ?? []).filter((k) => !keys.includes(k));
        return xml(
          `<DeleteResult xmlns="${NS}">${keys.map((k) => `<Deleted>${el('Key', k)}</Deleted>`).join('')}</DeleteResult>`,
        );
      }),
    };
  }
  if (method === 'DELETE' && [...q.keys()].length === 0) {
    return {
      operation: 'DeleteBucket',
      run: withBucket((r) => {
        if ((r.objects ?? []).length > 0) {
          return error(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty', bucket);
        }
        store.markDeleted(r);
        return new LocalReply(204, { 'x-amz-request-id': crypto.randomUUID() }, '');
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
