/**
 * Records a migration's progress and appends a sample (database time in ms, progress) to its
 * rate measures, keeping the newest ones.
 *
 * Parameters: $1 id, $2 progress (0..1), $3 the runner's fencing epoch, $4 how many samples
 * are kept (`MIGRATION_SAMPLES`). One row updated: recorded.
 *
 * Safe: fenced: a runner with a lower epoch than the last writer's changes nothing. One
 * statement: pooler-safe.
 */
export function setMigrationProgressSql(migrations: string): string {
  return (
    `UPDATE ${migrations} SET progress = $2, epoch = $3, updated_at = now(), samples = ` +
    `(CASE WHEN jsonb_array_length(samples) >= $4::int THEN samples - 0 ELSE samples END) ` +
    `|| jsonb_build_array(jsonb_build_array((extract(epoch from now()) * 1000)::bigint, $2::float8)) ` +
    `WHERE id = $1 AND epoch <= $3`
  );
}
