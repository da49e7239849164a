import { CATCH_UP_GRACE_MS, planCatchUp, type CatchUpPlan, type CatchUpPolicy } from './catch-up';
import type { Clock, TimerHandle } from './clock';
import type { CatchUp, Schedule } from './schedule';

/** How early on the wall clock a wall-time tick may fire and still run. */
const WALL_TOLERANCE_MS = 2;

/**
 * Where a periodic routine's ticks are scheduled and fire: one timer at a time, armed for the
 * next due time its {@link Schedule} gives, on the monotonic clock. `PeriodicRoutine` extends
 * it (one object per routine: every tick reads these fields, measured) and says what a tick
 * does (`tick`).
 *
 * - No drift: the next tick is computed from the due time of this one, not from when it fired.
 * - After a stall (a blocked event loop, a suspended VM, the wall clock stepped forward) the
 *   latest due tick runs and the ones it supersedes are reported late, computed at once.
 * - Wall-clock ticks (cluster grid, cron) are converted to the monotonic timer when armed and
 *   checked on the wall when they fire: a wall clock stepped back makes the tick wait.
 * - With an interval function, the tick's run (or claim) ends before the next tick is armed:
 *   `armAfterRun` reads the function then.
 */
export abstract class Ticker {
  private timer: TimerHandle | undefined = undefined;
  /** The last timer, once fired or cleared: handed back to the clock to recycle. */
  private spentTimer: TimerHandle | undefined = undefined;
  /** The due time of the armed tick (NaN until first scheduled), on the schedule's time scale. */
  private nextDue = NaN;
  /** Interval functions: a tick's run (or claim) is under way and its end arms the next tick. */
  private awaitingRun = false;
  // A bound method, not an arrow function (measured).
  private readonly onTimer: () => void = this.fire.bind(this);

  /** @internal When ticks fall; replaced by `reschedule`. */
  timetable: Schedule;

  protected constructor(
    /** @internal */
    readonly clock: Clock,
    schedule: Schedule,
    protected readonly jitterMs: number,
    private readonly random: () => number,
  ) {
    this.timetable = schedule;
  }

  /** @internal Whether ticks are wanted now (running, not paused or stopping). */
  abstract isRunning(): boolean;
  /** @internal A tick is due: run it, claim its slot or skip it. `armsNextTick`: see `armAfterRun`. */
  abstract tick(due: number, now: number, armsNextTick: boolean): void;
  /** @internal Ticks a stall made late, superseded by the one that runs. */
  abstract skipLate(due: number, step: number, caught: CatchUp): void;
  /** @internal `catchup`, if the routine has it: late due times are then planned by it. */
  abstract catchUpPolicy(): CatchUpPolicy | undefined;
  /** @internal Due times from `from` found late (a stall, a pause): run the plan's, count the missed. */
  abstract lateDueTimes(from: number, step: number, plan: CatchUpPlan): void;

  /** The current time on the scale due times are on: wall for cluster and cron, else monotonic. */
  protected ticksNow(): number {
    return this.timetable.onWallClock ? this.clock.wallNow() : this.clock.now();
  }

  /** The armed tick's due time, as a wall time; undefined while none is armed. */
  protected nextTickAt(): number | undefined {
    return this.timer === undefined ? undefined : this.wallOfDue(this.nextDue);
  }

  /** @internal A due time as reported: cluster and cron ones are wall times already. */
  wallOfDue(due: number): number {
    return this.timetable.onWallClock ? due : this.clock.wallOf(due);
  }

  /**
   * The next `count` due times, as wall times: from the armed tick, or (paused, between an
   * interval function's runs) from the next tick due on the schedule, or (not started) from
   * `firstFrom(now)`. Jitter is not included.
   */
  protected dueTimes(count: number, firstFrom: (now: number) => number): number[] {
    const now = this.ticksNow();
    let due: number;
    if (this.timer !== undefined) due = this.nextDue;
    else if (Number.isNaN(this.nextDue)) due = firstFrom(now);
    else due = this.timetable.atOrAfter(this.nextDue, now);
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      times.push(this.wallOfDue(due));
      due = this.timetable.following(due);
    }
    return times;
  }

  /** Arms the first tick of a routine started at `start`, and returns its due time. */
  protected beginTicks(
    start: number,
    runOnStart: boolean,
    initialDelayMs: number | undefined,
    /** `startAt`, on the schedule's time scale: no tick before it. */
    notBefore?: number,
  ): number {
    let first = this.timetable.first(start, runOnStart, initialDelayMs);
    // At most a step or two: `start` is at `notBefore` already, and grid points round down.
    while (notBefore !== undefined && first < notBefore) first = this.timetable.following(first);
    this.arm(first);
    return first;
  }

  /** Stops ticking; `resume` picks up at the next tick due. */
  protected cancelTicks(): void {
    if (this.timer === undefined) return;
    this.clock.clearTimer(this.timer);
    this.spentTimer = this.timer;
    this.timer = undefined;
  }

  /**
   * After a pause: the next tick due on the schedule. Ticks that fell meanwhile are not run,
   * unless `catchup` says which of them run.
   */
  protected resumeTicks(): void {
    if (this.awaitingRun) return; // the run in flight arms the next tick when it ends
    const now = this.ticksNow();
    const due = Number.isNaN(this.nextDue) ? now : this.nextDue;
    const policy = due <= now ? this.catchUpPolicy() : undefined;
    if (policy === undefined) return this.arm(this.timetable.atOrAfter(due, now));
    this.catchUpTo(due, now, policy);
  }

  /**
   * @internal A new schedule: the next tick is one interval from now (the next slot, the next
   * cron time).
   */
  protected reschedule(schedule: Schedule, arm: boolean): void {
    this.timetable = schedule;
    this.awaitingRun = false;
    const next = schedule.fromNow(this.ticksNow());
    if (!arm) {
      this.nextDue = next; // paused: resume() arms it
      return;
    }
    this.cancelTicks();
    this.arm(next);
  }

  /** Interval functions: the tick's run ended (or never started); read the function and arm the next. */
  protected armAfterRun(): void {
    if (!this.awaitingRun) return;
    this.awaitingRun = false;
    const next = this.timetable.afterRun(this.ticksNow());
    if (this.isRunning()) this.arm(next);
    else this.nextDue = next; // paused: resume() arms it
  }

  private arm(due: number): void {
    this.nextDue = due;
    let fireAt = this.jitterMs > 0 ? due + Math.floor(this.random() * this.jitterMs) : due;
    // Timers run on the monotonic clock: a wall due time is converted at arming, and checked
    // again when the timer fires, in case the wall clock was stepped. Whole milliseconds,
    // rounded up: the offset between the two clocks wobbles below a millisecond from one
    // reading to the next, and routines due together must still share one timer.
    const clock = this.clock;
    if (this.timetable.onWallClock) fireAt = Math.ceil(fireAt + clock.now() - clock.wallNow());
    this.timer = clock.setTimer(fireAt, this.onTimer, this.spentTimer);
    this.spentTimer = undefined;
  }

  /** `catchup`: the due times from `due` to `now` are late; arm the next one and hand over the plan. */
  private catchUpTo(due: number, now: number, policy: CatchUpPolicy): void {
    const schedule = this.timetable;
    const plan = planCatchUp(schedule, due, now, policy);
    this.arm(schedule.following(plan.latest));
    this.lateDueTimes(due, schedule.following(due) - due, plan);
  }

  private fire(): void {
    this.spentTimer = this.timer;
    this.timer = undefined;
    if (!this.isRunning()) return;
    const schedule = this.timetable;
    const now = schedule.onWallClock ? this.clock.wallNow() : this.clock.now();
    let due = this.nextDue;
    // The wall clock was stepped back while the timer ran: not due yet on the wall. (Within
    // a couple of milliseconds is due: timers fire up to a millisecond early, and the wall
    // clock reads whole milliseconds.)
    if (schedule.onWallClock && due - now > WALL_TOLERANCE_MS) return this.arm(due);
    if (schedule.readsAfterRun) {
      this.awaitingRun = true;
      return this.tick(due, now, true);
    }
    let next = schedule.following(due);
    if (next <= now || now - due > CATCH_UP_GRACE_MS) {
      const policy = this.catchUpPolicy();
      if (policy !== undefined) return this.catchUpTo(due, now, policy);
    }
    if (next <= now) {
      // The event loop was blocked past later ticks (or the wall clock stepped forward): run
      // the latest, count the others.
      const caught = schedule.catchUp(due, now);
      this.skipLate(due, next - due, caught);
      due = caught.latest;
      next = schedule.following(due);
    }
    this.arm(next);
    this.tick(due, now, false);
  }
}
