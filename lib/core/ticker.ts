import type { Clock, TimerHandle } from './clock';
import type { CatchUp, Schedule } from './schedule';

/** What a ticker needs from its routine. */
export interface TickHost {
  readonly clock: Clock;
  /** Whether ticks are wanted now (the routine is running, not paused or stopping). */
  isRunning(): boolean;
  /** A tick is due: run it, claim its slot or skip it. `armsNextTick`: see `Ticker.afterRun`. */
  tick(due: number, now: number, armsNextTick: boolean): void;
  /** Ticks a stall made late, superseded by the one that runs. */
  skipLate(due: number, step: number, caught: CatchUp): void;
}

/** How early on the wall clock a wall-time tick may fire and still run. */
const WALL_TOLERANCE_MS = 2;

/**
 * Where a periodic routine's ticks are scheduled and fire: one timer at a time, armed for the
 * next due time its {@link Schedule} gives, on the monotonic clock.
 *
 * - No drift: the next tick is computed from the due time of this one, not from when it fired.
 * - After a stall (a blocked event loop, a suspended VM, the wall clock stepped forward) the
 *   latest due tick runs and the ones it supersedes are reported late, computed at once.
 * - Wall-clock ticks (cluster grid, cron) are converted to the monotonic timer when armed and
 *   checked on the wall when they fire: a wall clock stepped back makes the tick wait.
 * - With an interval function, the tick's run (or claim) ends before the next tick is armed:
 *   `afterRun` reads the function then.
 */
export class Ticker {
  private timer: TimerHandle | undefined = undefined;
  /** The last timer, once fired or cleared: handed back to the clock to recycle. */
  private spentTimer: TimerHandle | undefined = undefined;
  /** The due time of the armed tick (NaN until first scheduled), on the schedule's time scale. */
  private nextDue = NaN;
  /** Interval functions: a tick's run (or claim) is under way and its end arms the next tick. */
  private awaitingRun = false;
  // A bound method, not an arrow function (measured).
  private readonly onTimer: () => void = this.fire.bind(this);

  constructor(
    private readonly host: TickHost,
    /** When ticks fall; replaced by `reschedule`. */
    public schedule: Schedule,
    readonly jitterMs: number,
    private readonly random: () => number,
  ) {}

  /** The current time on the scale due times are on: wall for cluster and cron, else monotonic. */
  now(): number {
    return this.schedule.onWallClock ? this.host.clock.wallNow() : this.host.clock.now();
  }

  /** The armed tick's due time, as a wall time; undefined while none is armed. */
  nextRunAt(): number | undefined {
    if (this.timer === undefined) return undefined;
    return this.schedule.onWallClock ? this.nextDue : this.host.clock.wallOf(this.nextDue);
  }

  /** Arms the first tick of a routine started at `start`, and returns its due time. */
  begin(start: number, runOnStart: boolean, initialDelayMs: number | undefined): number {
    const first = this.schedule.first(start, runOnStart, initialDelayMs);
    this.arm(first);
    return first;
  }

  /** Stops ticking; `resume` picks up at the next tick due. */
  cancel(): void {
    if (this.timer === undefined) return;
    this.host.clock.clearTimer(this.timer);
    this.spentTimer = this.timer;
    this.timer = undefined;
  }

  /** After a pause: the next tick due on the schedule (ticks that fell meanwhile are not run). */
  resume(): void {
    if (this.awaitingRun) return; // the run in flight arms the next tick when it ends
    const now = this.now();
    const due = Number.isNaN(this.nextDue) ? now : this.nextDue;
    this.arm(this.schedule.atOrAfter(due, now));
  }

  /** A new schedule: the next tick is one interval from now (the next slot, the next cron time). */
  reschedule(schedule: Schedule, arm: boolean): void {
    this.schedule = schedule;
    this.awaitingRun = false;
    const next = schedule.fromNow(this.now());
    if (!arm) {
      this.nextDue = next; // paused: resume() arms it
      return;
    }
    this.cancel();
    this.arm(next);
  }

  /** Interval functions: the tick's run ended (or never started); read the function and arm the next. */
  afterRun(): void {
    if (!this.awaitingRun) return;
    this.awaitingRun = false;
    const next = this.schedule.afterRun(this.now());
    if (this.host.isRunning()) this.arm(next);
    else this.nextDue = next; // paused: resume() arms it
  }

  private arm(due: number): void {
    this.nextDue = due;
    let fireAt = this.jitterMs > 0 ? due + Math.floor(this.random() * this.jitterMs) : due;
    // Timers run on the monotonic clock: a wall due time is converted at arming, and checked
    // again when the timer fires, in case the wall clock was stepped. Whole milliseconds,
    // rounded up: the offset between the two clocks wobbles below a millisecond from one
    // reading to the next, and routines due together must still share one timer.
    const clock = this.host.clock;
    if (this.schedule.onWallClock) fireAt = Math.ceil(fireAt + clock.now() - clock.wallNow());
    this.timer = clock.setTimer(fireAt, this.onTimer, this.spentTimer);
    this.spentTimer = undefined;
  }

  private fire(): void {
    this.spentTimer = this.timer;
    this.timer = undefined;
    const host = this.host;
    if (!host.isRunning()) return;
    const schedule = this.schedule;
    const now = schedule.onWallClock ? host.clock.wallNow() : host.clock.now();
    let due = this.nextDue;
    // The wall clock was stepped back while the timer ran: not due yet on the wall. (Within
    // a couple of milliseconds is due: timers fire up to a millisecond early, and the wall
    // clock reads whole milliseconds.)
    if (schedule.onWallClock && due - now > WALL_TOLERANCE_MS) return this.arm(due);
    if (schedule.readsAfterRun) {
      this.awaitingRun = true;
      return host.tick(due, now, true);
    }
    let next = schedule.following(due);
    if (next <= now) {
      // The event loop was blocked past later ticks (or the wall clock stepped forward): run
      // the latest, count the others.
      const caught = schedule.catchUp(due, now);
      host.skipLate(due, next - due, caught);
      due = caught.latest;
      next = schedule.following(due);
    }
    this.arm(next);
    host.tick(due, now, false);
  }
}
