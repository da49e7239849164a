/**
 * The audit trail's table and its index by target (one routine's entries, newest first). The
 * id orders the entries (the replicas' clocks may differ) and bounds the table.
 */
export function auditTableSql(audit: string, targetIndex: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${audit} (id bigserial PRIMARY KEY, at bigint NOT NULL, ` +
      `target text NOT NULL, entry text NOT NULL);`,
    `CREATE INDEX IF NOT EXISTS ${targetIndex} ON ${audit} (target, id);`,
  ];
}
