import type { SkipReason } from '../core';
import type { RunRecord } from './run-history';

/** Figures over the runs a routine keeps in its history (the last 100 by default). */
export interface RunStats {
  /** Runs kept (skipped ticks aside). */
  runs: number;
  succeeded: number;
  failures: number;
  cancelled: number;
  /** Skipped ticks kept, by reason. */
  skipped: Partial<Record<SkipReason, number>>;
  /** Over the kept runs' durations, in ms; absent before the first run. */
  durationMs?: { min: number; avg: number; p50: number; p95: number; max: number };
}

/**
 * Stats over history records. Percentiles are nearest-rank: p95 is the smallest duration that
 * at least 95% of the runs did not exceed.
 */
export function runStats(records: readonly RunRecord[]): RunStats {
  const stats: RunStats = { runs: 0, succeeded: 0, failures: 0, cancelled: 0, skipped: {} };
  const durations: number[] = [];
  for (const record of records) {
    if (record.status === 'skipped') {
      const reason = record.reason!;
      stats.skipped[reason] = (stats.skipped[reason] ?? 0) + 1;
      continue;
    }
    stats.runs++;
    if (record.status === 'succeeded') stats.succeeded++;
    else if (record.status === 'failed') stats.failures++;
    else stats.cancelled++;
    durations.push(record.durationMs!);
  }
  const durationMs = summarizeDurations(durations);
  if (durationMs) stats.durationMs = durationMs;
  return stats;
}

/** min / avg / p50 / p95 / max of some durations (sorted in place); undefined for none. */
export function summarizeDurations(
  durations: number[],
): { min: number; avg: number; p50: number; p95: number; max: number } | undefined {
  if (durations.length === 0) return undefined;
  durations.sort((a, b) => a - b);
  const sum = durations.reduce((total, duration) => total + duration, 0);
  return {
    min: durations[0],
    avg: sum / durations.length,
    p50: nearestRank(durations, 0.5),
    p95: nearestRank(durations, 0.95),
    max: durations[durations.length - 1],
  };
}

function nearestRank(sorted: readonly number[], quantile: number): number {
  return sorted[Math.max(0, Math.ceil(quantile * sorted.length) - 1)];
}
