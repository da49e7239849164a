/**
 * The newest audit entries, of one target or all, older than a time or not.
 *
 * Parameters: $1 target (null: all), $2 before (epoch ms; null: no bound), $3 limit.
 */
export function listAuditSql(audit: string): string {
  return (
    `SELECT entry FROM ${audit} WHERE ($1::text IS NULL OR target = $1) ` +
    `AND ($2::bigint IS NULL OR at < $2) ORDER BY id DESC LIMIT $3`
  );
}
