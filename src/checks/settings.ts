/**
 * Environment settings: the formats and readers of the configuration loader (config.ts). Pure;
 * each reader pushes its problem and goes on, so that a configuration lists every problem at once.
 */

/** An SQS queue URL. */
export const QUEUE_URL_PATTERN = /^https?:\/\/[^\s/]+\/\S+$/;
/** A DynamoDB table name. */
export const TABLE_NAME_PATTERN = /^[a-zA-Z0-9_.-]{3,255}$/;
/** A Region name. */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d$/;

/** A comma-separated list, items trimmed, empty ones dropped; undefined when unset or blank. */
export function listSetting(text: string | undefined): string[] | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * A reader of whole-number settings of `env`: the setting `name` from `min` to `max`; `fallback`
 * when unset or blank, or (with a problem pushed) out of range.
 */
export function integerSettings(
  env: Readonly<Record<string, string | undefined>>,
  problems: string[],
): (name: string, fallback: number, min: number, max: number) => number {
  return (name, fallback, min, max) => {
    const text = env[name];
    if (text === undefined || text.trim() === '') return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}, got "${text}"`);
      return fallback;
    }
    return value;
  };
}
