import type { Clock, PeriodicRoutine } from '../../core';
import { runStats, type RunRecord } from '../../observability';
import type { DescribedRun, RoutineDescription } from '../interfaces/routine-description.interface';
import type { BuiltRoutine } from '../routine.factory';
import { snapshotOf } from './registered-routine';

/** Due times and runs `describe()` lists. */
const DESCRIBED_RUNS = 10;

/** What {@link RoutinesRegistry.describe} answers for a periodic routine. */
export function describeRoutine(
  name: string,
  routine: PeriodicRoutine,
  entry: BuiltRoutine,
  clock: Clock,
): RoutineDescription {
  const info = snapshotOf(entry);
  // The ring read once: the last runs, the stats and the backfill count all come from it.
  const kept = entry.history?.records(clock) ?? [];
  const lastRuns: DescribedRun[] = kept.slice(0, DESCRIBED_RUNS).map(describedRun);
  if (!entry.history && info.lastRun) {
    const { status, dueAt, startedAt, durationMs, runId } = info.lastRun;
    lastRuns.push({ runId, status, dueAt, startedAt, durationMs });
  }
  const stats = entry.history ? runStats(kept) : undefined;
  const description: RoutineDescription = {
    name,
    state: info.state,
    schedule: info.schedule ?? '',
    scope: info.scope,
    overlap: routine.overlap,
    nextDueAt: routine.nextRuns(DESCRIBED_RUNS),
    counters: {
      ...info.counters,
      skippedByReason: stats?.skipped ?? {},
      backfilled: kept.filter((run) => run.backfill).length,
      caughtUp: info.catchup?.caughtUp ?? 0,
      missed: info.catchup?.missed ?? 0,
    },
    lastRuns,
  };
  if (info.paused) description.paused = info.paused;
  return description;
}

/** A kept run as `describe()` lists it: its error as a message, and how late it started. */
function describedRun(record: RunRecord): DescribedRun {
  const run: DescribedRun = { status: record.status, dueAt: record.dueAt };
  if (record.backfill) run.backfill = true;
  if (record.id !== undefined) run.runId = record.id;
  if (record.startedAt !== undefined) {
    run.startedAt = record.startedAt;
    run.lateByMs = record.startedAt - record.dueAt;
  }
  if (record.durationMs !== undefined) run.durationMs = record.durationMs;
  if (record.reason !== undefined) run.reason = record.reason;
  if (record.error !== undefined) run.error = record.error.message;
  return run;
}
