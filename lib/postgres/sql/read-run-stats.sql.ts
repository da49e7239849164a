/**
 * A routine's stats buckets of one grain, oldest first.
 *
 * Parameters: $1 routine, $2 grain ('hour' | 'day'), $3 from (ms, or null), $4 to (ms, or
 * null). One statement: pooler-safe.
 */
export function readRunStatsSql(stats: string): string {
  return (
    `SELECT start, runs, succeeded, failed, cancelled, skipped, timed, total, min, max ` +
    `FROM ${stats} WHERE routine = $1 AND grain = $2 ` +
    `AND ($3::bigint IS NULL OR start >= $3) AND ($4::bigint IS NULL OR start <= $4) ORDER BY start`
  );
}
