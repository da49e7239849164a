import type { CoordinatorTables } from './tables';

/**
 * Deletes the slot rows whose claim expired more than `pruneAfter` ago (run every few hundred
 * claims, off the claims' path).
 *
 * Parameters: $1 pruneAfter, in ms.
 *
 * Safe: an expired claim is only kept so that a late replica does not run its slot again;
 * `pruneAfter` is far longer than any replica is late. Uses the `expires_at` index; one
 * statement: pooler-safe.
 */
export function pruneSlotsSql(t: Pick<CoordinatorTables, 'slots'>): string {
  return `DELETE FROM ${t.slots} WHERE expires_at < now() - ($1::float8 * interval '1 millisecond')`;
}
