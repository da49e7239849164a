import {
  bucketStart,
  type RunHistoryBounds,
  type RunHistoryQuery,
  type RunHistoryStore,
  type RunStatsBucket,
  type RunStatsGrain,
  type RunStatsQuery,
  type StoredRun,
} from './ports';

/** A bucket as it is added to: the duration's count kept apart from the runs (skips have none). */
interface OpenBucket {
  start: number;
  runs: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  skipped: number;
  timed: number;
  total: number;
  min: number;
  max: number;
}

/**
 * Run history in this process: the in-memory coordinator's. Runs are kept per routine, oldest
 * first (appends come in time order from each replica; a read sorts what it returns), stats per
 * routine and grain keyed by the bucket's start.
 */
export class InMemoryRunHistory implements RunHistoryStore {
  private readonly runs = new Map<string, StoredRun[]>();
  private readonly buckets = new Map<string, Map<number, OpenBucket>>();
  /** The runs kept, by identity: a batch sent again keeps and counts each run once. */
  private readonly kept = new Set<string>();

  async append(runs: readonly StoredRun[], keepRuns?: number): Promise<void> {
    const touched = new Set<string>();
    for (const run of runs) {
      const identity = identityOf(run);
      if (this.kept.has(identity)) continue;
      this.kept.add(identity);
      const kept = this.runs.get(run.routine) ?? [];
      this.runs.set(run.routine, kept);
      kept.push(structuredClone(run));
      touched.add(run.routine);
      this.count(run, 'hour');
      this.count(run, 'day');
    }
    if (keepRuns === undefined) return;
    for (const routine of touched) this.trim(routine, keepRuns);
  }

  async read(routine: string, query: RunHistoryQuery): Promise<StoredRun[]> {
    const { from = -Infinity, to = Infinity, replica, limit } = query;
    // Reversed first: runs at the same time come newest appended first (the sort is stable).
    return (this.runs.get(routine) ?? [])
      .filter((run) => run.at >= from && run.at <= to)
      .filter((run) => replica === undefined || run.replica === replica)
      .reverse()
      .sort((a, b) => b.at - a.at)
      .slice(0, limit)
      .map((run) => structuredClone(run));
  }

  async stats(routine: string, query: RunStatsQuery): Promise<RunStatsBucket[]> {
    const { by, from = -Infinity, to = Infinity } = query;
    const buckets = this.buckets.get(`${by}\u0000${routine}`) ?? new Map<number, OpenBucket>();
    return [...buckets.values()]
      .filter((bucket) => bucket.start >= from && bucket.start <= to)
      .sort((a, b) => a.start - b.start)
      .map(closedBucket);
  }

  async prune(bounds: RunHistoryBounds): Promise<void> {
    for (const [routine, kept] of this.runs) {
      const fresh = kept.filter((run) => run.at >= bounds.runsBefore);
      for (const run of kept) if (run.at < bounds.runsBefore) this.kept.delete(identityOf(run));
      this.runs.set(routine, fresh);
      this.trim(routine, bounds.runsPerRoutine);
    }
    for (const [key, buckets] of this.buckets) {
      const before = key.startsWith('hour') ? bounds.hoursBefore : bounds.daysBefore;
      for (const start of buckets.keys()) if (start < before) buckets.delete(start);
    }
  }

  /** Keeps a routine's newest `keep` runs. */
  private trim(routine: string, keep: number): void {
    const kept = this.runs.get(routine);
    if (!kept || kept.length <= keep) return;
    kept.sort((a, b) => a.at - b.at);
    for (const run of kept.splice(0, kept.length - keep)) this.kept.delete(identityOf(run));
  }

  private count(run: StoredRun, by: RunStatsGrain): void {
    const key = `${by}\u0000${run.routine}`;
    const buckets = this.buckets.get(key) ?? new Map<number, OpenBucket>();
    this.buckets.set(key, buckets);
    const start = bucketStart(run.at, by);
    let bucket = buckets.get(start);
    if (!bucket) {
      bucket = emptyBucket(start);
      buckets.set(start, bucket);
    }
    addRun(bucket, run);
  }
}

/** What makes a run the same run (see `RunHistoryStore.append`). */
function identityOf(run: StoredRun): string {
  return `${run.routine}\u0000${run.replica}\u0000${run.at}\u0000${run.status}\u0000${run.dueAt}`;
}

function emptyBucket(start: number): OpenBucket {
  return {
    start,
    runs: 0,
    succeeded: 0,
    failed: 0,
    cancelled: 0,
    skipped: 0,
    timed: 0,
    total: 0,
    min: Infinity,
    max: -Infinity,
  };
}

/** Counts one run in its bucket. */
function addRun(bucket: OpenBucket, run: StoredRun): void {
  bucket[run.status]++;
  if (run.status === 'skipped') return;
  bucket.runs++;
  if (run.durationMs === undefined) return;
  bucket.timed++;
  bucket.total += run.durationMs;
  bucket.min = Math.min(bucket.min, run.durationMs);
  bucket.max = Math.max(bucket.max, run.durationMs);
}

/** A bucket as `stats()` gives it: the duration summary only when a run was timed. */
function closedBucket(bucket: OpenBucket): RunStatsBucket {
  const { start, runs, succeeded, failed, cancelled, skipped, timed, total, min, max } = bucket;
  const closed: RunStatsBucket = { start, runs, succeeded, failed, cancelled, skipped };
  if (timed > 0) closed.durationMs = { min, avg: total / timed, max, total };
  return closed;
}
