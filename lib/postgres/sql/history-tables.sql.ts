/**
 * DDL of the run history: raw runs, one row each, keyed so that a batch sent twice keeps each
 * run once (its primary key also serves reads, a routine's runs by time); and stats, one row
 * per routine, grain ('hour' | 'day') and bucket start. Times are wall-clock ms (`at` keeps the
 * fraction: runs within one ms stay in order). Idempotent.
 */
export function historyTablesSql(history: string, stats: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${history} (routine text NOT NULL, at double precision NOT NULL, ` +
      `replica text NOT NULL, status text NOT NULL, due_at double precision NOT NULL, ` +
      `record jsonb NOT NULL, PRIMARY KEY (routine, at, replica, status, due_at));`,
    `CREATE TABLE IF NOT EXISTS ${stats} (routine text NOT NULL, grain text NOT NULL, ` +
      `start bigint NOT NULL, runs bigint NOT NULL, succeeded bigint NOT NULL, ` +
      `failed bigint NOT NULL, cancelled bigint NOT NULL, skipped bigint NOT NULL, ` +
      `timed bigint NOT NULL, total double precision NOT NULL, min double precision, ` +
      `max double precision, PRIMARY KEY (routine, grain, start));`,
  ];
}
