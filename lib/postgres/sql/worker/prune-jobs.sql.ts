import { queueFilterSql } from './job-filter.sql';
import type { JobTable } from './job-table';

/**
 * Deletes one batch of ended rows past their retention: `completed` ended more than $1 ms
 * ago, `canceled` more than $2 ms, `failed` more than $3 ms (NULL: kept).
 *
 * Parameters: $1, $2, $3 the ages (ms) or NULL, $4 the batch's size, $5 the queue's name (the
 * library's job table only). Returns one row per job deleted.
 *
 * Safe: at most $4 rows a statement, so no long lock on a big table (the caller repeats);
 * `SKIP LOCKED` leaves a row another statement holds to the next batch. Uses the index on
 * `(queue, state, finished_at)` of ended rows. One statement: pooler-safe.
 */
export function pruneJobsSql(target: JobTable): string {
  const { table, c } = target;
  const older = (state: string, age: string) =>
    `(${c.state} = '${state}' AND ${c.finishedAt} < now() - ${age}::float8 * interval '1 millisecond')`;
  return (
    `DELETE FROM ${table} WHERE ${c.id} IN (SELECT ${c.id} FROM ${table} WHERE ${queueFilterSql(target, 5)} ` +
    `AND (${older('completed', '$1')} OR ${older('canceled', '$2')} OR ${older('failed', '$3')}) ` +
    `LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING ${c.id}::text AS id`
  );
}
