import type { RunStatsGrain } from '../../core';

/**
 * What `registry.history(name, options)` reads from the run history the coordinator's engine
 * keeps for every replica: any of `from`, `to` or `replica` asks for it (and makes the call
 * return a Promise). Without an engine history, the same options filter this replica's ring.
 *
 * @example
 * const failed = (await registry.history('invoice-sync', { from: Date.now() - 3_600_000 }))
 *   .filter((run) => run.status === 'failed');
 */
export interface RunHistoryOptions {
  /** Runs that started at or after this (a skipped tick: was due). */
  from?: Date | number;
  /** ...and at or before this. */
  to?: Date | number;
  /** Only the runs of this replica (its id, `host:pid:start`, as the dashboard shows it). */
  replica?: string;
  /** At most this many, newest first. Default: 100; at most 1,000. */
  limit?: number;
}

/**
 * What `registry.runStats(name, options)` counts: hourly or daily (UTC) buckets, oldest first.
 *
 * @example
 * const today = await registry.runStats('invoice-sync', { by: 'hour', from: Date.now() - 86_400_000 });
 */
export interface RunStatsOptions {
  by: RunStatsGrain;
  /** Buckets that start at or after this. */
  from?: Date | number;
  /** ...and at or before this. */
  to?: Date | number;
}
