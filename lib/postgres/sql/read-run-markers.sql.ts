/**
 * Reads a routine's run markers (the state of cluster/ports/run-markers.ts, as JSON), their
 * version for the compare-and-set of `writeRunMarkersSql`, the outcome the last run left, and the database's
 * clock in ms (`clock_timestamp()`: the time of this read, not of a transaction's start).
 *
 * Parameters: $1 routine. No row: the routine has none yet (see `insertRunMarkersSql`).
 *
 * Safe: a plain read, no lock held: pooler-safe.
 */
export function readRunMarkersSql(table: string): string {
  return (
    `SELECT state, version::text AS version, previous, ` +
    `extract(epoch from clock_timestamp()) * 1000 AS now FROM ${table} WHERE routine = $1`
  );
}
