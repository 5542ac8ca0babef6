/**
 * What a drill does to the resource its restore created, as the type's module says (src/resources/):
 * read what the ownership checks need (tags, the resource's own creation time, whether something
 * else uses it), tag it (the cleanup's first run after COMPLETED), and delete it the way AWS needs.
 * Here: the lookup, the drill's ownership rules handed to the steps, and the errors sorted.
 */

import { classifyAwsError } from '../errors.js';
import { isNotFound, resourceIdOf, unsupported } from '../resources/calls.js';
import {
  volumeRefusals as refusalsWithRules,
  sweepVolumes as sweepWithRules,
  type VolumeSweep,
} from '../resources/ec2.js';
import type {
  Deletion,
  DrillContext,
  DrillRules,
  DrillSteps,
  DrillTarget,
  ResourceView,
  ServiceClients,
} from '../resources/module.js';
import { drillSteps } from '../resources/steps.js';
import { createdAfterCompletionRefusal, createdAfterRefusal, DRILL_TAG_KEY } from './drill.js';

export type { Deletion, ResourceView, VolumeSweep };

/** The clients a drill needs (S3 Control tags buckets). */
export type DrillClients = ServiceClients;

/** The drill's ownership rules, as the type modules' steps apply them. */
export const DRILL_RULES: DrillRules = {
  tagKey: DRILL_TAG_KEY,
  createdAfterRefusal,
  createdAfterCompletionRefusal,
};

function stepsOf(step: string, resourceType: string): DrillSteps {
  const drill = drillSteps(resourceType);
  if (drill === undefined) throw unsupported(step, resourceType);
  return drill;
}

const target = (arn: string, context: DrillContext): DrillTarget => ({
  id: resourceIdOf(arn),
  arn,
  context,
  rules: DRILL_RULES,
});

/**
 * Puts the drill tag on the created resource (EC2: on the instance and its attached volumes too),
 * only where it is not on yet: a run that died after tagging finds it and tags nothing again.
 */
export async function tagDrillResource(
  clients: DrillClients,
  resourceType: string,
  arn: string,
  context: DrillContext,
  view?: Pick<ResourceView, 'tags' | 'toTag'>,
): Promise<void> {
  const steps = stepsOf('Tag drill resource', resourceType);
  if (view?.toTag === undefined && view?.tags[DRILL_TAG_KEY] === context.restoreJobId) return;
  await steps.tag(clients, target(arn, context), view);
}

/** Reads what the ownership checks and the per-type steps need; undefined when the resource is gone. */
export async function viewResource(
  clients: DrillClients,
  resourceType: string,
  arn: string,
  context: DrillContext,
): Promise<ResourceView | undefined> {
  const steps = stepsOf('Describe drill resource', resourceType);
  const t = target(arn, context);
  try {
    return await steps.view(clients, t);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw classifyAwsError(`Describe ${resourceType} ${t.id}`, error);
  }
}

/** Deletes a resource the checks found the drill's own. Returns what was done, for the record. */
export async function deleteResource(
  clients: DrillClients,
  resourceType: string,
  arn: string,
  context: DrillContext,
): Promise<Deletion> {
  return stepsOf('Delete drill resource', resourceType).delete(clients, target(arn, context));
}

/** EC2: the recorded volumes TerminateInstances left, deleted once detached (src/resources/ec2.ts). */
export const sweepVolumes = (
  ...args: Parameters<typeof sweepWithRules> extends [unknown, ...infer R] ? R : never
) => sweepWithRules(DRILL_RULES, ...args);

/** EC2: why the volumes attached to a drill's instance are not all the drill's (src/resources/ec2.ts). */
export const volumeRefusals = (
  ...args: Parameters<typeof refusalsWithRules> extends [unknown, ...infer R] ? R : never
) => refusalsWithRules(DRILL_RULES, ...args);
