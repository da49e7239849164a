/**
 * A routine's runs, newest first: in a time range, of one replica if asked, at most a limit.
 *
 * Parameters: $1 routine, $2 from (ms, or null), $3 to (ms, or null), $4 replica (or null),
 * $5 limit. One statement: pooler-safe.
 */
export function readHistorySql(history: string): string {
  return (
    `SELECT replica, at, record FROM ${history} WHERE routine = $1 ` +
    `AND ($2::double precision IS NULL OR at >= $2) AND ($3::double precision IS NULL OR at <= $3) ` +
    `AND ($4::text IS NULL OR replica = $4) ORDER BY at DESC LIMIT $5`
  );
}
