/**
 * The AWS steps of every resource type (validation reads, drill tag and delete), by type. Only the
 * functions that call them import this file: the others' bundles carry no service client.
 */

import { auroraSteps } from './aurora.js';
import { cloudformationSteps } from './cloudformation.js';
import { documentdbSteps } from './documentdb.js';
import { dynamodbSteps } from './dynamodb.js';
import { ebsSteps } from './ebs.js';
import { ec2Steps } from './ec2.js';
import { efsSteps } from './efs.js';
import { eksSteps } from './eks.js';
import { fsxSteps } from './fsx.js';
import type { ResourceTypeSteps } from './module.js';
import { neptuneSteps } from './neptune.js';
import { rdsSteps } from './rds.js';
import { redshiftSteps } from './redshift.js';
import type { ResourceType } from './registry.js';
import { s3Steps } from './s3.js';
import { storageGatewaySteps } from './storage-gateway.js';
import { timestreamSteps } from './timestream.js';
import { virtualMachineSteps } from './virtual-machine.js';

const STEPS: Readonly<Record<ResourceType, ResourceTypeSteps>> = {
  Aurora: auroraSteps,
  CloudFormation: cloudformationSteps,
  DocumentDB: documentdbSteps,
  DynamoDB: dynamodbSteps,
  EBS: ebsSteps,
  EC2: ec2Steps,
  EFS: efsSteps,
  EKS: eksSteps,
  FSx: fsxSteps,
  Neptune: neptuneSteps,
  RDS: rdsSteps,
  Redshift: redshiftSteps,
  S3: s3Steps,
  'Storage Gateway': storageGatewaySteps,
  Timestream: timestreamSteps,
  VirtualMachine: virtualMachineSteps,
};

/** The steps of a type (an own property only: `constructor` names no type); undefined when unknown. */
export function typeSteps(type: string): ResourceTypeSteps | undefined {
  return Object.hasOwn(STEPS, type) ? STEPS[type as ResourceType] : undefined;
}
