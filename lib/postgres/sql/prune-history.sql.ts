/**
 * Prunes the run history of every routine: runs older than a time, runs past the newest N of
 * their routine, hourly and daily buckets older than their own times. One statement (the
 * deletes share one snapshot: a run old and past N is deleted once); a scan of the table, run
 * by one replica once per period.
 *
 * Parameters: $1 runs before (ms), $2 runs kept per routine, $3 hourly buckets before (ms),
 * $4 daily buckets before (ms). Pooler-safe.
 */
export function pruneHistorySql(history: string, stats: string): string {
  return `WITH old AS (
  DELETE FROM ${history} WHERE at < $1
), extra AS (
  DELETE FROM ${history} WHERE ctid IN (
    SELECT ctid FROM (
      SELECT ctid, row_number() OVER (PARTITION BY routine ORDER BY at DESC) AS n FROM ${history}
    ) ranked WHERE n > $2
  )
)
DELETE FROM ${stats} WHERE (grain = 'hour' AND start < $3) OR (grain = 'day' AND start < $4)`;
}
