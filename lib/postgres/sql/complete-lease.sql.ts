import type { CoordinatorTables } from './tables';

/**
 * Records that a run-once routine completed under a version, and gives its lease up, if the
 * lease is still the caller's and live.
 *
 * Parameters: $1 routine, $2 the holder's token, $3 the version. One row updated: recorded.
 *
 * Safe: guarded by the token and the expiry as `renewLeaseSql`; one statement: pooler-safe.
 */
export function completeLeaseSql(t: Pick<CoordinatorTables, 'leases'>): string {
  return (
    `UPDATE ${t.leases} SET expires_at = '-infinity', token = '', completed_version = $3 ` +
    `WHERE routine = $1 AND token = $2 AND expires_at > now()`
  );
}
