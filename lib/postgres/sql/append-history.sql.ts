/**
 * Appends a batch of runs and adds them to their hourly and daily stats, in one statement: the
 * stats count only the rows inserted, so a batch sent again (a timeout that landed) is neither
 * kept nor counted twice.
 *
 * Parameters: $1 the runs, a JSON array of { routine, replica, at, status, due_at, record }.
 * One statement: pooler-safe.
 */
export function appendHistorySql(history: string, stats: string): string {
  return `WITH batch AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb)
    AS r(routine text, replica text, at double precision, status text, due_at double precision, record jsonb)
), inserted AS (
  INSERT INTO ${history} (routine, at, replica, status, due_at, record)
  SELECT routine, at, replica, status, due_at, record FROM batch
  ON CONFLICT DO NOTHING
  RETURNING routine, at, status, (record->>'durationMs')::double precision AS duration
), grains AS (
  SELECT routine, 'hour' AS grain, (floor(at / 3600000) * 3600000)::bigint AS start, status, duration FROM inserted
  UNION ALL
  SELECT routine, 'day', (floor(at / 86400000) * 86400000)::bigint, status, duration FROM inserted
)
INSERT INTO ${stats} AS s (routine, grain, start, runs, succeeded, failed, cancelled, skipped, timed, total, min, max)
SELECT routine, grain, start,
  count(*) FILTER (WHERE status <> 'skipped'),
  count(*) FILTER (WHERE status = 'succeeded'),
  count(*) FILTER (WHERE status = 'failed'),
  count(*) FILTER (WHERE status = 'cancelled'),
  count(*) FILTER (WHERE status = 'skipped'),
  count(duration) FILTER (WHERE status <> 'skipped'),
  coalesce(sum(duration) FILTER (WHERE status <> 'skipped'), 0),
  min(duration) FILTER (WHERE status <> 'skipped'),
  max(duration) FILTER (WHERE status <> 'skipped')
FROM grains GROUP BY routine, grain, start
ON CONFLICT (routine, grain, start) DO UPDATE SET
  runs = s.runs + EXCLUDED.runs,
  succeeded = s.succeeded + EXCLUDED.succeeded,
  failed = s.failed + EXCLUDED.failed,
  cancelled = s.cancelled + EXCLUDED.cancelled,
  skipped = s.skipped + EXCLUDED.skipped,
  timed = s.timed + EXCLUDED.timed,
  total = s.total + EXCLUDED.total,
  min = LEAST(s.min, EXCLUDED.min),
  max = GREATEST(s.max, EXCLUDED.max)`;
}
