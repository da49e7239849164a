import type { CronTime } from 'cron';
import {
  cronCatchUp,
  isCronSpec,
  nextCronTime,
  parseCron,
  previousCronTime,
  type CronSpec,
} from './cron';
import {
  checkDuration,
  formatDuration,
  toMilliseconds,
  type Duration,
  type OptionProblem,
} from './duration';
import { describeError } from './logger';
import { looksLikeCron } from './cron-looking';
import { MESSAGES } from './core.messages';

/** How often a periodic routine runs: a duration or a cron schedule. */
export type IntervalSpec = Duration | CronSpec;

/** The interval of a periodic routine declared without one. */
export const DEFAULT_INTERVAL_MS = 1000;

/** After a stall: the latest tick due by now, how many ticks it supersedes, and (cron) the first few. */
export interface CatchUp {
  latest: number;
  missed: number;
  first?: number[];
}

/**
 * When a periodic routine's ticks fall. Every method is a function of the times it is given
 * (the interval function's is read where its doc says): next-due and catch-up are computed
 * directly, never by stepping through missed ticks.
 *
 * Four kinds: a fixed interval from the routine's start (instance scope), a grid of multiples
 * of the interval since the epoch (cluster scope: every replica computes the same slots),
 * cron times, and an interval function read after each run.
 */
export interface Schedule {
  /**
   * Whether due times are wall-clock times (the cluster grid and cron: what replicas and people
   * agree on) rather than monotonic ones (an instance interval, which a clock step must not move).
   */
  readonly onWallClock: boolean;
  /**
   * An interval function: the wait is read after the run that precedes it (it may depend on what the run found), so
   * ticks are armed by `afterRun`, not ahead by `following`.
   */
  readonly readsAfterRun: boolean;
  /** The interval in force, for `info().intervalMs`; undefined for cron. */
  readonly intervalMs: number | undefined;
  /** The first tick of a routine started at `start`. */
  first(start: number, runOnStart: boolean, initialDelayMs: number | undefined): number;
  /** The tick after `due`. */
  following(due: number): number;
  /** The first tick at or after `now` on the schedule `due` is on (after a pause). */
  atOrAfter(due: number, now: number): number;
  /** The first tick after a change of schedule at `now`: one interval on, the next slot or cron time. */
  fromNow(now: number): number;
  /** The tick after the run that ended at `now`: reads the interval function (see `readsAfterRun`). */
  afterRun(now: number): number;
  /** After a stall: the latest tick due by `now`, given that the one after `due` has passed. */
  catchUp(due: number, now: number): CatchUp;
  /** The latest tick at or before `time` (cluster `missed: 'once'`), if any. */
  previous(time: number): number | undefined;
  /** The tick before `due` (which is on the schedule), if any: catch-up steps back `max` at most. */
  before(due: number): number | undefined;
  /** The schedule in words: 'every 2m', 'cron 0 3 * * * (Europe/Berlin)'. */
  describe(): string;
}

/** Every `interval` ms from the routine's start, on the monotonic clock. */
class IntervalSchedule implements Schedule {
  readonly onWallClock: boolean = false;
  readonly readsAfterRun = false;

  constructor(readonly intervalMs: number) {}

  first(start: number, runOnStart: boolean, initialDelayMs: number | undefined): number {
    if (initialDelayMs !== undefined) return start + initialDelayMs;
    return runOnStart ? start : start + this.intervalMs;
  }

  following(due: number): number {
    return due + this.intervalMs;
  }

  atOrAfter(due: number, now: number): number {
    return due >= now ? due : due + Math.ceil((now - due) / this.intervalMs) * this.intervalMs;
  }

  fromNow(now: number): number {
    return now + this.intervalMs;
  }

  afterRun(now: number): number {
    return this.fromNow(now);
  }

  catchUp(due: number, now: number): CatchUp {
    const missed = Math.floor((now - due) / this.intervalMs);
    return { latest: due + missed * this.intervalMs, missed };
  }

  previous(time: number): number | undefined {
    return time - this.intervalMs;
  }

  before(due: number): number | undefined {
    return due - this.intervalMs;
  }

  describe(): string {
    return `every ${formatDuration(this.intervalMs)}`;
  }
}

/**
 * Multiples of the interval since the Unix epoch, plus `phaseMs`, on the wall clock: the cluster
 * grid (and an instance routine's with `align: true`). '1h' with phase '19m' is xx:19.
 */
class GridSchedule extends IntervalSchedule {
  override readonly onWallClock = true;

  constructor(
    intervalMs: number,
    private readonly phaseMs = 0,
  ) {
    super(intervalMs);
  }

  override first(start: number, runOnStart: boolean, initialDelayMs: number | undefined): number {
    const slot = this.slotOf(start + (initialDelayMs ?? 0));
    return runOnStart ? slot : slot + this.intervalMs;
  }

  override following(due: number): number {
    return this.slotOf(due) + this.intervalMs;
  }

  override fromNow(now: number): number {
    return this.following(now);
  }

  override previous(time: number): number {
    return this.slotOf(time);
  }

  override describe(): string {
    return this.phaseMs === 0
      ? super.describe()
      : `${super.describe()} at +${formatDuration(this.phaseMs)}`;
  }

  private slotOf(time: number): number {
    const phase = this.phaseMs;
    return Math.floor((time - phase) / this.intervalMs) * this.intervalMs + phase;
  }
}

/** Cron times, in the spec's time zone, on the wall clock. */
class CronSchedule implements Schedule {
  readonly onWallClock = true;
  readonly readsAfterRun = false;
  readonly intervalMs = undefined;

  constructor(
    private readonly cron: CronTime,
    private readonly spec: CronSpec,
  ) {}

  first(start: number, runOnStart: boolean, initialDelayMs: number | undefined): number {
    const from = start + (initialDelayMs ?? 0);
    return runOnStart ? from : nextCronTime(this.cron, from - 1);
  }

  following(due: number): number {
    return nextCronTime(this.cron, due);
  }

  atOrAfter(due: number, now: number): number {
    return due >= now ? due : nextCronTime(this.cron, now - 1); // directly, however long the pause
  }

  fromNow(now: number): number {
    return nextCronTime(this.cron, now);
  }

  afterRun(now: number): number {
    return this.fromNow(now);
  }

  catchUp(due: number, now: number): CatchUp {
    return cronCatchUp(this.cron, due, now);
  }

  previous(time: number): number | undefined {
    return previousCronTime(this.cron, time);
  }

  before(due: number): number | undefined {
    return previousCronTime(this.cron, due - 1);
  }

  describe(): string {
    return `cron ${this.spec.cron}${this.spec.timeZone ? ` (${this.spec.timeZone})` : ''}`;
  }
}

/**
 * An interval function, read after each run (and at start): the next tick is due that long
 * after the run that precedes it ends, or, on the cluster grid, at the next multiple of it.
 * A value that is not a duration is reported through `warn` and the last good one kept.
 */
class IntervalFunctionSchedule implements Schedule {
  readonly readsAfterRun = true;
  private lastMs = DEFAULT_INTERVAL_MS;

  constructor(
    private readonly fn: () => Duration,
    readonly onWallClock: boolean,
    private readonly owner: ScheduleOwner,
  ) {}

  get intervalMs(): number {
    return this.lastMs;
  }

  first(start: number, runOnStart: boolean, initialDelayMs: number | undefined): number {
    return this.fixed(this.read()).first(start, runOnStart, initialDelayMs);
  }

  following(due: number): number {
    return this.fixed(this.lastMs).following(due);
  }

  atOrAfter(due: number, now: number): number {
    return this.fixed(this.lastMs).atOrAfter(due, now);
  }

  fromNow(now: number): number {
    return this.afterRun(now);
  }

  afterRun(now: number): number {
    return this.fixed(this.read()).fromNow(now);
  }

  catchUp(due: number): CatchUp {
    return { latest: due, missed: 0 }; // one tick is armed at a time: nothing to catch up
  }

  previous(time: number): number | undefined {
    return this.fixed(this.lastMs).previous(time);
  }

  before(): undefined {
    return undefined; // no due times ahead of the run that reads the function: nothing to catch up
  }

  /** The fixed schedule of the value the function returned: the arithmetic is the same. */
  private fixed(intervalMs: number): Schedule {
    return sharedSchedule(intervalMs, this.onWallClock);
  }

  describe(): string {
    return `every ${formatDuration(this.lastMs)} (dynamic)`;
  }

  private read(): number {
    let value: unknown;
    try {
      value = this.fn();
    } catch (error) {
      return this.keepLast(`interval function threw: ${describeError(error).message}`);
    }
    try {
      this.lastMs = toMilliseconds(value as Duration, 'interval function');
    } catch (error) {
      return this.keepLast(describeError(error).message);
    }
    return this.lastMs;
  }

  private keepLast(problem: string): number {
    this.owner.logger.warn(`${problem}; keeping ${formatDuration(this.lastMs)}`);
    return this.lastMs;
  }
}

/** A parsed `interval` option: exactly one of the three is set when it is valid. */
export interface ParsedInterval {
  intervalMs?: number;
  cron?: CronTime;
  intervalFn?: () => Duration;
}

/** Parses an `interval` option, recording why it is bad in `problems`. */
export function checkInterval(
  problems: OptionProblem[],
  option: string,
  value: unknown,
): ParsedInterval {
  if (typeof value === 'function') return { intervalFn: value as () => Duration };
  if (isCronSpec(value)) return { cron: parseCron(value, option, problems) };
  const before = problems.length;
  const intervalMs = checkDuration(problems, option, value);
  // The @Cron habit: '*/5 * * * *' where a duration goes. Say how to write it.
  if (problems.length > before && typeof value === 'string' && looksLikeCron(value)) {
    problems[before] = { ...problems[before], message: MESSAGES.cronWhereDuration(value.trim()) };
  }
  return { intervalMs };
}

/** Whose schedule it is: an interval function's bad values are reported through its logger. */
export interface ScheduleOwner {
  readonly logger: { warn(message: string): void };
}

/** The schedule for a parsed interval: cron times, the cluster grid, or an interval from start. */
export function createSchedule(
  spec: IntervalSpec | (() => Duration) | undefined,
  parsed: ParsedInterval,
  /** On the grid every replica computes: cluster scope, or `align: true`. */
  grid: boolean,
  owner: ScheduleOwner,
  /** On that grid, this far past each multiple of the interval. */
  phaseMs = 0,
): Schedule {
  if (parsed.cron && isCronSpec(spec)) return new CronSchedule(parsed.cron, spec);
  if (parsed.intervalFn) return new IntervalFunctionSchedule(parsed.intervalFn, grid, owner);
  const intervalMs = parsed.intervalMs ?? DEFAULT_INTERVAL_MS;
  if (grid && phaseMs > 0) return new GridSchedule(intervalMs, phaseMs % intervalMs);
  return sharedSchedule(intervalMs, grid);
}

// Interval schedules hold nothing but their interval: routines with the same one share it,
// as apps use a handful of intervals for many routines (measured).
const intervalSchedules = new Map<number, Schedule>();
const gridSchedules = new Map<number, Schedule>();
const MAX_SHARED = 256;

function sharedSchedule(intervalMs: number, grid: boolean): Schedule {
  const cache = grid ? gridSchedules : intervalSchedules;
  let schedule = cache.get(intervalMs);
  if (schedule === undefined) {
    schedule = grid ? new GridSchedule(intervalMs) : new IntervalSchedule(intervalMs);
    if (cache.size < MAX_SHARED) cache.set(intervalMs, schedule);
  }
  return schedule;
}
