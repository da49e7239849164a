/**
 * Adds an audit entry and drops the entries more than `kept` older than it, in one statement
 * (pooler-safe): the table never holds more than `kept` rows (fewer when ids were skipped).
 *
 * Parameters: $1 at (epoch ms), $2 target, $3 entry (JSON), $4 kept.
 */
export function appendAuditSql(audit: string): string {
  return (
    `WITH added AS (INSERT INTO ${audit} (at, target, entry) VALUES ($1, $2, $3) RETURNING id) ` +
    `DELETE FROM ${audit} WHERE id <= (SELECT id FROM added) - $4::bigint`
  );
}
