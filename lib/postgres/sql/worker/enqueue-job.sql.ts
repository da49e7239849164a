/**
 * Adds a job to a plain queue of the library's job table and announces it on `channel`
 * (delivered when the transaction commits: inside the app's transaction, only if it does).
 *
 * Parameters: $1 queue, $2 payload (JSON text), $3 deduplication key or NULL, $4 priority,
 * $5 not before (timestamptz) or NULL. Returns the new row's id as text; no row when a job
 * with the same key is queued, processing or waiting to retry.
 *
 * Safe: the partial unique index on (queue, key) makes the deduplication race-free;
 * `pg_notify` is transactional. One statement: pooler-safe.
 */
export function enqueueJobSql(jobs: string, channel: string): string {
  return (
    `WITH job AS (INSERT INTO ${jobs} (queue, payload, key, priority, process_after) ` +
    `VALUES ($1, $2::jsonb, $3, $4, $5) ON CONFLICT (queue, key) WHERE key IS NOT NULL AND state IN ('queued', 'processing', 'errored') ` +
    `DO NOTHING RETURNING id) SELECT id::text AS id, pg_notify('${channel}', $1) FROM job`
  );
}
