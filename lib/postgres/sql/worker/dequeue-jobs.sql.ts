import type { JobTable } from './job-table';

/**
 * Claims up to $1 rows due now (queued, or errored and due again; not asked to cancel), in the
 * table's order, for the claim $2: state `processing`, started and alive now, the claim
 * written into the hostname column (every later write of the attempt checks it).
 *
 * Parameters: $1 limit, $2 the claim (`host:pid:token.n`), $3 the queue's name (the library's
 * job table only). Returns the claimed rows, whole.
 *
 * Safe: `FOR UPDATE SKIP LOCKED` in a subquery, so concurrent workers take different rows and
 * the row locks last one statement; one statement, no session state: pooler-safe.
 */
export function dequeueJobsSql({ table, c, order, byQueue }: JobTable): string {
  const queue = byQueue ? '"queue" = $3' : 'true';
  return (
    `UPDATE ${table} AS job SET ${c.state} = 'processing', ${c.startedAt} = now(), ` +
    `${c.lastHeartbeatAt} = now(), ${c.workerHostname} = $2 ` +
    `FROM (SELECT ${c.id} FROM ${table} WHERE ${queue} AND ` +
    `(${c.state} = 'queued' OR ${c.state} = 'errored') AND NOT ${c.cancel} ` +
    `AND (${c.processAfter} IS NULL OR ${c.processAfter} <= now()) ` +
    `ORDER BY ${order} LIMIT $1 FOR UPDATE SKIP LOCKED) AS due ` +
    `WHERE job.${c.id} = due.${c.id} RETURNING job.*`
  );
}
