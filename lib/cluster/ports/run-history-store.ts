/**
 * One run (or skipped tick) as the engine keeps it: plain data, JSON-safe, times in wall-clock
 * ms. The shape of `registry.history()`'s records plus who ran it, and `at`, the time it is
 * kept and read by (its start; for a skipped tick, when it was skipped).
 */
export interface StoredRun {
  routine: string;
  /** The replica that ran it: its id as the dashboard shows it (`host:pid:start`). */
  replica: string;
  /** When it started (a skipped tick: when it was skipped); the order and range of reads. */
  at: number;
  id?: number;
  status: 'succeeded' | 'failed' | 'cancelled' | 'skipped';
  reason?: string;
  dueAt: number;
  startedAt?: number;
  durationMs?: number;
  error?: { name: string; message: string; stack?: string };
  slot?: number;
  epoch?: number;
  restartDelayMs?: number;
  backfill?: true;
}

/** What `RunHistoryStore.read` returns: newest first (by `at`), at most `limit`. */
export interface RunHistoryQuery {
  /** Runs at or after this wall time (ms). */
  from?: number;
  /** Runs at or before this wall time (ms). */
  to?: number;
  /** Only this replica's runs. */
  replica?: string;
  limit: number;
}

/** The width of a stats bucket: an hour or a UTC day. */
export type RunStatsGrain = 'hour' | 'day';

/** Which buckets `RunHistoryStore.stats` returns: starts in `[from, to]`, oldest first. */
export interface RunStatsQuery {
  by: RunStatsGrain;
  from?: number;
  to?: number;
}

/**
 * The runs of one routine that fell in one hour (or UTC day), counted as they were appended,
 * whatever was pruned of the raw runs since. Empty buckets are not kept.
 */
export interface RunStatsBucket {
  /** The bucket's start, wall-clock ms (a multiple of the hour, or midnight UTC). */
  start: number;
  runs: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** Skipped ticks: not runs, so not in `runs`. */
  skipped: number;
  /** Over the runs that ended (not skipped ticks); absent when none did. */
  durationMs?: { min: number; avg: number; max: number; total: number };
}

/** How much history the engine keeps: raw runs by age and count, stats by age. */
export interface RunHistoryBounds {
  /** Raw runs that started before this wall time (ms) are pruned. */
  runsBefore: number;
  /** At most this many raw runs per routine, the newest. */
  runsPerRoutine: number;
  /** Hourly buckets that start before this are pruned. */
  hoursBefore: number;
  /** Daily buckets that start before this are pruned. */
  daysBefore: number;
}

/**
 * Run history kept by the engine, for every replica: the raw runs of each routine (bounded by
 * age and count) and per-hour and per-day stats (bounded by age alone).
 *
 * - `append` stores a batch of runs (written by the replica that ran them) and adds them to
 *   their buckets' stats, in one atomic operation per batch where the engine allows. A batch
 *   sent again (its first try timed out but landed) must not keep or count a run twice: a run
 *   is the same run when its routine, replica, `at`, status and `dueAt` are. `keepRuns`, when
 *   given, lets the engine trim a routine to that many runs on the way.
 * - `read` gives a routine's runs newest first; `stats` its buckets oldest first.
 * - `prune` drops what is out of bounds for every routine. It is called once per period for
 *   the whole cluster (the writer claims a slot for it), so it may cost a scan.
 */
export interface RunHistoryStore {
  append(runs: readonly StoredRun[], keepRuns?: number): Promise<void>;
  read(routine: string, query: RunHistoryQuery): Promise<StoredRun[]>;
  stats(routine: string, query: RunStatsQuery): Promise<RunStatsBucket[]>;
  prune(bounds: RunHistoryBounds): Promise<void>;
}

/** One hour, in ms: the hourly buckets' width. */
export const HOUR_MS = 3_600_000;
/** One UTC day, in ms: the daily buckets' width (UTC days have no DST). */
export const DAY_MS = 86_400_000;

/** The start of the bucket `at` falls in. */
export function bucketStart(at: number, by: RunStatsGrain): number {
  const width = by === 'hour' ? HOUR_MS : DAY_MS;
  return Math.floor(at / width) * width;
}
