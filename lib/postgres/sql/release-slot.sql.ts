import type { CoordinatorTables } from './tables';

/**
 * Hands a claimed slot back: deletes its row; with a token, only the claim made with it.
 *
 * Parameters: $1 routine, $2 slot (epoch ms), $3 the claimant's token, or NULL for any claim.
 *
 * Safe: the token check keeps a late release from deleting another replica's newer claim of
 * the same slot. One statement: pooler-safe.
 */
export function releaseSlotSql(t: Pick<CoordinatorTables, 'slots'>): string {
  return `DELETE FROM ${t.slots} WHERE routine = $1 AND slot = $2 AND ($3::text IS NULL OR token = $3)`;
}
