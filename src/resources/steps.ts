/**
 * The AWS steps of the resource types, by type: how a restored copy is validated, how it is made
 * ready, and how a drill's copy is read, tagged and deleted. One table each, so the validator's
 * bundle carries no drill step's client (S3 Control) and no function that only reads the facts
 * carries any.
 */

import { own } from '../json.js';
import { auroraDrill, auroraReady, auroraValidation } from './aurora.js';
import { documentdbDrill, documentdbValidation } from './documentdb.js';
import { dynamodbDrill, dynamodbReady, dynamodbValidation } from './dynamodb.js';
import { ebsDrill, ebsReady, ebsValidation } from './ebs.js';
import { ec2Drill, ec2Ready, ec2Validation } from './ec2.js';
import { efsDrill, efsReady, efsValidation } from './efs.js';
import type { DrillSteps, ValidationSteps } from './module.js';
import { neptuneDrill, neptuneValidation } from './neptune.js';
import { rdsDrill, rdsReady, rdsValidation } from './rds.js';
import type { ReadyType } from './ready-steps.js';
import type { ResourceType } from './registry.js';
import { s3Drill, s3Validation } from './s3.js';

/** The types with a built-in validation (their module says `validated`). */
const VALIDATIONS: Readonly<Partial<Record<ResourceType, ValidationSteps>>> = {
  Aurora: auroraValidation,
  DocumentDB: documentdbValidation,
  DynamoDB: dynamodbValidation,
  EBS: ebsValidation,
  EC2: ec2Validation,
  EFS: efsValidation,
  Neptune: neptuneValidation,
  RDS: rdsValidation,
  S3: s3Validation,
};

/** The types a drill may restore (their module says `drillable`). */
const DRILLS: Readonly<Partial<Record<ResourceType, DrillSteps>>> = {
  Aurora: auroraDrill,
  DocumentDB: documentdbDrill,
  DynamoDB: dynamodbDrill,
  EBS: ebsDrill,
  EC2: ec2Drill,
  EFS: efsDrill,
  Neptune: neptuneDrill,
  RDS: rdsDrill,
  S3: s3Drill,
};

/** The types whose restored copy is made ready after COMPLETED (their module says `madeReady`). */
const READY: Readonly<Partial<Record<ResourceType, ReadyType>>> = {
  Aurora: auroraReady,
  DynamoDB: dynamodbReady,
  EBS: ebsReady,
  EC2: ec2Ready,
  EFS: efsReady,
  RDS: rdsReady,
};

/** A type's validation steps; undefined when it has none (or is no type: `constructor`). */
export const validationSteps = (type: string): ValidationSteps | undefined => own(VALIDATIONS, type);

/** A type's drill steps; undefined when it is not drilled (or is no type). */
export const drillSteps = (type: string): DrillSteps | undefined => own(DRILLS, type);

/** A type's make-ready steps; undefined when it has none (or is no type). */
export const readySteps = (type: string): ReadyType | undefined => own(READY, type);
