import type { CoordinatorTables } from './tables';

/**
 * Extends a lease for another ttl, if it is still the caller's and has not expired.
 *
 * Parameters: $1 routine, $2 the holder's token, $3 ttl (ms). One row updated: renewed.
 *
 * Safe: guarded by the token and the expiry, on the database's clock, so a holder that was
 * late never renews a lease another replica may have taken. One statement: pooler-safe.
 */
export function renewLeaseSql(t: Pick<CoordinatorTables, 'leases'>): string {
  return (
    `UPDATE ${t.leases} SET expires_at = now() + ($3::float8 * interval '1 millisecond') ` +
    `WHERE routine = $1 AND token = $2 AND expires_at > now()`
  );
}
