import { jobFilterSql, queueFilterSql } from './job-filter.sql';
import type { JobTable } from './job-table';

/** The states an operator's discard takes a row from: waiting for an attempt. */
export const DISCARDABLE_STATES = ['queued', 'errored'] as const;

/** What a discarded row's failure message starts with. */
export const DISCARDED = 'discarded by an operator';

/**
 * An operator's discard: the rows of the filter still waiting for an attempt (`queued`, or
 * `errored` and waiting for a retry) end `failed`, the dead-letter state, never run again
 * unless retried. The failure message says it was discarded and keeps the last error.
 *
 * Parameters: $1-$4 the filter (`jobFilterSql`), $5 the queue's name (the library's job table
 * only). Returns one row per job discarded.
 *
 * Safe: a `processing` row is never taken (cancel it instead: its handler's signal aborts);
 * waiting on a row a dequeue holds, it re-reads it and leaves it once `processing`. Rows locked
 * in id order, as every statement that updates several rows. One statement: pooler-safe.
 */
export function discardJobsSql(target: JobTable): string {
  const { table, c } = target;
  const states = DISCARDABLE_STATES.map((state) => `'${state}'`).join(', ');
  return (
    `UPDATE ${table} AS job SET ${c.state} = 'failed', ${c.finishedAt} = now(), ` +
    `${c.failureMessage} = '${DISCARDED}' || COALESCE(' (last error: ' || left(job.${c.failureMessage}, 7000) || ')', '') ` +
    `FROM (SELECT ${c.id} AS id FROM ${table} WHERE ${queueFilterSql(target, 5)} ` +
    `AND ${c.state} IN (${states}) AND ${jobFilterSql(target, 1)} ORDER BY ${c.id} FOR UPDATE) AS target ` +
    `WHERE job.${c.id} = target.id AND job.${c.state} IN (${states}) RETURNING job.${c.id}::text AS id`
  );
}
