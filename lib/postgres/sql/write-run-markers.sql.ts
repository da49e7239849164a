/**
 * Writes a routine's run markers back after a transition, only if no other replica wrote them
 * since they were read (a version compare-and-set: no row updated means read again and retry).
 *
 * Parameters: $1 routine, $2 the new state (JSON), $3 the version read, $4 the outcome a run
 * left for the next (`previous`), or NULL to keep the stored one.
 *
 * Safe: no transaction held open between the read and this write, no advisory lock: pooler-safe.
 */
export function writeRunMarkersSql(table: string): string {
  return (
    `UPDATE ${table} SET state = $2, version = version + 1, updated_at = now(), ` +
    `previous = COALESCE($4::text, previous) WHERE routine = $1 AND version = $3`
  );
}
