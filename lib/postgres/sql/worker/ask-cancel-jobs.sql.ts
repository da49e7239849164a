import { jobFilterSql, queueFilterSql } from './job-filter.sql';
import type { JobTable } from './job-table';

/** The states an operator's cancel applies to: not ended yet. */
export const CANCELABLE_STATES = ['queued', 'errored', 'processing'] as const;

/** What a row canceled by an operator before it ran says in its failure message. */
export const CANCELED_BY_OPERATOR = 'canceled by an operator';

/**
 * An operator's cancel: every row of the filter not ended yet gets its cancel flag; a row
 * waiting for an attempt (`queued`, `errored`) ends `canceled` at once, a `processing` row
 * stays as it is: its worker's next heartbeat reads the flag, aborts the handler's signal and
 * writes `canceled` under its own fence (as when the app sets the column).
 *
 * Parameters: $1-$4 the filter (`jobFilterSql`), $5 the queue's name (the library's job table
 * only). Returns one row per job canceled or asked to cancel.
 *
 * Safe: a row a dequeue holds is waited for and re-read: taken by the dequeue, it is flagged,
 * not ended, so its attempt is aborted at its first heartbeat. Rows locked in id order, as
 * every statement that updates several rows. One statement: pooler-safe.
 */
export function askCancelJobsSql(target: JobTable): string {
  const { table, c } = target;
  const states = CANCELABLE_STATES.map((state) => `'${state}'`).join(', ');
  const waiting = (then: string, otherwise: string) =>
    `CASE WHEN job.${c.state} = 'processing' THEN ${otherwise} ELSE ${then} END`;
  return (
    `UPDATE ${table} AS job SET ${c.cancel} = true, ` +
    `${c.state} = ${waiting("'canceled'", `job.${c.state}`)}, ` +
    `${c.finishedAt} = ${waiting('now()', `job.${c.finishedAt}`)}, ` +
    `${c.failureMessage} = ${waiting(`'${CANCELED_BY_OPERATOR}'`, `job.${c.failureMessage}`)} ` +
    `FROM (SELECT ${c.id} AS id FROM ${table} WHERE ${queueFilterSql(target, 5)} ` +
    `AND ${c.state} IN (${states}) AND ${jobFilterSql(target, 1)} ORDER BY ${c.id} FOR UPDATE) AS target ` +
    `WHERE job.${c.id} = target.id AND job.${c.state} IN (${states}) RETURNING job.${c.id}::text AS id`
  );
}
