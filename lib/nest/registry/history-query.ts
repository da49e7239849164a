import { InMemoryRunHistory } from '../../cluster/in-memory-run-history';
import {
  type Clock,
  type RunHistoryQuery,
  type RunStatsBucket,
  type RunStatsGrain,
  type RunStatsQuery,
  type StoredRun,
} from '../../core';
import type { RunRecord } from '../../observability';
import type {
  RunHistoryOptions,
  RunStatsOptions,
} from '../interfaces/run-history-options.interface';
import type { BuiltRoutine } from '../routine.factory';

/** `limit` when none is given, and the most one read returns. */
export const DEFAULT_READ_LIMIT = 100;
export const MAX_READ_LIMIT = 1_000;

/** Whether the options ask for the cluster's history (a range or a replica), not the ring's. */
export function asksForRange(options: object | undefined): boolean {
  if (options === undefined || options === null) return false;
  const { from, to, replica } = options as RunHistoryOptions;
  return from !== undefined || to !== undefined || replica !== undefined;
}

/** The options as the store takes them; a bad value is a RangeError naming it. */
export function historyQuery(options: RunHistoryOptions): RunHistoryQuery {
  const limit = options.limit ?? DEFAULT_READ_LIMIT;
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_READ_LIMIT)
    throw new RangeError(
      `history: limit must be a whole number from 0 to ${MAX_READ_LIMIT}, not ${String(limit)}`,
    );
  const query: RunHistoryQuery = { limit };
  const from = instant('from', options.from);
  const to = instant('to', options.to);
  if (from !== undefined) query.from = from;
  if (to !== undefined) query.to = to;
  if (options.replica !== undefined) {
    if (typeof options.replica !== 'string' || options.replica === '')
      throw new RangeError(`history: replica must be a replica id, not ${String(options.replica)}`);
    query.replica = options.replica;
  }
  return query;
}

/** The stats options checked: `by` is 'hour' or 'day'. */
export function statsQuery(options: RunStatsOptions): RunStatsQuery {
  const by: unknown = options?.by;
  if (by !== 'hour' && by !== 'day')
    throw new RangeError(`runStats: by must be 'hour' or 'day', not ${String(by)}`);
  const query: RunStatsQuery = { by: by as RunStatsGrain };
  const from = instant('from', options.from);
  const to = instant('to', options.to);
  if (from !== undefined) query.from = from;
  if (to !== undefined) query.to = to;
  return query;
}

/** A `Date` or wall-clock ms as ms. */
function instant(option: string, value: Date | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms))
    throw new RangeError(
      `history: ${option} must be a Date or wall-clock ms, not ${String(value)}`,
    );
  return ms;
}

/** A run from the engine as `registry.history()` gives it: its replica kept, routine and `at` left out. */
export function recordOf(run: StoredRun): RunRecord {
  const { routine: _routine, at: _at, ...record } = run;
  return record as RunRecord;
}

/** This replica's ring, oldest first, as the engine would hold it: each record tagged with this replica. */
export function ringRuns(
  routine: string,
  entry: BuiltRoutine,
  clock: Clock,
  replica: string,
): StoredRun[] {
  // Oldest first, as an engine receives them.
  const records = (entry.history?.records(clock) ?? []).reverse();
  return records.map((record) => ({
    ...record,
    routine,
    replica,
    // A skipped tick has no start in the ring: its due time stands for it.
    at: record.startedAt ?? record.dueAt,
  }));
}

/** The ring read as the engine reads: by range and replica, newest first. */
export async function readRing(runs: StoredRun[], query: RunHistoryQuery): Promise<RunRecord[]> {
  const store = new InMemoryRunHistory();
  await store.append(runs);
  return (await store.read(runs[0]?.routine ?? '', query)).map(recordOf);
}

/** The ring's runs in hourly or daily buckets, as the engine counts them. */
export async function ringStats(
  runs: StoredRun[],
  query: RunStatsQuery,
): Promise<RunStatsBucket[]> {
  const store = new InMemoryRunHistory();
  await store.append(runs);
  return store.stats(runs[0]?.routine ?? '', query);
}
