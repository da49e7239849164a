/**
 * Every out-of-band migration's state, by id; times as epoch ms (text), the epoch as text.
 *
 * No parameters. A plain read: pooler-safe.
 */
export function listMigrationsSql(migrations: string): string {
  return (
    `SELECT id, description, progress, reverse, non_destructive, ` +
    `(extract(epoch from created_at) * 1000)::bigint::text AS created_ms, ` +
    `(extract(epoch from updated_at) * 1000)::bigint::text AS updated_ms, epoch::text AS epoch, samples ` +
    `FROM ${migrations} ORDER BY id`
  );
}
