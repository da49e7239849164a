import type { JobTable } from './job-table';

/**
 * Completes the attempts still held, in one statement (a worker batches its completions).
 *
 * Parameters: $1 ids (array of the id's type), $2 text[] their claims, pairwise.
 * Returns (id as text, claim) per attempt completed.
 *
 * Safe: fenced by the claim and `state = 'processing'` (a reset or another worker's claim
 * wins); rows locked in id order, as `heartbeatJobsSql` (no deadlock between the two).
 * One statement: pooler-safe.
 */
export function completeJobsSql({ table, c, idType }: JobTable): string {
  return (
    `UPDATE ${table} AS job SET ${c.state} = 'completed', ${c.finishedAt} = now() FROM ` +
    `(SELECT j.${c.id} AS id FROM ${table} AS j JOIN unnest($1::${idType}[], $2::text[]) AS mine(id, claim) ` +
    `ON j.${c.id} = mine.id AND j.${c.workerHostname} = mine.claim WHERE j.${c.state} = 'processing' ` +
    `ORDER BY j.${c.id} FOR UPDATE OF j) AS locked ` +
    `WHERE job.${c.id} = locked.id RETURNING job.${c.id}::text AS id, job.${c.workerHostname} AS claim`
  );
}
