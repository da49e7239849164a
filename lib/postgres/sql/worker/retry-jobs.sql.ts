import { jobFilterSql, queueFilterSql } from './job-filter.sql';
import type { JobTable } from './job-table';

/** The states an operator's retry takes a row from: ended for good, or waiting for its retry. */
export const RETRYABLE_STATES = ['failed', 'canceled', 'errored'] as const;

/**
 * An operator's retry: the rows of the filter that are `failed`, `canceled` or `errored` go
 * back to `queued`, due now, their cancel flag cleared. As Sidekiq (a retried dead job's
 * `retry_count` less one) and Oban (`max_attempts` raised by one when used up): the count of
 * attempts is kept, and a row that had used them all gets one more (`num_failures` at most
 * `maxAttempts - 1`, `num_resets` at most `maxResets`). The last error stays in the row.
 *
 * In the library's job table a row is left alone while another job with its dedupe key is
 * pending, and of several rows with one key that the filter takes only the newest is retried:
 * the unique index on pending keys would otherwise fail the whole statement. (A lookup of the
 * newest row per candidate took 572 s for 5,000 failed rows among 500,000; the window, below.)
 *
 * Parameters: $1-$4 the filter (`jobFilterSql`), $5 max attempts, $6 max resets, $7 the
 * queue's name (the library's job table only). Returns one row per job retried.
 *
 * Safe: a `processing` row is never taken (its handler may run); rows locked in id order, as
 * every statement that updates several rows (no deadlock with a heartbeat or a batch of
 * completions); waiting on a row a dequeue holds, it re-reads the row and leaves it if it is
 * no longer retryable. One statement: pooler-safe.
 */
export function retryJobsSql(target: JobTable): string {
  const { table, c, byQueue } = target;
  const states = RETRYABLE_STATES.map((state) => `'${state}'`).join(', ');
  const retryable = `${queueFilterSql(target, 7)} AND ${c.state} IN (${states}) AND ${jobFilterSql(target, 1)}`;
  // The newest row of each key the filter takes (a window: no lookup per row), and none whose
  // key a pending job holds (the unique index on pending keys answers that).
  const candidates = byQueue
    ? `j.${c.id} IN (SELECT id FROM (SELECT ${c.id} AS id, "key" AS key, row_number() OVER ` +
      `(PARTITION BY "key" ORDER BY ${c.id} DESC) AS newest FROM ${table} WHERE ${retryable}) AS taken ` +
      `WHERE taken.key IS NULL OR taken.newest = 1) AND NOT EXISTS (SELECT 1 FROM ${table} AS other ` +
      `WHERE other."queue" = j."queue" AND other."key" = j."key" ` +
      `AND other.${c.state} IN ('queued', 'processing', 'errored'))`
    : retryable;
  return (
    `UPDATE ${table} AS job SET ${c.state} = 'queued', ${c.cancel} = false, ${c.processAfter} = NULL, ` +
    `${c.startedAt} = NULL, ${c.finishedAt} = NULL, ${c.lastHeartbeatAt} = NULL, ${c.workerHostname} = NULL, ` +
    `${c.numFailures} = LEAST(job.${c.numFailures}, $5::integer - 1), ` +
    `${c.numResets} = LEAST(job.${c.numResets}, $6::integer) ` +
    `FROM (SELECT j.${c.id} AS id FROM ${table} AS j WHERE ${candidates} AND j.${c.state} IN (${states}) ` +
    `ORDER BY j.${c.id} FOR UPDATE OF j) AS target ` +
    `WHERE job.${c.id} = target.id AND job.${c.state} IN (${states}) RETURNING job.${c.id}::text AS id`
  );
}
