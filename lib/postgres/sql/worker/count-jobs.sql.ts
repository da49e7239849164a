import type { JobTable } from './job-table';

/**
 * The rows by state, and how long the oldest due row has waited (ms), for the metrics.
 *
 * Parameters: $1 the queue's name (the library's job table only). A plain read: pooler-safe.
 */
export function countJobsSql({ table, c, byQueue }: JobTable): string {
  const queue = byQueue ? '"queue" = $1' : 'true';
  return (
    `SELECT ${c.state} AS state, count(*) AS count, ` +
    `floor(extract(epoch from now() - min(${c.queuedAt}) FILTER (WHERE ` +
    `(${c.state} = 'queued' OR ${c.state} = 'errored') AND NOT ${c.cancel} ` +
    `AND (${c.processAfter} IS NULL OR ${c.processAfter} <= now()))) * 1000)::bigint AS oldest_ms ` +
    `FROM ${table} WHERE ${queue} GROUP BY ${c.state}`
  );
}
