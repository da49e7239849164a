/**
 * DDL of the run markers' table: one row per routine, its state as JSON, a version for
 * compare-and-set, the outcome the last run left (`previous`). Idempotent.
 */
export function runTableSql(table: string): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${table} (routine text PRIMARY KEY, state text NOT NULL, ` +
    `version bigint NOT NULL DEFAULT 0, previous text, updated_at timestamptz NOT NULL DEFAULT now());`
  );
}
