import {
  PeriodicRoutine,
  type Clock,
  type ManagedRoutine,
  type RoutineInfo,
  type RoutineState,
} from '../core';

/** Grace added to "late": Sourcegraph's "has not been seen in a while" rule. */
export const LATE_GRACE_MS = 5_000;
/** A run over this share of the interval is `slow`. */
export const SLOW_SHARE = 0.7;

/** Health flags of a routine, as `registry.get(name).health` gives them. */
export interface RoutineHealth {
  /**
   * Periodic, ticking: no run has started (here, or on another replica for a cluster slot)
   * for longer than it should: nothing seen for `interval + longest kept run + 5 s`; for
   * cron, since a cron time that passed more than `longest kept run + 5 s` ago.
   */
  late: boolean;
  /** Periodic: the last run took over 70% of the interval (cron: of the gap between its times). */
  slow: boolean;
  /** Failed runs (attempts) in a row, since the last success. */
  consecutiveFailures: number;
}

/** What the flags are computed from; times are wall-clock ms. */
export interface HealthInputs {
  now: number;
  state: RoutineState;
  kind: 'periodic' | 'background';
  inFlight: number;
  /** Interval routines. */
  intervalMs?: number;
  /** Cron routines: the latest cron time at or before `now`, and the gap to the next one. */
  lastDueAt?: number;
  periodMs?: number;
  /** When the routine started ticking on its current schedule: its start, or the latest `setInterval`. */
  startedAt?: number;
  /** The newest evidence the routine is handled: a run that started here, a slot another replica ran. */
  lastSeenAt?: number;
  /** The longest kept run (or the last run, without history), in ms. */
  longestRunMs: number;
  lastRunMs?: number;
  consecutiveFailures: number;
}

/**
 * The flags, by these rules:
 * - `late` (periodic routines that are ticking, with no run in flight): for an interval,
 *   nothing seen since `interval + longest kept run + 5 s` ago (counted from the routine's
 *   start when nothing was seen yet); for cron, the latest cron time passed more than
 *   `longest kept run + 5 s` ago and nothing was seen since it. Paused, disabled, stopped and
 *   background routines are never late.
 * - `slow`: the last run took more than 70% of the interval (cron: of the gap between cron
 *   times).
 */
export function routineHealth(inputs: HealthInputs): RoutineHealth {
  return {
    late: lateness(inputs),
    slow: isSlow(inputs),
    consecutiveFailures: inputs.consecutiveFailures,
  };
}

export function lateness(inputs: HealthInputs): boolean {
  const { now, state, kind, inFlight, startedAt, longestRunMs } = inputs;
  if (kind !== 'periodic' || state !== 'running' || inFlight > 0 || startedAt === undefined) {
    return false;
  }
  const seen = Math.max(startedAt, inputs.lastSeenAt ?? -Infinity);
  if (inputs.intervalMs !== undefined) {
    return now - seen > inputs.intervalMs + longestRunMs + LATE_GRACE_MS;
  }
  const due = inputs.lastDueAt;
  if (due === undefined || due < startedAt) return false; // no cron time has passed since the start
  return seen < due && now - due > longestRunMs + LATE_GRACE_MS;
}

function isSlow({ kind, intervalMs, periodMs, lastRunMs }: HealthInputs): boolean {
  const period = intervalMs ?? periodMs;
  return (
    kind === 'periodic' &&
    period !== undefined &&
    lastRunMs !== undefined &&
    lastRunMs > SLOW_SHARE * period
  );
}

/**
 * The flags of a routine now, from its snapshot and the longest run its history keeps
 * (undefined without a history: the last run stands in).
 */
export function healthOf(
  routine: ManagedRoutine,
  info: RoutineInfo,
  longestKeptRunMs: number | undefined,
  clock: Clock,
): RoutineHealth {
  const consecutiveFailures =
    (routine as { consecutiveFailures?: number }).consecutiveFailures ?? 0;
  if (!(routine instanceof PeriodicRoutine)) {
    return { late: false, slow: false, consecutiveFailures };
  }
  const now = clock.wallNow();
  const lastRunMs = info.lastRun?.durationMs;
  // The last run that ended started last (a run in flight means not late anyway); in cluster
  // scope, a slot another replica ran counts as seen.
  const lastClaim = info.cluster?.lastClaim;
  const seen = [
    info.lastRun?.startedAt,
    lastClaim?.outcome === 'lost' ? lastClaim.at : undefined,
  ].filter((time): time is number => time !== undefined);
  const lastDueAt = routine.previousDue(now);
  let periodMs: number | undefined;
  if (routine.onCron) {
    const [next, after] = routine.nextRuns(2);
    if (next !== undefined) periodMs = lastDueAt !== undefined ? next - lastDueAt : after - next;
  }
  return routineHealth({
    now,
    state: info.state,
    kind: 'periodic',
    inFlight: info.inFlight,
    intervalMs: routine.onCron ? undefined : info.intervalMs,
    lastDueAt,
    periodMs,
    // A re-timed routine is judged from the change: its old runs say nothing of the new times.
    startedAt: routine.scheduledSince,
    lastSeenAt: seen.length > 0 ? Math.max(...seen) : undefined,
    longestRunMs: longestKeptRunMs ?? lastRunMs ?? 0,
    lastRunMs,
    consecutiveFailures,
  });
}
