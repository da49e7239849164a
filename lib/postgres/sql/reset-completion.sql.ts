import type { CoordinatorTables } from './tables';

/**
 * Forgets a routine's completion, so that it runs again (under any version).
 *
 * Parameters: $1 routine. One statement: pooler-safe.
 */
export function resetCompletionSql(t: Pick<CoordinatorTables, 'leases'>): string {
  return `UPDATE ${t.leases} SET completed_version = NULL WHERE routine = $1`;
}
