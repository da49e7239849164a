import type { Schedule } from './schedule';

/**
 * `catchup`: what a periodic routine does with due times it could not run on time (a stall,
 * a pause, a start after downtime). Temporal's catch-up window, with Quartz's misfire
 * threshold for `window` and a bound on how many run.
 */
export interface CatchUpOptions {
  /**
   * How late a due time may start and still run: a duration, or `Infinity` for any lateness.
   * Zero means "on time or not at all" (within 1 s, `CATCH_UP_GRACE_MS`).
   */
  window: number | string;
  /** How many late due times run, the most recent ones, in order. Default: 1. */
  max?: number;
}

/** `catchup`, parsed. */
export interface CatchUpPolicy {
  /** Milliseconds, or Infinity. */
  readonly windowMs: number;
  readonly max: number;
}

/** `missed: 'once'`: the shorthand for the last due time, however late. */
export const CATCH_UP_ONCE: CatchUpPolicy = Object.freeze({ windowMs: Infinity, max: 1 });

/** A due time this late is still on time: timers and a busy event loop are rarely this far off. */
export const CATCH_UP_GRACE_MS = 1000;

/** Most late due times one catch-up runs: each runs in full before the next. */
export const MAX_CATCH_UP = 1000;

/** What a catch-up does with the due times it found late: which run, in order, and how many are missed. */
export interface CatchUpPlan {
  /** The latest due time by now: the next tick is armed after it. */
  readonly latest: number;
  /** The due times to run, oldest first: the most recent `max` within the window. */
  readonly runs: number[];
  /** The due times older than those, not run: counted as skipped `missed`. */
  readonly missed: number;
  /** The first few missed ones, for events (cron: the ones already looked up); absent: `from + i·step`. */
  readonly missedTimes?: number[];
}

/**
 * The due times from `from` (the oldest not yet run, on the schedule) up to `now`: the most
 * recent `max` of those no later than the window run in order, the older ones are missed.
 * Computed directly from the schedule, never by stepping through the missed ones.
 */
export function planCatchUp(
  schedule: Schedule,
  from: number,
  now: number,
  policy: CatchUpPolicy,
): CatchUpPlan {
  if (from > now) return { latest: from, runs: [], missed: 0 };
  const caught = schedule.catchUp(from, now);
  const total = caught.missed + 1;
  const oldest = now - Math.max(policy.windowMs, CATCH_UP_GRACE_MS);
  const runs: number[] = [];
  let due: number | undefined = caught.latest;
  while (runs.length < policy.max && due !== undefined && due >= from && due >= oldest) {
    runs.push(due);
    due = schedule.before(due);
  }
  runs.reverse();
  const missed = Math.max(0, total - runs.length);
  const latest = caught.latest;
  return caught.first
    ? { latest, runs, missed, missedTimes: caught.first }
    : { latest, runs, missed };
}

/**
 * At start: the most recent `max` due times before `first` (the first tick armed) and no
 * earlier than the window (nor `notBefore`). Nothing is counted missed: what ran before this
 * process started is not known here (in cluster scope, the slot claims know it).
 */
export function dueTimesBeforeStart(
  schedule: Schedule,
  first: number,
  now: number,
  policy: CatchUpPolicy,
  notBefore: number | undefined,
): number[] {
  const oldest = Math.max(
    now - Math.max(policy.windowMs, CATCH_UP_GRACE_MS),
    notBefore ?? -Infinity,
  );
  const runs: number[] = [];
  let due = schedule.before(first);
  while (runs.length < policy.max && due !== undefined && due >= oldest && due <= now) {
    runs.push(due);
    due = schedule.before(due);
  }
  return runs.reverse();
}

/**
 * How long a cluster claim must outlive its slot for a replica catching up to find it
 * claimed (0: no catch-up): the window, or as many gaps as catch-up may run, whichever is less.
 */
export function catchUpHorizonMs(
  policy: CatchUpPolicy | undefined,
  schedule: Schedule,
  wallNow: number,
): number {
  if (policy === undefined) return 0;
  const gap = schedule.intervalMs ?? widestCronGap(schedule, wallNow, policy.max + 1);
  return Math.min(policy.windowMs, (policy.max + 1) * gap);
}

/** Cron: the widest gap between the next `count` times (at most 50 looked up). */
function widestCronGap(schedule: Schedule, wallNow: number, count: number): number {
  let widest = 0;
  let due = schedule.fromNow(wallNow);
  for (let i = 0; i < Math.min(count, 50); i++) {
    const next = schedule.following(due);
    widest = Math.max(widest, next - due);
    due = next;
  }
  return widest;
}
