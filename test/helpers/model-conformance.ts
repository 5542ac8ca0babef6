/**
 * Checks a raw JSON answer against the SDK's own service model, as shipped in node_modules (the
 * static schemas every @aws-sdk/client-* exports as `<Shape>$`): unknown members, missing required
 * members and wrong types are reported, path by path.
 */

import { type NormalizedSchema as Normalized, NormalizedSchema } from '@smithy/core/schema';
import { isPlainObject } from '../../src/json';

/** The protocols the local endpoint speaks. */
export type JsonProtocol = 'rest-json' | 'json-1.0';

// The static struct schema: [kind, namespace, name, traits, memberNames, memberSchemas, requiredCount?].
type StaticStruct = [number, string, string, unknown, string[], unknown[], number?];

const HTTP_BINDINGS = ['httpHeader', 'httpResponseCode', 'httpPrefixHeaders', 'httpQuery', 'httpLabel'];

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** The members of a struct that travel in a JSON body, by their wire name, and which are required. */
function bodyMembers(schema: Normalized): { members: Map<string, Normalized>; required: Set<string> } {
  const members = new Map<string, Normalized>();
  const struct = schema.getSchema() as unknown as StaticStruct;
  const requiredCount = typeof struct[6] === 'number' ? struct[6] : 0;
  const required = new Set<string>();
  let i = 0;
  for (const [name, member] of schema.structIterator()) {
    const traits = member.getMergedTraits() as Record<string, unknown>;
    const index = i++;
    if (HTTP_BINDINGS.some((t) => t in traits)) continue;
    const wire = typeof traits.jsonName === 'string' ? traits.jsonName : name;
    members.set(wire, member);
    if (index < requiredCount) required.add(wire);
  }
  return { members, required };
}

/** Every problem of `value` against `schema`, as "path: what". */
export function conformance(value: unknown, schema: Normalized, path = '$'): string[] {
  const problems: string[] = [];
  const expect = (ok: boolean, what: string) => {
    if (!ok) problems.push(`${path}: expected ${what}, got ${kindOf(value)}`);
    return ok;
  };
  if (schema.isDocumentSchema()) return problems;
  if (schema.isUnionSchema()) {
    if (!expect(isPlainObject(value), 'an object (union)')) return problems;
    const { members } = bodyMembers(schema);
    const keys = Object.keys(value as object);
    if (keys.length !== 1) problems.push(`${path}: a union holds exactly one member, got ${keys.length}`);
    for (const key of keys) {
      const member = members.get(key);
      if (member === undefined) problems.push(`${path}.${key}: not a member of ${schema.getName()}`);
      else problems.push(...conformance((value as Record<string, unknown>)[key], member, `${path}.${key}`));
    }
    return problems;
  }
  if (schema.isStructSchema()) {
    if (!expect(isPlainObject(value), `an object (${schema.getName()})`)) return problems;
    const { members, required } = bodyMembers(schema);
    const object = value as Record<string, unknown>;
    for (const [key, item] of Object.entries(object)) {
      const member = members.get(key);
      if (member === undefined) {
        problems.push(`${path}.${key}: not a member of ${schema.getName()}`);
        continue;
      }
      if (item === null) continue;
      problems.push(...conformance(item, member, `${path}.${key}`));
    }
    for (const key of required) {
      if (object[key] === undefined || object[key] === null)
        problems.push(`${path}.${key}: required by ${schema.getName()}, missing`);
    }
    return problems;
  }
  if (schema.isListSchema()) {
    if (!expect(Array.isArray(value), 'an array')) return problems;
    const item = schema.getValueSchema();
    (value as unknown[]).forEach((v, i) => {
      problems.push(...conformance(v, item, `${path}[${i}]`));
    });
    return problems;
  }
  if (schema.isMapSchema()) {
    if (!expect(isPlainObject(value), 'an object (map)')) return problems;
    const item = schema.getValueSchema();
    for (const [k, v] of Object.entries(value as object))
      problems.push(...conformance(v, item, `${path}.${k}`));
    return problems;
  }
  if (schema.isTimestampSchema()) {
    // JSON protocols write timestamps as epoch seconds unless the member says otherwise.
    const format = schema.getSchema() as unknown as number;
    expect(
      format === 5 || format === 6 ? typeof value === 'string' : typeof value === 'number',
      'a timestamp',
    );
    return problems;
  }
  if (schema.isBooleanSchema()) expect(typeof value === 'boolean', 'a boolean');
  else if (schema.isNumericSchema() || schema.isBigIntegerSchema() || schema.isBigDecimalSchema())
    expect(typeof value === 'number', 'a number');
  else if (schema.isStringSchema() || schema.isBlobSchema()) expect(typeof value === 'string', 'a string');
  return problems;
}

/** The output schema of an operation of a client package (its `<Operation>$` export). */
export function outputSchema(pkg: Record<string, unknown>, operation: string): Normalized {
  const op = pkg[`${operation}$`] as unknown[] | undefined;
  if (op === undefined || op[0] !== 9) throw new Error(`${operation} is not an operation of this client`);
  return NormalizedSchema.of(op[5] as never);
}

/** The error shapes a client package models, by name. */
export function errorSchemas(pkg: Record<string, unknown>): Map<string, Normalized> {
  const errors = new Map<string, Normalized>();
  for (const [key, value] of Object.entries(pkg)) {
    if (key.endsWith('$') && Array.isArray(value) && value[0] === -3 && typeof value[2] === 'string')
      errors.set(value[2], NormalizedSchema.of(value as never));
  }
  return errors;
}
