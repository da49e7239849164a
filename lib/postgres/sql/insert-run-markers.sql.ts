/**
 * A routine's first row of run markers, if no replica wrote one meanwhile.
 *
 * Parameters: $1 routine, $2 the empty state (JSON).
 *
 * Safe: `ON CONFLICT DO NOTHING`: two replicas inserting at once leave one row. Pooler-safe.
 */
export function insertRunMarkersSql(table: string): string {
  return `INSERT INTO ${table} (routine, state) VALUES ($1, $2) ON CONFLICT DO NOTHING`;
}
