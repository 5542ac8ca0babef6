/**
 * Local Amazon EFS (REST-JSON, API version 2015-02-01): file systems a restore created.
 * DescribeFileSystems, ListTagsForResource, TagResource, DeleteFileSystem.
 */

import { json, jsonError, LocalReply, pathSegments, type RestCall } from './reply.js';
import type { LocalResource, ResourceStore } from './store.js';

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
        const tags = (JSON.parse(body || '{}') as { Tags?: { Key: string; Value: string }[] }).Tags ?? [];
        for (const t of tags) r.tags[t.Key] = t.Value;
        return new LocalReply(200, { 'x-amzn-requestid': crypto.randomUUID() }, '');
      },
    };
  }
  return undefined;
}
