import {
  DAY_MS,
  HOUR_MS,
  type RunHistoryBounds,
  type RunHistoryQuery,
  type RunHistoryStore,
  type RunStatsBucket,
  type RunStatsQuery,
  type StoredRun,
} from '../cluster/ports';
import type { PostgresQuery } from './postgres-query';
import { appendHistorySql } from './sql/append-history.sql';
import { pruneHistorySql } from './sql/prune-history.sql';
import { readHistorySql } from './sql/read-history.sql';
import { readRunStatsSql } from './sql/read-run-stats.sql';

interface StatsRow extends Record<string, unknown> {
  start: string;
  runs: string;
  succeeded: string;
  failed: string;
  cancelled: string;
  skipped: string;
  timed: string;
  total: number;
  min: number | null;
  max: number | null;
}

/**
 * Run history in two tables of the coordinator's schema (see `historyTable`): one row per run,
 * its record as JSON; one row per routine, grain and bucket with the counts and durations. An
 * append is one statement for the batch; pruning one statement for every routine.
 */
export class PostgresRunHistory implements RunHistoryStore {
  private readonly sql: Record<'append' | 'read' | 'stats' | 'prune', string>;

  constructor(
    private readonly query: PostgresQuery,
    history: string,
    stats: string,
  ) {
    this.sql = {
      append: appendHistorySql(history, stats),
      read: readHistorySql(history),
      stats: readRunStatsSql(stats),
      prune: pruneHistorySql(history, stats),
    };
  }

  /** `keepRuns` is left to `prune`: trimming a routine on every append would rank its rows each time. */
  async append(runs: readonly StoredRun[]): Promise<void> {
    if (runs.length === 0) return;
    const rows = runs.map((run) => {
      const { routine, replica, at, ...record } = run;
      return { routine, replica, at, status: run.status, due_at: run.dueAt, record };
    });
    await this.query(this.sql.append, [JSON.stringify(rows)]);
  }

  async read(routine: string, query: RunHistoryQuery): Promise<StoredRun[]> {
    const { rows } = await this.query<{ replica: string; at: number; record: object }>(
      this.sql.read,
      [routine, query.from ?? null, query.to ?? null, query.replica ?? null, query.limit],
    );
    return rows.map(
      (row) => ({ routine, replica: row.replica, at: row.at, ...row.record }) as StoredRun,
    );
  }

  async stats(routine: string, query: RunStatsQuery): Promise<RunStatsBucket[]> {
    const width = query.by === 'hour' ? HOUR_MS : DAY_MS;
    // A bucket counts when it starts in the range (a `from` mid-bucket skips that bucket).
    const from = query.from === undefined ? null : Math.ceil(query.from / width) * width;
    const to = query.to === undefined ? null : Math.floor(query.to);
    const { rows } = await this.query<StatsRow>(this.sql.stats, [routine, query.by, from, to]);
    return rows.map(bucketOf);
  }

  async prune(bounds: RunHistoryBounds): Promise<void> {
    await this.query(this.sql.prune, [
      bounds.runsBefore,
      bounds.runsPerRoutine,
      bounds.hoursBefore,
      bounds.daysBefore,
    ]);
  }
}

/** bigint columns come back as strings from pg: small counts here, read as numbers. */
function bucketOf(row: StatsRow): RunStatsBucket {
  const bucket: RunStatsBucket = {
    start: Number(row.start),
    runs: Number(row.runs),
    succeeded: Number(row.succeeded),
    failed: Number(row.failed),
    cancelled: Number(row.cancelled),
    skipped: Number(row.skipped),
  };
  const timed = Number(row.timed);
  if (timed > 0) {
    const total = Number(row.total);
    bucket.durationMs = {
      min: Number(row.min),
      avg: total / timed,
      max: Number(row.max),
      total,
    };
  }
  return bucket;
}
