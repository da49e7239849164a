import type { CoordinatorTables } from './tables';

/**
 * Gives a lease up: expires its row (the row is never deleted, so the epoch keeps growing).
 *
 * Parameters: $1 routine, $2 the holder's token.
 *
 * Safe: the token goes too: a renewal already waiting on the row lock when the release
 * commits re-checks the row, and must not find it still its own (its now() may be older than
 * ours). One statement: pooler-safe.
 */
export function releaseLeaseSql(t: Pick<CoordinatorTables, 'leases'>): string {
  return (
    `UPDATE ${t.leases} SET expires_at = '-infinity', token = '' ` +
    `WHERE routine = $1 AND token = $2`
  );
}
