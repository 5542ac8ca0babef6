/**
 * The samples (local/seed.json, events/*.json) made current: their times were written once, so a
 * run months later would time a restore from a need that arose months ago. Every time in them is
 * moved by one offset, so that the latest is a minute ago and their order (a recovery point before
 * the alarm that asks for it) holds.
 */

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackupSeed } from './backup-service.js';

/** The sample events (events/). */
export const EVENTS_DIR = join(__dirname, '..', 'events');
const SEED_FILE = join(__dirname, 'seed.json');

/** An ISO 8601 UTC time as the samples write it: with or without milliseconds, `Z` or `+0000`. */
const TIME = /(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{3})?(Z|\+0000)/g;

/** An SQS message attribute that SQS writes as epoch milliseconds in a string. */
const EPOCH_MS = /("(?:SentTimestamp|ApproximateFirstReceiveTimestamp)"\s*:\s*")(\d{13})(")/g;

/** The latest time in the samples (seed and events), in epoch ms. */
export function latestSampleTime(texts: readonly string[]): number {
  let latest = Number.NEGATIVE_INFINITY;
  for (const text of texts) {
    for (const m of text.matchAll(TIME)) latest = Math.max(latest, Date.parse(`${m[1]}${m[2] ?? ''}Z`));
    for (const m of text.matchAll(EPOCH_MS)) latest = Math.max(latest, Number(m[2]));
  }
  return latest;
}

/** `text` with every time in it (ISO 8601, and SQS's epoch-ms attributes) moved by `offsetMs`, each written as it was (pure). */
export function shiftTimes(text: string, offsetMs: number): string {
  return text
    .replace(TIME, (_all, base: string, millis: string | undefined, zone: string) => {
      const moved = new Date(Date.parse(`${base}${millis ?? ''}Z`) + offsetMs).toISOString();
      return `${moved.slice(0, 19)}${millis === undefined ? '' : moved.slice(19, 23)}${zone}`;
    })
    .replace(
      EPOCH_MS,
      (_all, head: string, ms: string, tail: string) => `${head}${Number(ms) + offsetMs}${tail}`,
    );
}

/** The samples' texts: the seed's and every event file's, by file name. */
function sampleTexts(): { seed: string; events: Map<string, string> } {
  const events = new Map(
    readdirSync(EVENTS_DIR)
      .filter((f) => f.endsWith('.json'))
      .map((f) => [f, readFileSync(join(EVENTS_DIR, f), 'utf8')] as const),
  );
  return { seed: readFileSync(SEED_FILE, 'utf8'), events };
}

/** The one offset that makes the samples current: their latest time becomes a minute before `now`. */
export function currentOffset(now: number = Date.now()): number {
  const { seed, events } = sampleTexts();
  const latest = latestSampleTime([seed, ...events.values()]);
  return Number.isFinite(latest) ? Math.floor((now - 60_000 - latest) / 1000) * 1000 : 0;
}

/** The seed with current times. */
export function currentSeed(offsetMs: number = currentOffset()): BackupSeed {
  return JSON.parse(shiftTimes(sampleTexts().seed, offsetMs)) as BackupSeed;
}

/** An event sample's text (events/<name>) with current times. */
export function currentEventText(name: string, offsetMs: number = currentOffset()): string {
  const text = sampleTexts().events.get(name);
  if (text === undefined) throw new Error(`No sample events/${name}`);
  return shiftTimes(text, offsetMs);
}

/** Writes every event sample with current times to a new directory, for commands to point at; returns it. */
export function writeCurrentEvents(offsetMs: number = currentOffset()): string {
  const dir = mkdtempSync(join(tmpdir(), 'restore-pipeline-events-'));
  for (const [name, text] of sampleTexts().events) writeFileSync(join(dir, name), shiftTimes(text, offsetMs));
  return dir;
}
