/**
 * The one shape every resource type's make-ready steps take. A type reads its source's settings
 * (or, with the source gone, what the recovery point tells), and each step brings one setting of
 * the restored copy to the source's value: it reads first and writes only on a difference, so a
 * step run twice changes nothing the second time.
 */

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { EFSClient } from '@aws-sdk/client-efs';
import type { RDSClient } from '@aws-sdk/client-rds';

/** A setting's value, comparable as JSON. */
export type Value = string | number | boolean | null | readonly Value[] | { readonly [key: string]: Value };

/** A source's settings by step key; a key that is missing is not known. */
export type SourceSettings = Readonly<Record<string, Value>>;

/** The clients steps use, each built on first use. */
export interface ReadyClients {
  readonly rds: () => RDSClient;
  readonly ddb: () => DynamoDBClient;
  readonly ec2: () => EC2Client;
  readonly efs: () => EFSClient;
}

/** What a request asks of make-ready (src/ready/request.ts reads it). */
export interface ReadyOptions {
  /** Aurora: reader instances to add beside the writer. */
  readonly readers: number;
}

/** The restored copy a job made, and where it came from. */
export interface Target {
  readonly restoreJobId: string;
  readonly resourceType: string;
  /** The job's CreatedResourceArn. */
  readonly restoredArn: string;
  /** The recovery point's ResourceArn (the source), when known. */
  readonly sourceArn?: string;
  /** The recovery point's stored restore metadata: the fallback when the source is gone. */
  readonly pointMetadata: Readonly<Record<string, string>>;
  readonly options: ReadyOptions;
  readonly clients: ReadyClients;
}

/** One setting brought back on the restored copy. */
export interface ReadyStep {
  /** `<type>.<setting>`, as records and dead letters name it. */
  readonly name: string;
  /** The key of the source's setting this step restores. */
  readonly key: string;
  /** What a person does by hand when the step cannot be done. */
  readonly manual: string;
  /** The copy cannot serve without it: a value that is not known fails the step (not only recorded). */
  readonly required?: boolean;
  /** The restored copy's value now. */
  read(target: Target): Promise<Value>;
  /**
   * Brings the copy to `wanted`; called only when `read` differs from it. `{ kept }`: nothing was
   * written, and why (the source's value no longer exists): the copy keeps its own.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: most steps' writes resolve to nothing (void).
  write(target: Target, wanted: Value, actual: Value): Promise<void | Kept>;
  /** Whether `actual` already is what the source had (default: equal as JSON). */
  same?(actual: Value, wanted: Value): boolean;
  /** True once what `write` started has finished (an instance available); default: at once. */
  done?(target: Target, wanted: Value): Promise<boolean>;
  /**
   * Why the copy's value, read back after the steps, still differs from the source's or does not
   * act as it yet, in the step's words (a group that takes effect at the next reboot); undefined:
   * the runner compares and words it.
   */
  explain?(actual: Value, wanted: Value): string | undefined;
}

/** A write that wrote nothing, and why. */
export interface Kept {
  readonly kept: string;
}

/** What one step did. */
export interface StepResult {
  readonly step: string;
  readonly status: 'unchanged' | 'changed' | 'not-known' | 'failed';
  readonly wanted?: Value;
  readonly error?: { readonly name: string; readonly message: string };
  /** What a person does by hand (failed and not-known steps). */
  readonly manual?: string;
  /** Why a step wrote nothing where the copy differs (its write's `kept`). */
  readonly note?: string;
}

/** A setting of the copy that still differs from the source's, and why. */
export interface DiffEntry {
  readonly setting: string;
  readonly restored?: Value;
  readonly source?: Value;
  readonly why: string;
}

/** Everything make-ready knows of one resource type. */
export interface ReadyType {
  readonly resourceType: string;
  /** The source's settings, or undefined when the source no longer exists (or cannot be read here). */
  readSource(target: Target): Promise<SourceSettings | undefined>;
  /** What the recovery point alone tells of the source's settings. */
  fromRecoveryPoint(target: Target): SourceSettings;
  readonly steps: readonly ReadyStep[];
  /** What AWS does not restore and no step brings back: left to a person. */
  readonly manual: readonly string[];
}

/** Equal as JSON, object keys in any order. */
export function sameValue(a: Value, b: Value): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: Value): string {
  if (Array.isArray(v)) return `[${v.map((x: Value) => canonical(x)).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as { readonly [key: string]: Value };
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k] as Value)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The name or identifier an ARN ends with (`table/<name>`, `cluster:<id>`, `db:<id>`). */
export function nameOf(arn: string): string {
  const resource = arn.split(':').slice(5).join(':');
  const cut = resource.search(/[/:]/);
  return cut < 0 ? resource : (resource.slice(cut + 1).split('/')[0] ?? '');
}

/** The tag key the pipeline writes on a copy it makes ready: its steps are held to copies carrying it. */
export const READY_TAG = 'backup-restore:ready';
