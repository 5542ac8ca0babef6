/** New names for restored resources, cut and cleaned to each service's name rule (pure). */

/** `base-suffix`, cut to `max` and cleaned to fit a name rule. */
export function newName(
  base: string | undefined,
  suffix: string,
  max: number,
  clean: (s: string) => string,
  fallback: string,
): string {
  const stem = clean(base ?? '') || fallback;
  const room = max - suffix.length - 1;
  return `${clean(stem.slice(0, room))}-${suffix}`;
}

/**
 * RDS, Aurora, DocumentDB, Neptune, Redshift: letters, digits, hyphens; starts with a letter; no
 * double hyphen; does not end with a hyphen; 63 characters at most.
 */
export const dbName = (s: string) =>
  s
    .replace(/[^A-Za-z0-9-]/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^A-Za-z]+/, '')
    .replace(/-+$/, '');

/** The new identity of a DB cluster (Aurora, DocumentDB, Neptune): dbClusterIdentifier. */
export function newClusterIdentity(metadata: Record<string, string>, suffix: string): void {
  metadata.dbClusterIdentifier = newName(metadata.dbClusterIdentifier, suffix, 63, dbName, 'restored');
}
