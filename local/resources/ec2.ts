/**
 * Local Amazon EC2 (EC2 query protocol, XML answers, API version 2016-11-15): EBS volumes and EC2
 * instances a restore created. DescribeVolumes, DescribeInstances (with the block device mapping
 * of each attached volume), DescribeInstanceStatus, CreateTags (all or none, within AWS's tag
 * rules), DeleteVolume, TerminateInstances: as on AWS, terminating an instance deletes only its
 * volumes with DeleteOnTermination true; the others are detached once the instance is terminated,
 * and stay.
 */

import { el, esc, formTags, type LocalReply, numbered, xml } from './reply.js';
import type { LocalResource, ResourceStore } from './store.js';

const NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

/** EC2's error shape (not the ErrorResponse of the other query services). */
function error(code: string, message: string): LocalReply {
  return xml(
    `<Response><Errors><Error><Code>${esc(code)}</Code><Message>${esc(message)}</Message></Error></Errors><RequestID>${crypto.randomUUID()}</RequestID></Response>`,
    400,
  );
}

function answer(action: string, body: string): LocalReply {
  return xml(
    `<${action}Response xmlns="${NS}"><requestId>${crypto.randomUUID()}</requestId>${body}</${action}Response>`,
  );
}

const tagSet = (tags: Record<string, string>) =>
  `<tagSet>${Object.entries(tags)
    .map(([k, v]) => `<item>${el('key', k)}${el('value', v)}</item>`)
    .join('')}</tagSet>`;

const STATE_CODES: Record<string, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

/** The instance a volume is attached to now (a volume left by a terminated instance is detached). */
function attachedTo(store: ResourceStore, r: LocalResource): string | undefined {
  if (r.detachAt !== undefined && store.now() >= r.detachAt) {
    r.attachedTo = undefined;
    r.detachAt = undefined;
  }
  return r.attachedTo;
}

function volumeState(store: ResourceStore, r: LocalResource): string {
  if (r.deletedAt !== undefined) return 'deleting';
  if (attachedTo(store, r) !== undefined && r.state === undefined) return 'in-use';
  return store.timed(r, 'creating', 'available');
}

/** The volumes attached to an instance now. */
const volumesOf = (store: ResourceStore, instanceId: string) =>
  store.list('volume').filter((v) => v.deletedAt === undefined && attachedTo(store, v) === instanceId);

function instanceState(store: ResourceStore, r: LocalResource): string {
  if (r.deletedAt !== undefined)
    return store.now() - r.deletedAt >= store.timing.goneAfterMs ? 'terminated' : 'shutting-down';
  return store.timed(r, 'pending', 'running', store.timing.runningAfterMs);
}

function checks(store: ResourceStore, r: LocalResource): string {
  if (r.statusChecks !== undefined) return r.statusChecks;
  return store.age(r) >= store.timing.statusOkAfterMs ? 'ok' : 'initializing';
}

const stateXml = (tag: string, name: string) =>
  `<${tag}>${el('code', STATE_CODES[name] ?? 0)}${el('name', name)}</${tag}>`;

function volumeXml(store: ResourceStore, r: LocalResource): string {
  const instance = attachedTo(store, r);
  const attachments =
    instance === undefined
      ? '<attachmentSet/>'
      : `<attachmentSet><item>${el('volumeId', r.id)}${el('instanceId', instance)}${el('device', '/dev/xvdf')}${el('status', 'attached')}${el('attachTime', new Date(r.createdAt).toISOString())}${el('deleteOnTermination', r.deleteOnTermination === true)}</item></attachmentSet>`;
  return `<item>${el('volumeId', r.id)}${el('size', r.sizeGiB ?? 8)}${el('availabilityZone', r.availabilityZone ?? `${store.region}a`)}${el('status', volumeState(store, r))}${el('createTime', new Date(r.createdAt).toISOString())}${attachments}${tagSet(r.tags)}${el('volumeType', 'gp3')}${el('encrypted', false)}</item>`;
}

function instanceXml(store: ResourceStore, r: LocalResource): string {
  const mappings = volumesOf(store, r.id)
    .map(
      (v, i) =>
        `<item>${el('deviceName', i === 0 ? '/dev/xvda' : `/dev/xvd${String.fromCharCode(98 + i)}`)}<ebs>${el('volumeId', v.id)}${el('status', 'attached')}${el('attachTime', new Date(v.createdAt).toISOString())}${el('deleteOnTermination', v.deleteOnTermination === true)}</ebs></item>`,
    )
    .join('');
  return `<item>${el('instanceId', r.id)}${el('imageId', 'ami-0123456789abcdef0')}${stateXml('instanceState', instanceState(store, r))}${el('instanceType', 't3.micro')}${el('launchTime', new Date(r.createdAt).toISOString())}<placement>${el('availabilityZone', r.availabilityZone ?? `${store.region}a`)}</placement><blockDeviceMapping>${mappings}</blockDeviceMapping>${tagSet(r.tags)}</item>`;
}

function statusXml(store: ResourceStore, r: LocalResource): string {
  const state = instanceState(store, r);
  // Status checks run once an instance runs; before that (and after it stops) they do not apply.
  const s = state === 'running' ? checks(store, r) : 'not-applicable';
  const detail =
    s === 'ok'
      ? 'passed'
      : s === 'impaired'
        ? 'failed'
        : s === 'initializing'
          ? 'initializing'
          : 'insufficient-data';
  const summary = (tag: string) =>
    `<${tag}>${el('status', s)}<details><item>${el('name', 'reachability')}${el('status', detail)}</item></details></${tag}>`;
  return `<item>${el('instanceId', r.id)}${el('availabilityZone', r.availabilityZone ?? `${store.region}a`)}${stateXml('instanceState', state)}${summary('systemStatus')}${summary('instanceStatus')}</item>`;
}

/** The resources named, or the EC2 not-found error for the first that does not exist. */
function named(
  store: ResourceStore,
  kind: 'volume' | 'instance',
  ids: string[],
): LocalResource[] | LocalReply {
  const out: LocalResource[] = [];
  for (const id of ids) {
    const r = store.get(kind, id);
    if (r === undefined) {
      return kind === 'volume'
        ? error('InvalidVolume.NotFound', `The volume '${id}' does not exist.`)
        : error('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
    }
    out.push(r);
  }
  return out;
}

/** Most tags a resource can carry; `aws:` keys are AWS's own and not counted (docs/aws-behaviour.md#ec2-create-tags). */
const MAX_TAGS = 50;
const userKeys = (tags: Record<string, string>) => Object.keys(tags).filter((k) => !/^aws:/i.test(k));

/**
 * CreateTags on volumes and instances: every id must exist (none is tagged otherwise), no key may
 * start with `aws:`, and no resource may end with more than 50 tags of its own.
 */
function createTags(store: ResourceStore, form: URLSearchParams): LocalReply {
  const tags = formTags(form, /^Tag\.\d+\.Key$/);
  const reserved = Object.keys(tags).find((k) => /^aws:/i.test(k));
  if (reserved !== undefined)
    return error('InvalidParameterValue', `Tag keys starting with 'aws:' are reserved for internal use`);
  const found: LocalResource[] = [];
  for (const id of numbered(form, 'ResourceId')) {
    const r = named(store, id.startsWith('vol-') ? 'volume' : 'instance', [id]);
    if (!Array.isArray(r)) return r;
    found.push(...r);
  }
  const over = found.find((r) => userKeys({ ...r.tags, ...tags }).length > MAX_TAGS);
  if (over !== undefined)
    return error(
      'TagLimitExceeded',
      `The maximum number of tags (${MAX_TAGS}) for ${over.id} has been reached.`,
    );
  for (const r of found) Object.assign(r.tags, tags);
  return answer('CreateTags', '<return>true</return>');
}

/** Answers one EC2 query action; undefined for an action not served locally. */
export function ec2Action(store: ResourceStore, form: URLSearchParams): LocalReply | undefined {
  const action = form.get('Action') ?? '';
  switch (action) {
    case 'DescribeVolumes': {
      const ids = numbered(form, 'VolumeId');
      const found = ids.length === 0 ? store.list('volume') : named(store, 'volume', ids);
      if (!Array.isArray(found)) return found;
      return answer(action, `<volumeSet>${found.map((r) => volumeXml(store, r)).join('')}</volumeSet>`);
    }
    case 'DescribeInstances': {
      const ids = numbered(form, 'InstanceId');
      const found = ids.length === 0 ? store.list('instance') : named(store, 'instance', ids);
      if (!Array.isArray(found)) return found;
      const reservations = found
        .map(
          (r) =>
            `<item>${el('reservationId', `r-${r.id.slice(2)}`)}${el('ownerId', store.accountId)}<instancesSet>${instanceXml(store, r)}</instancesSet></item>`,
        )
        .join('');
      return answer(action, `<reservationSet>${reservations}</reservationSet>`);
    }
    case 'DescribeInstanceStatus': {
      const ids = numbered(form, 'InstanceId');
      const found = ids.length === 0 ? store.list('instance') : named(store, 'instance', ids);
      if (!Array.isArray(found)) return found;
      // Without IncludeAllInstances, AWS lists running instances only.
      const all = form.get('IncludeAllInstances') === 'true';
      const shown = found.filter((r) => all || instanceState(store, r) === 'running');
      return answer(
        action,
        `<instanceStatusSet>${shown.map((r) => statusXml(store, r)).join('')}</instanceStatusSet>`,
      );
    }
    case 'CreateTags':
      return createTags(store, form);
    case 'DeleteVolume': {
      const id = form.get('VolumeId') ?? '';
      const found = named(store, 'volume', [id]);
      if (!Array.isArray(found)) return found;
      const r = found[0] as LocalResource;
      if (volumeState(store, r) === 'in-use')
        return error('VolumeInUse', `Volume ${id} is currently attached to ${attachedTo(store, r)}`);
      store.markDeleted(r);
      return answer(action, '<return>true</return>');
    }
    case 'TerminateInstances': {
      const found = named(store, 'instance', numbered(form, 'InstanceId'));
      if (!Array.isArray(found)) return found;
      const items = found.map((r) => {
        const previous = instanceState(store, r);
        // DeleteOnTermination true: deleted with the instance; false: detached once it is terminated.
        for (const v of volumesOf(store, r.id)) {
          if (v.deleteOnTermination === true) store.markDeleted(v);
          else v.detachAt ??= store.now() + store.timing.goneAfterMs;
        }
        store.markDeleted(r);
        return `<item>${el('instanceId', r.id)}${stateXml('currentState', 'shutting-down')}${stateXml('previousState', previous)}</item>`;
      });
      return answer(action, `<instancesSet>${items.join('')}</instancesSet>`);
    }
    default:
      return undefined;
  }
}
