/**
 * A migration's newest errors first, with their time in epoch ms (text).
 *
 * Parameters: $1 the migration's id, $2 how many at most. A plain read: pooler-safe.
 */
export function migrationErrorsSql(errors: string): string {
  return (
    `SELECT message, (extract(epoch from created_at) * 1000)::bigint::text AS at_ms FROM ${errors} ` +
    `WHERE migration = $1 ORDER BY seq DESC LIMIT $2`
  );
}
