import type { OverlapPolicy, PauseStatus, RoutineState } from '../../core';
import type { RunRecord, RunStats } from '../../observability';
import type { RegisteredRoutineInfo, RegisteredRunOutcome } from './registered-routine.interface';

/** One of the last runs, as {@link RoutinesRegistry.describe} lists it. */
export interface DescribedRun {
  runId?: number;
  status: RunRecord['status'] | RegisteredRunOutcome['status'];
  /** When it was due (wall-clock ms) and when it actually started: `lateByMs` apart. */
  dueAt: number;
  startedAt?: number;
  lateByMs?: number;
  durationMs?: number;
  reason?: string;
  error?: string;
  backfill?: true;
}

/** What {@link RoutinesRegistry.describe} answers. */
export interface RoutineDescription {
  name: string;
  state: RoutineState;
  /** In words: 'every 1h', 'cron 0 3 * * * (Europe/Berlin)'. */
  schedule: string;
  scope: 'instance' | 'cluster';
  overlap: OverlapPolicy;
  /** The next 10 due times (wall-clock ms), bounds and `maxRuns` applied. */
  nextDueAt: number[];
  /** The routine's counters, and over its kept runs the skips by reason (`busy`: by overlap). */
  counters: RegisteredRoutineInfo['counters'] & {
    skippedByReason: RunStats['skipped'];
    /** Backfill runs among the kept ones. */
    backfilled: number;
    /** Late due times `catchup` ran, and the ones it counted missed (0 without `catchup`). */
    caughtUp: number;
    missed: number;
  };
  /** The last 10 runs and skipped ticks, newest first. */
  lastRuns: DescribedRun[];
  paused?: PauseStatus;
}
