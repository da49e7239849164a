/**
 * Registers an out-of-band migration, or updates the description and flag of a known one
 * (its progress, direction and epoch stay).
 *
 * Parameters: $1 id, $2 description, $3 non-destructive (boolean). One statement: pooler-safe.
 */
export function registerMigrationSql(migrations: string): string {
  return (
    `INSERT INTO ${migrations} (id, description, non_destructive) VALUES ($1, $2, $3) ` +
    `ON CONFLICT (id) DO UPDATE SET description = EXCLUDED.description, non_destructive = EXCLUDED.non_destructive`
  );
}
