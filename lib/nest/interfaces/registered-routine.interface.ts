import type { RoutineInfo, RunOutcome } from '../../core';
import type { RoutineHealth, RunStats } from '../../observability';

/**
 * An error as the registry shows it: plain data that survives `JSON.stringify` (an `Error`
 * serialises to `{}`). `stack` is there for code that reads it, and left out of JSON so that a
 * controller returning the registry's output does not expose it. A thrown value that is not
 * an Error has the name `NonError`.
 */
export interface SerializedError {
  name: string;
  message: string;
  readonly stack?: string;
}

/** A run's outcome as the registry shows it: its error, if any, serialised. */
export type RegisteredRunOutcome = Omit<RunOutcome, 'error'> & { error?: SerializedError };

/** A routine as the registry lists it: its info plus where it was declared. */
export interface RegisteredRoutineInfo extends Omit<RoutineInfo, 'lastRun'> {
  lastRun?: RegisteredRunOutcome;
  enabled: boolean;
  /** `ClassName.method`, `ClassName`, or `RoutinesRegistry.add` for a routine added at run time. */
  source: string;
  /** Whether `remove(name)` may remove it: routines added at run time can be, decorated ones cannot. */
  removable: boolean;
  /** Over the runs kept in its history; absent with `history: 0`. */
  stats?: RunStats;
  /** `late`, `slow`, `consecutiveFailures` (see the README for the exact rules). */
  health: RoutineHealth;
}
