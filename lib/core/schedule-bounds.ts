import type { ResolvedPeriodicOptions } from './periodic-options';

/**
 * When a periodic routine's ticks may fall (`startAt`, `endAt`, wall-clock ms), how many
 * scheduled runs it makes (`maxRuns`), and the grid's shape (`phase`, `align`), kept for
 * `setInterval`, which builds the schedule again. Most routines have none of them and share
 * {@link UNBOUNDED}, which is never written to.
 */
export class ScheduleBounds {
  /** Scheduled runs so far, counted towards `maxRuns`. */
  scheduledRuns = 0;

  constructor(
    readonly startAt: number | undefined,
    readonly endAt: number | undefined,
    readonly maxRuns: number | undefined,
    readonly phaseMs: number,
    readonly align: boolean,
  ) {}

  /** The bounds the options ask for: {@link UNBOUNDED} when none. */
  static of(resolved: ResolvedPeriodicOptions): ScheduleBounds {
    const { startAt, endAt, maxRuns, phaseMs, align } = resolved;
    if (startAt === undefined && endAt === undefined && maxRuns === undefined) {
      if (phaseMs === 0 && !align) return UNBOUNDED;
    }
    return new ScheduleBounds(startAt, endAt, maxRuns, phaseMs, align);
  }

  /** Whether a due time (wall clock) falls after `endAt`. */
  isPast(wallDue: number): boolean {
    return this.endAt !== undefined && wallDue > this.endAt;
  }

  /** A scheduled run started: whether `maxRuns` is now reached. */
  countRun(): boolean {
    return this.maxRuns !== undefined && ++this.scheduledRuns >= this.maxRuns;
  }

  /** How many scheduled runs are left of `count` wanted. */
  runsLeft(count: number): number {
    return this.maxRuns === undefined ? count : Math.min(count, this.maxRuns - this.scheduledRuns);
  }
}

/** The bounds of a routine that has none. */
export const UNBOUNDED = new ScheduleBounds(undefined, undefined, undefined, 0, false);
