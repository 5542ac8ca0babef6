/** A JSON object: not null, not an array (what a parsed request, event or letter must be). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An own property only: names such as `constructor` or `__proto__` never read a prototype. */
export function own<T>(map: Readonly<Partial<Record<string, T>>>, key: string): T | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}
