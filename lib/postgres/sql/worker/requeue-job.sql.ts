import type { JobTable } from './job-table';

/**
 * Puts an attempt back in the queue with no failure counted (a shutdown is not a failure).
 *
 * Parameters: $1 id, $2 claim. One row updated: it still held the row.
 *
 * Safe: fenced by the claim and `state = 'processing'`; one statement: pooler-safe.
 */
export function requeueJobSql({ table, c, idType }: JobTable): string {
  return (
    `UPDATE ${table} SET ${c.state} = 'queued', ${c.startedAt} = NULL, ${c.lastHeartbeatAt} = NULL, ` +
    `${c.workerHostname} = NULL ` +
    `WHERE ${c.id} = $1::${idType} AND ${c.workerHostname} = $2 AND ${c.state} = 'processing'`
  );
}
