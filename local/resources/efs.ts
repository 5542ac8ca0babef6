/**
 * Local Amazon EFS (REST-JSON, API version 2015-02-01): file systems a restore created.
 * DescribeFileSystems, ListTagsForResource, TagResource (refusing what EFS refuses: an aws: key, a
 * key or value EFS's Tag shape does not take, more than 50 tags), DeleteFileSystem.
 */

import { json, jsonError, LocalReply, pathSegments, type RestCall } from './reply.js';
import type { LocalResource, ResourceStore } from './store.js';

const badRequest = (message: string) => jsonError(400, 'BadRequest', message, { ErrorCode: 'BadRequest' });

/** Most tags a file system carries, every key counted (docs/aws-behaviour.md#efs-tag-resource). */
const MAX_TAGS = 50;
// EFS's Tag shape: a key of 1 to 128 characters not starting with aws: (in any case), a value of at
// most 256, both of letters, white space, numbers and _ . : / = + - @.
const KEY = /^(?![aA][wW][sS]:)[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const chars = (s: string) => [...s].length;

/** Why TagResource refuses `tags` on a file system carrying `current`; undefined when it takes them. */
function tagProblem(current: Record<string, string>, tags: unknown): string | undefined {
  if (!Array.isArray(tags)) return 'Tags is required.';
  const merged = { ...current };
  for (const t of tags as { Key?: unknown; Value?: unknown }[]) {
    const { Key: key, Value: value } = t ?? {};
    if (typeof key !== 'string' || typeof value !== 'string') return 'Each tag needs a Key and a Value.';
    if (!KEY.test(key) || chars(key) > 128) return `Tag key '${key}' is not valid.`;
    if (!VALUE.test(value) || chars(value) > 256) return `Tag value of '${key}' is not valid.`;
    merged[key] = value;
  }
  const count = Object.keys(merged).length;
  return count > MAX_TAGS ? `A file system can have at most ${MAX_TAGS} tags (${count} asked).` : undefined;
}

const notFound = (id: string) =>
  jsonError(404, 'FileSystemNotFound', `File system '${id}' does not exist.`, {
    ErrorCode: 'FileSystemNotFound',
  });

function lifeCycleState(store: ResourceStore, r: LocalResource): string {
  if (r.deletedAt !== undefined) return 'deleting';
  return store.timed(r, 'creating', 'available');
}

function view(store: ResourceStore, r: LocalResource) {
  return {
    OwnerId: store.accountId,
    CreationToken: r.creationToken ?? `restore-${r.id}`,
    FileSystemId: r.id,
    FileSystemArn: r.arn,
    CreationTime: r.createdAt / 1000,
    LifeCycleState: lifeCycleState(store, r),
    NumberOfMountTargets: r.mountTargets ?? 0,
    SizeInBytes: { Value: 6144 },
    PerformanceMode: 'generalPurpose',
    Encrypted: true,
    ThroughputMode: 'bursting',
    Tags: Object.entries(r.tags).map(([Key, Value]) => ({ Key, Value })),
  };
}

/** Answers one EFS call; undefined for a path not served locally. */
export function efsRoute(store: ResourceStore, method: string, url: URL, body: string): RestCall {
  const parts = pathSegments(url);
  const [version, collection, id] = parts;
  if (version !== '2015-02-01') return undefined;
  if (collection === 'file-systems' && method === 'GET' && id === undefined) {
    return {
      operation: 'DescribeFileSystems',
      run: () => {
        const wanted = url.searchParams.get('FileSystemId');
        if (wanted === null)
          return json({ FileSystems: store.list('file-system').map((r) => view(store, r)) });
        const r = store.get('file-system', wanted);
        return r === undefined ? notFound(wanted) : json({ FileSystems: [view(store, r)] });
      },
    };
  }
  if (collection === 'file-systems' && method === 'DELETE' && id !== undefined) {
    return {
      operation: 'DeleteFileSystem',
      run: () => {
        const r = store.get('file-system', id);
        if (r === undefined) return notFound(id);
        if ((r.mountTargets ?? 0) > 0) {
          return jsonError(409, 'FileSystemInUse', `File system '${id}' has mount targets.`, {
            ErrorCode: 'FileSystemInUse',
          });
        }
        store.markDeleted(r);
        return new LocalReply(204, { 'x-amzn-requestid': crypto.randomUUID() }, '');
      },
    };
  }
  if (collection === 'resource-tags' && id !== undefined && (method === 'GET' || method === 'POST')) {
    const fsId = id.split('/').pop() ?? id;
    return {
      operation: method === 'GET' ? 'ListTagsForResource' : 'TagResource',
      run: () => {
        const r = store.get('file-system', fsId);
        if (r === undefined) return notFound(fsId);
        if (method === 'GET')
          return json({ Tags: Object.entries(r.tags).map(([Key, Value]) => ({ Key, Value })) });
        const tags = (JSON.parse(body || '{}') as { Tags?: { Key: string; Value: string }[] }).Tags;
        const problem = tagProblem(r.tags, tags);
        if (problem !== undefined) return badRequest(problem);
        for (const t of tags ?? []) r.tags[t.Key] = t.Value;
        return new LocalReply(200, { 'x-amzn-requestid': crypto.randomUUID() }, '');
      },
    };
  }
  return undefined;
}
