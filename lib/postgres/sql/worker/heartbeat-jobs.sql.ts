import type { JobTable } from './job-table';

/**
 * Marks the attempts still held as alive (heartbeat now) and answers which those are, and
 * whether an operator asked to cancel each.
 *
 * Parameters: $1 ids (array of the id's type), $2 text[] their claims, pairwise.
 * Returns (id as text, claim, cancel) per attempt still `processing` under its claim.
 *
 * Safe: a worker's heartbeat and its batched completions run at once on two connections and
 * a reset may meet either: every statement that updates several rows locks them in one
 * order, by id (`ORDER BY id FOR UPDATE`), or two of them could deadlock and PostgreSQL would
 * fail one after a second. One statement: pooler-safe.
 */
export function heartbeatJobsSql({ table, c, idType }: JobTable): string {
  return (
    `UPDATE ${table} AS job SET ${c.lastHeartbeatAt} = now() FROM ` +
    `(SELECT j.${c.id} AS id FROM ${table} AS j JOIN unnest($1::${idType}[], $2::text[]) AS mine(id, claim) ` +
    `ON j.${c.id} = mine.id AND j.${c.workerHostname} = mine.claim WHERE j.${c.state} = 'processing' ` +
    `ORDER BY j.${c.id} FOR UPDATE OF j) AS locked ` +
    `WHERE job.${c.id} = locked.id RETURNING job.${c.id}::text AS id, job.${c.workerHostname} AS claim, job.${c.cancel} AS cancel`
  );
}
