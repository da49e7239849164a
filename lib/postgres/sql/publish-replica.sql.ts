/**
 * Publishes (or refreshes) a replica's snapshot until its ttl passes, and prunes the replicas
 * gone for more than a minute.
 *
 * Parameters: $1 the replica's id, $2 its snapshot (JSON), $3 ttl (ms).
 *
 * Safe: expiry on the database's clock; never prunes the caller's own row. One statement:
 * pooler-safe.
 */
export function publishReplicaSql(replicas: string): string {
  return (
    `WITH gone AS (DELETE FROM ${replicas} WHERE expires_at < now() - interval '1 minute' AND id <> $1) ` +
    `INSERT INTO ${replicas} (id, snapshot, expires_at) VALUES ($1, $2, now() + $3::float8 * interval '1 millisecond') ` +
    `ON CONFLICT (id) DO UPDATE SET snapshot = EXCLUDED.snapshot, expires_at = EXCLUDED.expires_at`
  );
}
