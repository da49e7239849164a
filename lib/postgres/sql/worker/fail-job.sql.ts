import type { JobTable } from './job-table';

/**
 * A failed attempt: `errored` and due again after a delay, or `failed` once the attempts are
 * used up or when it must not be retried; the failure counted and its message stored.
 *
 * Parameters: $1 id, $2 claim, $3 max attempts, $4 message, $5 do not retry (boolean),
 * $6 retry delay (ms). Returns the new state; no row: the attempt no longer held the row.
 *
 * Safe: fenced by the claim and `state = 'processing'`; one row, one statement: pooler-safe.
 */
export function failJobSql({ table, c, idType }: JobTable): string {
  return (
    `UPDATE ${table} SET ${c.state} = CASE WHEN $5 OR ${c.numFailures} + 1 >= $3 THEN 'failed' ELSE 'errored' END, ` +
    `${c.numFailures} = ${c.numFailures} + 1, ${c.failureMessage} = $4, ${c.finishedAt} = now(), ` +
    `${c.processAfter} = now() + ($6::float8 * interval '1 millisecond') ` +
    `WHERE ${c.id} = $1::${idType} AND ${c.workerHostname} = $2 AND ${c.state} = 'processing' ` +
    `RETURNING ${c.state} AS state`
  );
}
