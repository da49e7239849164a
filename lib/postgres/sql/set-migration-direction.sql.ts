/**
 * Sets a migration's direction; a new direction starts a new rate (the other one's samples
 * are dropped).
 *
 * Parameters: $1 id, $2 reverse (boolean). One statement: pooler-safe.
 */
export function setMigrationDirectionSql(migrations: string): string {
  return (
    `UPDATE ${migrations} SET reverse = $2, samples = CASE WHEN reverse = $2 THEN samples ELSE '[]' END ` +
    `WHERE id = $1`
  );
}
