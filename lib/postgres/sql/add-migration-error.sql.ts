/**
 * Appends an error to a migration's and drops the oldest beyond those kept.
 *
 * Parameters: $1 the migration's id, $2 the message, $3 how many of the stored errors stay
 * (`MIGRATION_ERRORS_KEPT - 1`: the new one makes the count).
 *
 * Safe: the DELETE sees the rows as they were before the INSERT (one snapshot), so it keeps
 * the newest $3 of them and the new one. One statement: pooler-safe.
 */
export function addMigrationErrorSql(errors: string): string {
  return (
    `WITH added AS (INSERT INTO ${errors} (migration, message) VALUES ($1, $2)) ` +
    `DELETE FROM ${errors} WHERE migration = $1 AND seq NOT IN ` +
    `(SELECT seq FROM ${errors} WHERE migration = $1 ORDER BY seq DESC LIMIT $3)`
  );
}
