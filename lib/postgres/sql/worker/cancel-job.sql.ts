import type { JobTable } from './job-table';

/**
 * An attempt an operator canceled (the cancel column): `canceled`, with a message.
 *
 * Parameters: $1 id, $2 claim, $3 message. One row updated: it still held the row.
 *
 * Safe: fenced by the claim and `state = 'processing'`; one statement: pooler-safe.
 */
export function cancelJobSql({ table, c, idType }: JobTable): string {
  return (
    `UPDATE ${table} SET ${c.state} = 'canceled', ${c.finishedAt} = now(), ${c.failureMessage} = $3 ` +
    `WHERE ${c.id} = $1::${idType} AND ${c.workerHostname} = $2 AND ${c.state} = 'processing'`
  );
}
