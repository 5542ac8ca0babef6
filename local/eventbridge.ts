/**
 * The local EventBridge: PutEvents (AWS JSON 1.1, `AWSEvents.PutEvents`) on the default bus, and
 * rules that match events with EventBridge's pattern syntax and deliver them to a target, as the
 * deployed rules of serverless.yml do. Only the pattern features those rules use are supported
 * (exact values, `prefix`, `exists`, `anything-but`, nested objects, `$or`); any other is refused.
 */

import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent } from 'aws-lambda';
import { LocalAwsError } from './backup-service.js';

/** An event as EventBridge delivers it to a target. */
export type BusEvent = EventBridgeEvent<string, unknown>;

/** An EventBridge event pattern (the subset the deployed rules use). */
export type EventPattern = { [key: string]: unknown };

/** A rule of the local bus: a pattern and where matching events go. */
export interface LocalRule {
  readonly name: string;
  readonly pattern: EventPattern;
  readonly target: (event: BusEvent) => void;
}

/** The deployed rules' settings (serverless.yml `params`). */
export interface RuleSettings {
  /** `restoreRequestSource` */
  readonly restoreRequestSource: string;
  /** `alarmNamePrefix` */
  readonly alarmNamePrefix: string;
}

/** The settings serverless.yml deploys by default. */
export const DEFAULT_RULE_SETTINGS: RuleSettings = {
  restoreRequestSource: 'backup-restore.requests',
  alarmNamePrefix: 'restore-',
};

/**
 * The event patterns of the deployed rules, by function (serverless.yml `events: eventBridge`).
 * The template test checks they equal the packaged template's.
 */
export function deployedPatterns(settings: RuleSettings = DEFAULT_RULE_SETTINGS) {
  return {
    restoreFromEvent: {
      source: [settings.restoreRequestSource],
      'detail-type': ['Restore Requested'],
    },
    restoreOnAlarm: {
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: {
        state: { value: ['ALARM'] },
        $or: [
          { alarmName: [{ prefix: settings.alarmNamePrefix }] },
          { alarmTags: { 'backup-restore:enabled': ['true'] } },
        ],
      },
    },
    trackRestoreJob: {
      source: ['aws.backup'],
      'detail-type': ['Restore Job State Change'],
      detail: { status: ['COMPLETED', 'FAILED', 'ABORTED'] },
    },
  } satisfies Record<string, EventPattern>;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether one event value matches one element of a pattern's value list. */
function matchesValue(rule: unknown, value: unknown, present: boolean): boolean {
  if (isObject(rule)) {
    const keys = Object.keys(rule);
    const op = keys[0];
    if (keys.length !== 1 || op === undefined) throw new Error(`Unsupported pattern ${JSON.stringify(rule)}`);
    const operand = rule[op];
    if (op === 'exists') return operand === present;
    if (!present) return false;
    if (op === 'prefix' && typeof operand === 'string')
      return typeof value === 'string' && value.startsWith(operand);
    if (op === 'anything-but') {
      const excluded = Array.isArray(operand) ? operand : [operand];
      return !excluded.some((x) => x === value);
    }
    throw new Error(
      `Unsupported pattern operator ${op} (the local bus knows exact, prefix, exists, anything-but)`,
    );
  }
  return present && rule === value;
}

/** Whether `event` matches `pattern`, with EventBridge's semantics for the supported features. */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  const fields = isObject(event) ? event : {};
  return Object.entries(pattern).every(([key, rule]) => {
    if (key === '$or') {
      if (!Array.isArray(rule)) throw new Error('$or takes a list of patterns');
      return rule.some((p) => matchesPattern(p as EventPattern, fields));
    }
    const present = Object.hasOwn(fields, key);
    const value = fields[key];
    if (isObject(rule)) return present && isObject(value) && matchesPattern(rule, value);
    if (!Array.isArray(rule)) throw new Error(`Pattern values are lists or objects (${key})`);
    // An array in the event matches when any of its elements does.
    const values = Array.isArray(value) ? value : [value];
    return rule.some((r) => values.some((v) => matchesValue(r, v, present)));
  });
}

/** A PutEvents request entry. */
interface PutEventsEntry {
  Source?: unknown;
  DetailType?: unknown;
  Detail?: unknown;
  Resources?: unknown;
  Time?: unknown;
  EventBusName?: unknown;
}

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

const MAX_ENTRY_BYTES = 256 * 1024;

/** The local default event bus. */
export class LocalEventBus {
  private readonly rules: LocalRule[] = [];
  /** Every event put on the bus, and the rules each matched. */
  readonly events: { event: BusEvent; matched: string[] }[] = [];

  constructor(
    private readonly region: string,
    private readonly accountId: string,
  ) {}

  /** Adds a rule; events put afterwards that match its pattern go to its target. */
  addRule(rule: LocalRule): void {
    this.rules.push(rule);
  }

  /** Puts one event on the bus and delivers it to every matching rule's target. */
  publish(event: BusEvent): string[] {
    const matched = this.rules.filter((r) => matchesPattern(r.pattern, event));
    this.events.push({ event, matched: matched.map((r) => r.name) });
    for (const rule of matched) rule.target(event);
    return matched.map((r) => r.name);
  }

  private entry(e: PutEventsEntry): EntryResult {
    if (typeof e.Source !== 'string' || typeof e.DetailType !== 'string' || typeof e.Detail !== 'string') {
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameters Source, DetailType and Detail are required for each entry.',
      };
    }
    if (
      e.EventBusName !== undefined &&
      e.EventBusName !== 'default' &&
      !String(e.EventBusName).endsWith(':event-bus/default')
    ) {
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: `Event bus ${String(e.EventBusName)} does not exist.`,
      };
    }
    if (Buffer.byteLength(JSON.stringify(e)) > MAX_ENTRY_BYTES) {
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Total size of the entries in the request is over the limit.',
      };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(e.Detail);
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    if (!isObject(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    const time =
      e.Time === undefined
        ? new Date()
        : new Date(typeof e.Time === 'number' ? e.Time * 1000 : String(e.Time));
    const event: BusEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': e.DetailType,
      source: e.Source,
      account: this.accountId,
      time: (Number.isNaN(time.getTime()) ? new Date() : time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources: Array.isArray(e.Resources) ? e.Resources.map(String) : [],
      detail,
    };
    this.publish(event);
    return { EventId: event.id };
  }

  /** PutEvents: 1 to 10 entries, each accepted or failed on its own. */
  PutEvents(body: Record<string, unknown>) {
    const entries = body.Entries;
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > 10) {
      throw new LocalAwsError(
        400,
        'ValidationException',
        "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10",
      );
    }
    const results = entries.map((e) => this.entry(isObject(e) ? e : {}));
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }
}
