import type { JobTable } from './job-table';

/** What a row canceled before any attempt started says in its failure message. */
export const CANCELED_BEFORE_START = 'canceled before it started';

/**
 * Claims up to $1 rows due now (queued, or errored and due again), in the table's order, for
 * the claim $2: state `processing`, started and alive now, the claim written into the hostname
 * column (every later write of the attempt checks it).
 *
 * A row whose cancel column was set while it waited (the app's `UPDATE ... SET cancel = true`)
 * is due at once, whatever its `process_after`, and is ended `canceled` by this same statement
 * instead of being claimed: left out of the dequeue, it stayed `queued` forever. It takes a
 * place of the `LIMIT` once; only the rows claimed are returned.
 *
 * Parameters: $1 limit, $2 the claim (`host:pid:token.n`), $3 the queue's name (the library's
 * job table only). Returns the claimed rows, whole.
 *
 * Safe: `FOR UPDATE SKIP LOCKED` in a subquery, so concurrent workers take different rows and
 * the row locks last one statement; one statement, no session state: pooler-safe.
 */
export function dequeueJobsSql({ table, c, order, byQueue }: JobTable): string {
  const queue = byQueue ? '"queue" = $3' : 'true';
  const claimed = (value: string, otherwise: string) =>
    `CASE WHEN job.${c.cancel} THEN ${otherwise} ELSE ${value} END`;
  return (
    `WITH claimed AS (UPDATE ${table} AS job SET ` +
    `${c.state} = ${claimed("'processing'", "'canceled'")}, ` +
    `${c.startedAt} = ${claimed('now()', `job.${c.startedAt}`)}, ` +
    `${c.lastHeartbeatAt} = ${claimed('now()', `job.${c.lastHeartbeatAt}`)}, ` +
    `${c.workerHostname} = ${claimed('$2', `job.${c.workerHostname}`)}, ` +
    `${c.finishedAt} = ${claimed(`job.${c.finishedAt}`, 'now()')}, ` +
    `${c.failureMessage} = ${claimed(`job.${c.failureMessage}`, `'${CANCELED_BEFORE_START}'`)} ` +
    `FROM (SELECT ${c.id} FROM ${table} WHERE ${queue} AND ` +
    `(${c.state} = 'queued' OR ${c.state} = 'errored') ` +
    `AND (${c.processAfter} IS NULL OR ${c.processAfter} <= now() OR ${c.cancel}) ` +
    `ORDER BY ${order} LIMIT $1 FOR UPDATE SKIP LOCKED) AS due ` +
    `WHERE job.${c.id} = due.${c.id} RETURNING job.*) ` +
    `SELECT * FROM claimed WHERE ${c.state} = 'processing'`
  );
}
