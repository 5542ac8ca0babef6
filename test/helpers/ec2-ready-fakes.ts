/**
 * A stateful fake of the EC2 calls the EBS and EC2 make-ready steps make (aws-sdk-client-mock):
 * volumes and instances by id, each with its tags; an unknown id is EC2's not-found error, as AWS
 * answers it (InvalidVolume.NotFound, InvalidInstanceID.NotFound).
 */

import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { createLogger } from '../../src/logger';
import { clientError } from './ready-fakes';

/** Tags by resource id (`vol-...`, `i-...`). */
export type Ec2Tags = Record<string, Record<string, string>>;

const tagList = (tags: Record<string, string>) =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** EC2 over `resources`: Describe answers their tags, CreateTags sets them and is listed in `writes` ("i-1 backup-restore:ready"). */
export function fakeEc2(resources: Ec2Tags, writes: string[] = []) {
  const mock = mockClient(EC2Client);
  const get = (id: string) => {
    const tags = resources[id];
    if (tags !== undefined) return tags;
    throw id.startsWith('vol-')
      ? clientError('InvalidVolume.NotFound', `The volume '${id}' does not exist.`)
      : clientError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
  };
  mock.on(DescribeVolumesCommand).callsFake((i) => ({
    Volumes: (i.VolumeIds ?? []).map((id: string) => ({
      VolumeId: id,
      State: 'available',
      Tags: tagList(get(id)),
    })),
  }));
  mock.on(DescribeInstancesCommand).callsFake((i) => ({
    Reservations: [
      { Instances: (i.InstanceIds ?? []).map((id: string) => ({ InstanceId: id, Tags: tagList(get(id)) })) },
    ],
  }));
  mock.on(CreateTagsCommand).callsFake((i) => {
    for (const id of i.Resources) {
      const tags = get(id);
      writes.push(`${id} ${i.Tags.map((t: { Key: string }) => t.Key).join(',')}`);
      for (const t of i.Tags) tags[t.Key] = t.Value;
    }
    return {};
  });
  return mock;
}

/** The make-ready run's dependencies: no log, no real sleep, a minute left. */
export const quickRun = () => ({
  log: createLogger({ sink: () => undefined }),
  sleep: async () => undefined,
  timeLeftMs: () => 60_000,
});
