import type { JobTable } from './job-table';

/**
 * Rows `processing` with no heartbeat for a while (their worker died): back to `queued`, or
 * `failed` once reset more than the limit; the claim cleared, so the dead attempt's writes
 * are refused.
 *
 * Parameters: $1 stalled after (ms), $2 max resets, $3 the queue's name (the library's job
 * table only). Returns the new state of each row reset.
 *
 * Safe: rows locked in id order, as every statement that updates several rows (no deadlock
 * with a heartbeat or a batch of completions). One statement: pooler-safe.
 */
export function resetStalledJobsSql({ table, c, byQueue }: JobTable): string {
  const queue = byQueue ? '"queue" = $3' : 'true';
  const failed = `${c.numResets} + 1 > $2`;
  return (
    `UPDATE ${table} AS job SET ${c.state} = CASE WHEN ${failed} THEN 'failed' ELSE 'queued' END, ` +
    `${c.numResets} = ${c.numResets} + 1, ` +
    `${c.failureMessage} = CASE WHEN ${failed} THEN 'stalled: no heartbeat, reset too often' ELSE ${c.failureMessage} END, ` +
    `${c.finishedAt} = CASE WHEN ${failed} THEN now() ELSE NULL END, ` +
    `${c.startedAt} = NULL, ${c.lastHeartbeatAt} = NULL, ${c.workerHostname} = NULL ` +
    `FROM (SELECT ${c.id} AS id FROM ${table} WHERE ${queue} AND ${c.state} = 'processing' ` +
    `AND ${c.lastHeartbeatAt} < now() - ($1::float8 * interval '1 millisecond') ORDER BY ${c.id} FOR UPDATE) AS locked ` +
    `WHERE job.${c.id} = locked.id RETURNING job.${c.state} AS state`
  );
}
