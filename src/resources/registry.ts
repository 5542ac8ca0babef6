/**
 * Every resource type the pipeline knows, one module each (src/resources/<type>.ts), looked up by
 * the type as AWS Backup spells it. Adding a type: its module, and one line in TYPES and in
 * steps.ts (docs/adding-a-type.md). Pure: no service client is reached from here.
 */

import { aurora } from './aurora.js';
import { cloudformation } from './cloudformation.js';
import { documentdb } from './documentdb.js';
import { dynamodb } from './dynamodb.js';
import { ebs } from './ebs.js';
import { ec2 } from './ec2.js';
import { efs } from './efs.js';
import { eks } from './eks.js';
import { fsx } from './fsx.js';
import type { AlarmDimension, ResourceTypeModule } from './module.js';
import { neptune } from './neptune.js';
import { rds } from './rds.js';
import { redshift } from './redshift.js';
import { s3 } from './s3.js';
import { storageGateway } from './storage-gateway.js';
import { timestream } from './timestream.js';
import { virtualMachine } from './virtual-machine.js';

/** The modules, in the order of their type names (alarm dimensions of one namespace: first wins). */
export const TYPES = [
  aurora,
  cloudformation,
  documentdb,
  dynamodb,
  ebs,
  ec2,
  efs,
  eks,
  fsx,
  neptune,
  rds,
  redshift,
  s3,
  storageGateway,
  timestream,
  virtualMachine,
] as const;

/** Resource types StartRestoreJob accepts, spelled as the API spells them. */
export type ResourceType = (typeof TYPES)[number]['type'];

/** The types, in TYPES order. */
export const RESOURCE_TYPES: readonly ResourceType[] = TYPES.map((m) => m.type);

const BY_TYPE: ReadonlyMap<string, ResourceTypeModule<ResourceType>> = new Map(TYPES.map((m) => [m.type, m]));

/** True when `value` is a resource type StartRestoreJob knows. */
export function isResourceType(value: string): value is ResourceType {
  return BY_TYPE.has(value);
}

/** The module of a resource type. */
export function typeModule(type: ResourceType): ResourceTypeModule<ResourceType>;
export function typeModule(type: string): ResourceTypeModule<ResourceType> | undefined;
export function typeModule(type: string): ResourceTypeModule<ResourceType> | undefined {
  return BY_TYPE.get(type);
}

/** The alarm dimensions of every type, by namespace, in TYPES order (first match wins). */
export function alarmDimensions(): Readonly<
  Record<string, readonly (readonly [string, AlarmDimension['arnOf']])[]>
> {
  const byNamespace: Record<string, (readonly [string, AlarmDimension['arnOf']])[]> = {};
  for (const m of TYPES as readonly ResourceTypeModule[])
    for (const d of m.alarm ?? []) {
      const dims = byNamespace[d.namespace] ?? [];
      dims.push([d.dimension, d.arnOf]);
      byNamespace[d.namespace] = dims;
    }
  return byNamespace;
}
